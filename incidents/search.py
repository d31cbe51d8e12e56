"""Full-text search in PostgreSQL, in each article's own language.

An article's search vector is stemmed with the text search configuration of its language
(``simple`` for a language PostgreSQL has no stemmer for). A query is parsed with every
configuration and the distinct results OR-ed, so "gebruiker" finds a Dutch text saying
"gebruikers" and "réunion" a French one saying "réunions".
"""

from __future__ import annotations

import operator
from collections import defaultdict
from functools import lru_cache, reduce

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import BooleanField, Case, F, Func, Q, When
from django.db.models.expressions import Expression

from incidents.search_phrases import phrase_narrowing

# ISO 639-1 -> PostgreSQL text search configuration.
CONFIGS = {
    "da": "danish",
    "de": "german",
    "en": "english",
    "es": "spanish",
    "fr": "french",
    "it": "italian",
    "nl": "dutch",
    "pt": "portuguese",
    "sv": "swedish",
}
FALLBACK = "simple"


def _weighted(config: str, fields: dict[str, str]) -> Expression:
    vectors = [SearchVector(f, config=config, weight=w) for f, w in fields.items()]
    combined: Expression = vectors[0]
    for vector in vectors[1:]:
        combined = combined + vector  # tsvector concatenation
    return combined


def language_vector(*, language_field: str, fields: dict[str, str]) -> Case:
    """A tsvector of ``fields`` (name -> weight A-D) stemmed in the row's language.

    Every branch names its configuration as a constant, which keeps the expression immutable
    as a stored generated column requires.
    """
    return Case(
        *[
            When(**{language_field: code}, then=_weighted(config, fields))
            for code, config in CONFIGS.items()
        ],
        default=_weighted(FALLBACK, fields),
    )


def english_vector(*, fields: dict[str, str]) -> Expression:
    """Analysts' own text: English stems, plus unstemmed words for names and other languages."""
    return _weighted("english", fields) + _weighted(FALLBACK, fields)


class TsQuery(SearchQuery):
    """A query already in PostgreSQL's tsquery syntax, taken as it is (no parsing, no stemming)."""

    template = "%(expressions)s::tsquery"

    def __init__(self, value: str) -> None:
        super().__init__(value, search_type="raw")


def query_all_languages(text: str) -> SearchQuery:
    """The user's query (web-search syntax: "quotes", or, -not) in every configuration.

    The query goes to PostgreSQL as a constant the planner can see, with each distinct reading
    once: most words stem alike in most languages, and ten copies of one reading would make
    the planner think it matches ten times as many rows (and scan the table instead of the
    index).
    """
    return TsQuery(_query_text(text))


def _query_text(text: str) -> str:
    return " | ".join(f"( {reading} )" for reading in _readings(text))


def article_matching(text: str, *, indexable: bool = True) -> Q:
    """Articles whose search vector matches ``text``; ``indexable=False`` leaves the index the
    readings of every language together (``article_candidates``) and the check in each row's
    own language to the rows it finds."""
    own_language = exclusions_in_own_language(text, indexable=indexable)
    matching = article_candidates(text)
    return matching if own_language is None else matching & own_language


def article_candidates(text: str) -> Q:
    """Articles matching ``text`` in one language or another (``article_matching`` is exact),
    with a phrase's rows found through the pair index."""
    return _narrowed(Q(search_vector=query_all_languages(text)), text)


def article_matching_scanned(text: str) -> Q:
    """``article_matching`` as a scan of the full-text index should ask for it.

    With an exclusion, the index would read the entries of the excluded word too (every
    article holding "teams", for "phishing -teams") to tell which rows lack it. It is asked for
    the query's positive part instead (PostgreSQL's ``querytree``), and each row it finds is
    checked in its own language by function calls, which the planner does not give to the index.
    """
    positive = _positive_part(_query_text(text))
    own_language = exclusions_in_own_language(text, indexable=False)
    if positive is None or own_language is None:
        return article_matching(text)
    return _narrowed(Q(search_vector=TsQuery(positive)) & own_language, text)


def _narrowed(condition: Q, text: str) -> Q:
    """``condition`` and, for a phrase, the rows holding its word pairs."""
    narrowing = phrase_narrowing(_readings(text))
    return condition if narrowing is None else condition & narrowing


def exclusions_in_own_language(text: str, *, indexable: bool = True) -> Q | None:
    """With an exclusion (``-word``), the query read in each article's own language; else None.

    OR-ed with the readings of other languages, an exclusion would let through an article
    holding the word as its own language stems it ("teams" is 'team' in English, which the
    unstemmed reading does not exclude). Without one, the readings OR-ed decide alone.
    ``indexable=False`` tests each reading by a function call the planner keeps from the index.
    """
    by_config = _readings_by_config(text)
    if not any("!" in reading for reading in by_config.values()):
        return None
    # The languages that read the query alike, together: one test per distinct reading.
    languages: dict[str, list[Q]] = defaultdict(list)
    for code, config in CONFIGS.items():
        if config in by_config:
            languages[by_config[config]].append(Q(language=code))
    if FALLBACK in by_config:
        languages[by_config[FALLBACK]].append(~Q(language__in=list(CONFIGS)))
    return reduce(
        operator.or_,
        [
            reduce(operator.or_, rows) & _vector_matches(r, indexable=indexable)
            for r, rows in languages.items()
        ],
    )


def _vector_matches(reading: str, *, indexable: bool) -> Q:
    """Rows whose search vector matches ``reading``: by the ``@@`` operator the full-text index
    answers, or by the function behind it, which the planner keeps from the index."""
    if indexable:
        return Q(search_vector=TsQuery(reading))
    call = Func(
        F("search_vector"), TsQuery(reading), function="ts_match_vq", output_field=BooleanField()
    )
    return Q(call)


def _readings(text: str) -> tuple[str, ...]:
    """The distinct readings of ``text`` that keep a word (none: only stop words, or nothing;
    the empty query then matches nothing)."""
    return tuple(sorted(set(_readings_by_config(text).values())))


@lru_cache(maxsize=4096)
def _positive_part(query: str) -> str | None:
    """What of ``query`` (tsquery text) the full-text index answers, when that is less than
    the whole and not nothing (``T``: a query of exclusions alone); else None."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT querytree(%s::tsquery), %s::tsquery::text", [query, query])
        positive, whole = cursor.fetchone()
    return None if positive in ("", "T", whole) else positive


@lru_cache(maxsize=4096)
def _readings_by_config(text: str) -> dict[str, str]:
    """Configuration -> ``text`` read with it, for the configurations where it keeps a word."""
    configs = [*CONFIGS.values(), FALLBACK]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c::text, q::text FROM unnest(%s::regconfig[]) AS c,"
            " websearch_to_tsquery(c, %s) AS q WHERE numnode(q) > 0",
            [configs, text],
        )
        return dict(cursor.fetchall())
