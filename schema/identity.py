"""A source row's identity as text, computed alike in Python and in MySQL.

Deep verify's sample (schema/sampling.py) and its look-ups name rows by the identity
columns of their item type (`id`, or `platform` + `problem_id` for problems), joined by `#`.
"""

from __future__ import annotations

from schema.keys import SEPARATOR
from schema.spec import ItemSpec


def identity_text(values: tuple) -> str:
    """A row identity as text, the same text `identity_sql` builds in MySQL."""
    return SEPARATOR.join(str(v) for v in values)


def identity_sql(spec: ItemSpec, alias: str = "t") -> str:
    parts = [f"{alias}.`{column}`" for column in spec.identity_columns]
    return "CONCAT(" + f", '{SEPARATOR}', ".join(parts) + ")"
