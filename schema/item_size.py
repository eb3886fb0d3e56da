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

from decimal import Decimal

MAX_ITEM_BYTES = 400 * 1024
KILOBYTE = 1024


def number_size(value: int | Decimal) -> int:
    if type(value) is int:
        if value == 0:
            return 1
        text = str(-value if value < 0 else value)
        significant = text.rstrip("0")
        digits, exponent = len(significant), len(text) - len(significant)
        negative = value < 0
    else:
        sign, digit_tuple, exponent = Decimal(value).as_tuple()
        end = len(digit_tuple)
        while end and digit_tuple[end - 1] == 0:  # trailing zeros are not stored
            end -= 1
        if not end or not isinstance(exponent, int):
            return 1
        start = 0
        while digit_tuple[start] == 0:
            start += 1
        exponent += len(digit_tuple) - end
        digits, negative = end - start, bool(sign)
    highest, lowest = exponent + digits - 1, exponent  # powers of ten of the outer non-zero digits
    return highest // 2 - lowest // 2 + 2 + negative


def _name_size(name: object) -> int:
    return len(name) if type(name) is str and name.isascii() else len(str(name).encode("utf-8"))


def value_size(value: object) -> int:
    kind = type(value)
    if kind is str:
        return len(value) if value.isascii() else len(value.encode("utf-8"))
    if kind is int or kind is Decimal:
        return number_size(value)
    if value is None or kind is bool:
        return 1
    if kind is dict:
        total = 3
        for name, member in value.items():
            total += 1 + _name_size(name) + value_size(member)
        return total
    if kind is list or kind is tuple:
        total = 3
        for member in value:
            total += 1 + value_size(member)
        return total
    if kind is bytes or kind is bytearray or kind is memoryview:
        return len(bytes(value))
    if kind is set or kind is frozenset:
        return sum(value_size(member) for member in value)
    # Subclasses of the types above (and boto3's Binary wrapper), by their base type.
    if isinstance(value, bool):
        return 1
    if isinstance(value, int):
        return number_size(int(value))
    if isinstance(value, str):
        return len(str(value).encode("utf-8"))
    if isinstance(getattr(value, "value", None), (bytes, bytearray)):
        return len(value.value)
    raise TypeError(f"no DynamoDB size for {kind.__name__}")


def attribute_sizes(item: dict) -> dict[str, int]:
    """Bytes each top-level attribute costs (name + value); `dat` entries as `dat.<name>` too."""
    sizes = {name: len(name.encode("utf-8")) + value_size(value) for name, value in item.items()}
    dat = item.get("dat")
    if isinstance(dat, dict):
        for name, value in dat.items():
            sizes[f"dat.{name}"] = 1 + len(name.encode("utf-8")) + value_size(value)
    return sizes


def item_size(item: dict) -> int:
    total = 0
    for name, value in item.items():
        total += _name_size(name) + value_size(value)
    return total


def largest_attributes(item: dict, count: int = 3) -> list[tuple[str, int]]:
    """The biggest contributors, preferring `dat.<name>` over `dat` itself."""
    sizes = attribute_sizes(item)
    sizes.pop("dat", None)
    return sorted(sizes.items(), key=lambda pair: (-pair[1], pair[0]))[:count]


def write_units(size: int) -> int:
    """On-demand write request units for one item write: one per started kilobyte."""
    return max(1, -(-size // KILOBYTE))
