"""Reading ids that people and query strings type."""

from __future__ import annotations


def row_id(text: str) -> int | None:
    """A database id from text, or None: ASCII digits only (`str.isdigit()` also accepts
    "¹" and "①", which `int()` refuses) and short enough for a 64-bit column."""
    text = text.strip()
    if text.isascii() and text.isdigit() and len(text) <= 18:
        return int(text)
    return None
