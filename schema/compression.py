"""Large text attributes gzip-compressed into Binary, with a marker readers recognise.

Only with `migrate --compress-over BYTES`: the attributes in COMPRESSIBLE whose value is
larger than BYTES are stored as MARKER + gzip(UTF-8 text). The marker says whether the text
was plain text (T) or a JSON column's exact JSON text (J). Those attributes are text or
JSON everywhere else, so a Binary value in one of them can only be a compressed one; the
verify pipeline (schema/canonical.py) and the application's read path (ItemSpec.from_item)
decode it transparently.
"""

from __future__ import annotations

import gzip

COMPRESSIBLE = frozenset({"sol", "cod", "con", "gen", "inp", "out", "trs", "trc", "msg"})
# A --compress-over for readers that compare decoded values: compress only an item that would
# not fit otherwise (ItemSpec.to_item).
AS_NEEDED = "as-needed"
MARKER = b"\x00ALGZ1"
TEXT = b"T"
JSON_TEXT = b"J"


def compress(text: str, kind: bytes = TEXT) -> bytes:
    return MARKER + kind + gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0)


def is_compressed(value: object) -> bool:
    return isinstance(value, (bytes, bytearray)) and bytes(value[: len(MARKER)]) == MARKER


def decompress(value: bytes) -> tuple[bytes, str]:
    """(kind, text) of a compressed value."""
    data = bytes(value)
    kind = data[len(MARKER): len(MARKER) + 1]
    return kind, gzip.decompress(data[len(MARKER) + 1:]).decode("utf-8")
