"""JSON parsing that refuses what PostgreSQL cannot store: NUL bytes and lone surrogates."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class StrictJSONParser(JSONParser):
    """Parse JSON, then refuse (400) any string holding a NUL byte or a lone surrogate.

    PostgreSQL rejects both in text, so without this check they would reach a query or an
    insert and fail there as a 500.
    """

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        bad = _find_unstorable(data, "")
        if bad is not None:
            where = bad or "the body"
            raise ParseError(f"{where}: text may not contain NUL bytes or lone surrogates.")
        return data


def _find_unstorable(value: Any, path: str) -> str | None:
    if isinstance(value, str):
        return path if not is_storable(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and not is_storable(key):
                return path
            found = _find_unstorable(item, f"{path}.{key}" if path else str(key))
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _find_unstorable(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


def is_storable(text: str) -> bool:
    """Whether PostgreSQL can store ``text``: no NUL byte and valid UTF-8 (no lone surrogate)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
