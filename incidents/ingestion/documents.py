"""A document from a file (plain text or HTML) through the same pipeline as a feed's article:
extracted, stored once, scored and linked to the incidents it speaks of."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from incidents.dates import PartialDate, Precision
from incidents.ingestion.extract import ExtractFailed, page_extract_limited
from incidents.ingestion.linking import LinkReport, article_link
from incidents.ingestion.store import Ingested, NotStorable, Stored, article_ingest

# A news document is kilobytes; a file this large is not one.
MAX_BYTES = 5 * 1024 * 1024
# The first line of a plain-text document is its title when it is this short.
MAX_TITLE_LINE = 300
# A first line longer than this is a paragraph (a lead without a headline): its first sentence is
# the title.
SHORT_LINE = 120
# A sentence ends before a capital, a digit or an opening quote (straight or curly).
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'\u201c\u2018])")
_HTML = re.compile(rb"^\s*(?:<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>])", re.IGNORECASE)


class DocumentRefused(Exception):
    """The file cannot become an article; str() says why in one line."""


@dataclass(frozen=True)
class DocumentIngested:
    ingested: Ingested
    links: LinkReport


def document_ingest(
    path: Path,
    *,
    language: str | None = None,
    title: str = "",
    url: str = "",
    published: PartialDate | None = None,
) -> DocumentIngested:
    """Ingest the file at ``path``; ``language`` None detects it. A document stored before is
    not stored or linked again. Raises DocumentRefused."""
    body = _read(path)
    if _HTML.match(body[:1024]):
        try:
            page = page_extract_limited(body, url=url or "https://document.invalid/")
        except ExtractFailed as error:
            raise DocumentRefused(f"{path}: {error}") from None
        if page is None:
            raise DocumentRefused(f"{path}: no article text could be extracted from the HTML")
        title = title or page.title
        text = page.text
        if published is None and page.published is not None:
            published = PartialDate(page.published, Precision.DAY)
        hint, author, publisher = page.language, page.author, page.publisher
    else:
        text = _decode(path, body)
        title = title or _first_line(text)
        hint, author, publisher = None, "", ""
    try:
        ingested = article_ingest(
            url=url,
            title=title,
            text=text,
            published=published,
            author=author,
            publisher=publisher,
            language=language,
            language_hint=hint,
        )
    except NotStorable as error:
        raise DocumentRefused(f"{path}: {error}") from None
    links = LinkReport()
    if ingested.stored is not Stored.KNOWN:
        links = article_link(ingested.article)
    return DocumentIngested(ingested, links)


def _read(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise DocumentRefused(f"{path}: larger than {MAX_BYTES:,} bytes")
        return path.read_bytes()
    except IsADirectoryError:
        raise DocumentRefused(f"{path}: is a directory, not a file") from None
    except OSError as error:
        raise DocumentRefused(f"{path}: {error.strerror or error}") from None


def _decode(path: Path, body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DocumentRefused(
            f"{path}: not UTF-8 text (byte {error.start}); convert it first, "
            "e.g. iconv -f latin1 -t utf-8"
        ) from None


def _first_line(text: str) -> str:
    """The first non-blank line, or its first sentence when the line is a paragraph, without a
    final full stop ("" when even that is too long to be a title: the store then takes the
    text's start)."""
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if len(line) > SHORT_LINE:
            line = _SENTENCE_END.split(line, maxsplit=1)[0]
        return line.rstrip(".") if len(line) <= MAX_TITLE_LINE else ""
    return ""
