"""The one shape of "this cannot become an item": a message and a reason code.

The code groups reasons in dead-letter files and reports (null_required, invalid_key,
key_too_long, invalid_json, not_a_number, item_too_large, ...); each subclass has a default.
"""

from __future__ import annotations


class Rejected(ValueError):
    default_code = "invalid_value"

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.code = code or self.default_code
