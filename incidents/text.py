"""Text normalisation shared by hashing, quoting and search."""

import hashlib
import re
import unicodedata

_WHITESPACE = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """NFC, with runs of whitespace folded to one space and the ends trimmed."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


def content_hash(text: str) -> str:
    """sha256 of the normalised text: two copies of a document differing in layout hash alike."""
    return hashlib.sha256(normalize_text(text).encode("utf-8")).hexdigest()


def quote_in_text(quote: str, text: str) -> bool:
    """Whether ``quote`` occurs word for word in ``text``, whitespace folded."""
    quote = normalize_text(quote)
    return bool(quote) and quote in normalize_text(text)
