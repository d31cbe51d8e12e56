"""Storing fetched articles once: by canonical URL, by content, and as the near-duplicate of a
story already stored (the same wire story on a second site).

Documents are stored in batches (a feed's new items): each kind of lookup is one query for the
whole batch, and the articles are inserted together, which is most of what a document costs
once its language is told. A batch behaves as its documents stored one after the other, in order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from incidents.dates import PartialDate, Precision
from incidents.ingestion.dedupe import (
    near_duplicates,
    signature_bands,
    signature_similarity,
    text_signature,
)
from incidents.ingestion.gazetteer import gazetteer_current, relevance_fields
from incidents.ingestion.language import languages_detect
from incidents.ingestion.plaintext import text_storable
from incidents.ingestion.relevance import relevance_score
from incidents.limits import ARTICLE_AUTHOR_MAX, ARTICLE_PUBLISHER_MAX, ARTICLE_TITLE_MAX
from incidents.models import Article
from incidents.text import content_hash, normalize_text

# Stories sharing a band key with a new one, at most, compared with it (per document of a batch).
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


@dataclass(frozen=True)
class Document:
    """A document to store. ``url`` is canonical, or empty for a document without one (it is
    then known by its text's hash, ``urn:sha256:...``). ``language`` (ISO 639-1) is taken as
    given; otherwise it is detected, ``language_hint`` standing in when the text does not tell."""

    url: str
    title: str
    text: str
    published: dt.date | PartialDate | None = None
    author: str = ""
    publisher: str = ""
    language_hint: str | None = None
    language: str | None = None


def article_ingest(**document) -> Ingested:
    """Store one document (the fields of ``Document``) once; raises NotStorable."""
    (result,) = articles_ingest([Document(**document)])
    if isinstance(result, NotStorable):
        raise result
    return result


def articles_ingest(documents: Sequence[Document]) -> list[Ingested | NotStorable]:
    """Store each document once, whatever feed or file it came from, as if one after the other;
    for each, what was stored or why it could not be. Safe to run twice at once."""
    results: dict[int, Ingested | NotStorable] = {}
    # A URL stored before is that story, whatever text came with it this time.
    urls = [document.url for document in documents if document.url]
    by_url = {article.url: article for article in Article.objects.filter(url__in=urls)}
    fresh: list[tuple[int, Article]] = []
    for index, document in enumerate(documents):
        known = by_url.get(document.url) if document.url else None
        if known is not None:
            results[index] = Ingested(known, Stored.KNOWN)
            continue
        try:
            fresh.append((index, _unsaved(document)))
        except NotStorable as error:
            results[index] = error
    _languages_tell([article for _, article in fresh], [documents[i] for i, _ in fresh])
    for index, article in fresh:
        if not article.language:
            results[index] = NotStorable(
                "the language of the text could not be told and no hint was given"
            )
    fresh = [(index, article) for index, article in fresh if article.language]
    for index, ingested in _store(fresh):
        results[index] = ingested
    return [results[index] for index in range(len(documents))]


def _unsaved(document: Document) -> Article:
    """The article a document makes, but its language, relevance and duplicate; NotStorable."""
    text = normalize_text(text_storable(document.text))
    title = normalize_text(text_storable(document.title))[:ARTICLE_TITLE_MAX] or text[:80]
    if not text:
        raise NotStorable("the document has no text")
    digest = content_hash(text)
    # A feed's date is a day; a document's may be known to its month or year only.
    published = document.published
    day, precision = (
        (published.start, published.precision)
        if isinstance(published, PartialDate)
        else (published, Precision.DAY)
    )
    if day is not None and day > timezone.now().date():
        day = None  # a date to come is a mistake, not a fact
    signature = text_signature(text)
    return Article(
        url=document.url or f"urn:sha256:{digest}",
        title=title,
        text=text,
        content_hash=digest,
        language=document.language or "",
        author=normalize_text(text_storable(document.author))[:ARTICLE_AUTHOR_MAX],
        publisher=normalize_text(text_storable(document.publisher))[:ARTICLE_PUBLISHER_MAX],
        published_on=day,
        published_on_precision=precision if day else None,
        signature=signature,
        signature_bands=signature_bands(signature) if signature else None,
    )


def _languages_tell(articles: list[Article], documents: list[Document]) -> None:
    """Each article's language (detected unless given, the hint when it cannot be told) and,
    in that language, its relevance."""
    untold = [article for article in articles if not article.language]
    detected = languages_detect([f"{article.title}\n{article.text}" for article in untold])
    for article, language in zip(untold, detected, strict=True):
        article.language = language or ""
    gazetteer = gazetteer_current()
    for article, document in zip(articles, documents, strict=True):
        article.language = article.language or document.language_hint or ""
        if article.language:
            relevance = relevance_score(
                gazetteer, title=article.title, text=article.text, language=article.language
            )
            for name, value in relevance_fields(relevance).items():
                setattr(article, name, value)


def _store(fresh: list[tuple[int, Article]]) -> list[tuple[int, Ingested]]:
    """Insert the articles whose URL and text are not stored yet, each pointing at the story it
    repeats; an article whose URL or text is stored (or earlier in the batch) is that one."""
    if not fresh:
        return []
    digests = [article.content_hash for _, article in fresh]
    urls = [article.url for _, article in fresh]
    stored = list(Article.objects.filter(Q(content_hash__in=digests) | Q(url__in=urls)))
    by_digest = {article.content_hash: article for article in stored}
    by_url = {article.url: article for article in stored}
    results: list[tuple[int, Ingested]] = []
    new: list[Article] = []
    for index, article in fresh:
        known = by_digest.get(article.content_hash) or by_url.get(article.url)
        if known is not None:
            # Stored, or earlier in this batch (then saved below, with its id by the end).
            results.append((index, Ingested(known, Stored.KNOWN)))
            continue
        by_digest[article.content_hash] = by_url[article.url] = article
        new.append(article)
        results.append((index, Ingested(article, Stored.NEW)))
    originals = _originals_of(new)
    # Ids taken in the batch's order, so that a duplicate of a story earlier in the batch can
    # point at it and every article is inserted in one statement, as if one after the other.
    _ids_take(new)
    for article in new:
        if id(article) in originals:
            article.duplicate_of_id = originals[id(article)].pk
    lost = _insert(new)
    return [(index, _settled(ingested, lost)) for index, ingested in results]


def _settled(ingested: Ingested, lost: dict[int, Article]) -> Ingested:
    """What was stored once the batch is in: the other worker's story for one that lost a race,
    a duplicate for a new article that repeats another."""
    if id(ingested.article) in lost:
        return Ingested(lost[id(ingested.article)], Stored.KNOWN)
    if ingested.stored is Stored.NEW and ingested.article.duplicate_of_id is not None:
        return Ingested(ingested.article, Stored.DUPLICATE)
    return ingested


def _originals_of(new: list[Article]) -> dict[int, Article]:
    """Set each article's ``duplicate_of_id`` to the first stored story it repeats: the most
    similar among those sharing a band key (originals, not their duplicates), the oldest on a
    tie. The articles whose original is earlier in the batch, by ``id()``, with that original."""
    keys = sorted({key for article in new for key in article.signature_bands or ()})
    if not keys:
        return {}
    # Only the band index is asked (no ORDER BY, no duplicate_of condition in SQL): with either,
    # the planner may walk the primary key or AND in a bitmap of every original, both of which
    # grow with the table; the few rows sharing a band are filtered here. The keys are a
    # subquery's value, which the planner cannot see: it estimates a literal array of a batch's
    # thousand keys to match most rows, and scans the table comparing each row's keys with all
    # of them (63 ms on 2,000 rows, against 5 ms through the index).
    rows = (
        Article.objects.filter(signature_bands__overlap=RawSQL("SELECT %s::integer[]", (keys,)))
        .order_by()
        .values_list("id", "signature", "signature_bands", "duplicate_of_id")[
            : MAX_CANDIDATES * len(new)
        ]
    )
    # Candidates by band key: stored ones (age (0, id)), then the batch's (age (1, position)).
    by_key: dict[int, list[tuple[tuple[int, int], list[int], Article | None]]] = {}
    for pk, signature, bands, duplicate_of in rows:
        if duplicate_of is None and signature:
            for key in bands or ():
                by_key.setdefault(key, []).append(((0, pk), signature, None))
    in_batch: dict[int, Article] = {}
    for position, article in enumerate(new):
        if not article.signature:
            continue
        candidates = {
            age: (signature, earlier)
            for key in article.signature_bands or ()
            for age, signature, earlier in by_key.get(key, ())
        }
        best: tuple[float, tuple[int, int]] | None = None
        for age in sorted(candidates):
            signature = candidates[age][0]
            if near_duplicates(article.signature, signature):
                similarity = signature_similarity(article.signature, signature)
                if best is None or similarity > best[0]:
                    best = (similarity, age)
        if best is None:
            for key in article.signature_bands or ():
                by_key.setdefault(key, []).append(((1, position), article.signature, article))
        elif (earlier := candidates[best[1]][1]) is not None:
            in_batch[id(article)] = earlier
        else:
            article.duplicate_of_id = best[1][1]
    return in_batch


def _ids_take(articles: list[Article]) -> None:
    """Give each article the next id of the table's sequence, in order: one query."""
    if not articles:
        return
    table = Article._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, len(articles)],
        )
        ids = sorted(row[0] for row in cursor.fetchall())
    for article, pk in zip(articles, ids, strict=True):
        article.pk = pk


def _insert(articles: list[Article]) -> dict[int, Article]:
    """Insert the articles, in order; those another worker stored a moment ago (same URL or
    text) are not, and are returned by ``id()`` with the stored one, which stands (and which the
    duplicates of a lost one then point at)."""
    if not articles:
        return {}
    try:
        with transaction.atomic():
            Article.objects.bulk_create(articles)
        return {}
    except IntegrityError:
        pass  # a race lost: one by one, so that the others are stored
    lost: dict[int, Article] = {}
    stands_for: dict[int, int] = {}  # the id of a lost article: the story that stands
    for article in articles:
        if article.duplicate_of_id in stands_for:
            article.duplicate_of_id = stands_for[article.duplicate_of_id]
        try:
            with transaction.atomic():
                article.save(force_insert=True)
        except IntegrityError:
            known = (
                Article.objects.filter(url=article.url).first()
                or Article.objects.filter(content_hash=article.content_hash).first()
            )
            if known is None:
                raise
            lost[id(article)] = known
            stands_for[article.pk] = known.duplicate_of_id or known.pk
    return lost
