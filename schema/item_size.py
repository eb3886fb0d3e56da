"""DynamoDB item size by DynamoDB's documented sizing rules, for Python-valued items.

- attribute names: their UTF-8 length (also the names inside maps);
- String: UTF-8 length; Binary: raw length;
- Number: its base-100 digits, aligned at the decimal point, from the first to the last
  non-zero pair, plus 1 (plus 1 more when negative); zero is 1 byte. (So 1.5 is 3 bytes,
  0.5 and 100 are 2: checked against DynamoDB Local at the 400 KB boundary.)
- Boolean and Null: 1 byte;
- List and Map: 3 bytes, plus 1 byte per element, plus the elements;
- sets: the sum of their elements.
The limit is 400 KB = 409,600 bytes.
"""

from __future__ import annotations

from decimal import Decimal, localcontext

MAX_ITEM_BYTES = 400 * 1024
KILOBYTE = 1024


def number_size(value: int | Decimal) -> int:
    with localcontext() as ctx:
        ctx.prec = 200
        number = Decimal(value).normalize()
    if number == 0:
        return 1
    _, digits, exponent = number.as_tuple()
    highest, lowest = exponent + len(digits) - 1, exponent  # powers of ten of the outer digits
    pairs = highest // 2 - lowest // 2 + 1
    return pairs + 1 + (1 if number < 0 else 0)


def value_size(value: object) -> int:
    if value is None or isinstance(value, bool):
        return 1
    if isinstance(value, str):
        return len(value.encode("utf-8"))
    if isinstance(value, (int, Decimal)):
        return number_size(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return len(bytes(value))
    if isinstance(value, dict):
        return 3 + sum(1 + len(str(k).encode("utf-8")) + value_size(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return 3 + sum(1 + value_size(v) for v in value)
    if isinstance(value, (set, frozenset)):
        return sum(value_size(v) for v in value)
    raise TypeError(f"no DynamoDB size for {type(value).__name__}")


def attribute_sizes(item: dict) -> dict[str, int]:
    """Bytes each top-level attribute costs (name + value); `dat` entries as `dat.<name>` too."""
    sizes = {name: len(name.encode("utf-8")) + value_size(value) for name, value in item.items()}
    dat = item.get("dat")
    if isinstance(dat, dict):
        for name, value in dat.items():
            sizes[f"dat.{name}"] = 1 + len(name.encode("utf-8")) + value_size(value)
    return sizes


def item_size(item: dict) -> int:
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in item.items())


def largest_attributes(item: dict, count: int = 3) -> list[tuple[str, int]]:
    """The biggest contributors, preferring `dat.<name>` over `dat` itself."""
    sizes = attribute_sizes(item)
    sizes.pop("dat", None)
    return sorted(sizes.items(), key=lambda pair: (-pair[1], pair[0]))[:count]


def write_units(size: int) -> int:
    """On-demand write request units for one item write: one per started kilobyte."""
    return max(1, -(-size // KILOBYTE))
