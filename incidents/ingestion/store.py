"""Storing a fetched article once: by canonical URL, by content, and as the near-duplicate of a
story already stored (the same wire story on a second site)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from django.db import IntegrityError, transaction
from django.utils import timezone

from incidents.dates import PartialDate, Precision
from incidents.ingestion.dedupe import (
    near_duplicates,
    signature_bands,
    signature_similarity,
    text_signature,
)
from incidents.ingestion.gazetteer import article_relevance, relevance_fields
from incidents.ingestion.language import language_detect
from incidents.ingestion.plaintext import text_storable
from incidents.limits import ARTICLE_AUTHOR_MAX, ARTICLE_PUBLISHER_MAX, ARTICLE_TITLE_MAX
from incidents.models import Article
from incidents.text import content_hash, normalize_text

# Stories sharing a band key with a new one, at most, compared with it.
MAX_CANDIDATES = 500


class Stored(StrEnum):
    NEW = "new"  # a story not stored before
    DUPLICATE = "duplicate"  # stored, pointing at the story it repeats
    KNOWN = "known"  # this URL or this very text was stored already: nothing new stored


class NotStorable(Exception):
    """The document cannot become an article (no text, no language); str() says why."""


@dataclass(frozen=True)
class Ingested:
    article: Article
    stored: Stored


def article_ingest(
    *,
    url: str,
    title: str,
    text: str,
    published: dt.date | PartialDate | None = None,
    author: str = "",
    publisher: str = "",
    language_hint: str | None = None,
    language: str | None = None,
) -> Ingested:
    """Store a document once, whatever feed or file it came from; safe to run twice at once.

    ``url`` is canonical, or empty for a document without one (it is then known by its text's
    hash, ``urn:sha256:...``). ``language`` (ISO 639-1) is taken as given; otherwise it is
    detected, ``language_hint`` standing in when the text does not tell. Raises NotStorable.
    """
    if url:
        # A URL stored before is that story, whatever text came with it this time.
        known = Article.objects.filter(url=url).first()
        if known is not None:
            return Ingested(known, Stored.KNOWN)
    text = normalize_text(text_storable(text))
    title = normalize_text(text_storable(title))[:ARTICLE_TITLE_MAX] or text[:80]
    if not text:
        raise NotStorable("the document has no text")
    digest = content_hash(text)
    url = url or f"urn:sha256:{digest}"
    # (A URL given was looked up above; a text's URN is its hash.)
    known = Article.objects.filter(content_hash=digest).first()
    if known is not None:
        return Ingested(known, Stored.KNOWN)
    language = language or language_detect(f"{title}\n{text}") or (language_hint or None)
    if not language:
        raise NotStorable("the language of the text could not be told and no hint was given")
    relevance = article_relevance(title=title, text=text, language=language)
    signature = text_signature(text)
    bands = signature_bands(signature) if signature else None
    original = _original_of(signature, bands) if signature and bands else None
    today = timezone.now().date()
    # A feed's date is a day; a document's may be known to its month or year only.
    day, precision = (
        (published.start, published.precision)
        if isinstance(published, PartialDate)
        else (published, Precision.DAY)
    )
    if day is not None and day > today:
        day = None  # a date to come is a mistake, not a fact
    article = Article(
        url=url,
        title=title,
        text=text,
        content_hash=digest,
        language=language,
        author=normalize_text(text_storable(author))[:ARTICLE_AUTHOR_MAX],
        publisher=normalize_text(text_storable(publisher))[:ARTICLE_PUBLISHER_MAX],
        published_on=day,
        published_on_precision=precision if day else None,
        signature=signature,
        signature_bands=bands,
        duplicate_of_id=original,
        **relevance_fields(relevance),
    )
    try:
        with transaction.atomic():
            article.save(force_insert=True)
    except IntegrityError:
        # Another worker stored the same URL or text a moment ago: that one stands.
        known = (
            Article.objects.filter(url=url).first()
            or Article.objects.filter(content_hash=digest).first()
        )
        if known is None:
            raise
        return Ingested(known, Stored.KNOWN)
    return Ingested(article, Stored.DUPLICATE if original else Stored.NEW)


def _original_of(signature: list[int], bands: list[int]) -> int | None:
    """The first stored story this one repeats: the most similar among those sharing a band
    key (the originals, not their duplicates), the oldest on a tie."""
    # Only the band index is asked (no ORDER BY, no duplicate_of condition in SQL): with either,
    # the planner may walk the primary key or AND in a bitmap of every original, both of which
    # grow with the table; the few rows sharing a band are filtered here.
    candidates = (
        Article.objects.filter(signature_bands__overlap=bands)
        .order_by()
        .values_list("id", "signature", "duplicate_of_id")[:MAX_CANDIDATES]
    )
    best: tuple[float, int] | None = None
    for pk, other, duplicate_of in candidates:
        if duplicate_of is None and other and near_duplicates(signature, other):
            similarity = signature_similarity(signature, other)
            if best is None or (similarity, -pk) > (best[0], -best[1]):
                best = (similarity, pk)
    return best[1] if best else None
