"""Full-text search in PostgreSQL, in each article's own language.

An article's search vector is stemmed with the text search configuration of its language
(``simple`` for a language PostgreSQL has no stemmer for). A query is parsed with every
configuration and the distinct results OR-ed, so "gebruiker" finds a Dutch text saying
"gebruikers" and "réunion" a French one saying "réunions".
"""

from __future__ import annotations

import re
from functools import lru_cache

from django.contrib.postgres.search import (
    SearchQuery,
    SearchVector,
    SearchVectorExact,
    SearchVectorField,
)
from django.db import connection
from django.db.models import Case, F, Func, Q, When
from django.db.models.expressions import Expression

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
    return TsQuery(" | ".join(f"( {reading} )" for reading in _readings(text)))


class Bigrams(Func):
    """The pairs of adjacent words of a search vector, as lexemes ('waiting room' -> 'wait room').

    A phrase search checks word positions in each candidate's vector, outside the index; the
    index of bigrams (``article_phrase_idx``) finds the rows that hold every pair of a phrase
    first, so that few are checked. The SQL function is created by migration 0008.
    """

    function = "vcwatch_bigrams"
    output_field = SearchVectorField()


def article_matching(text: str) -> Q:
    """Articles whose search vector matches ``text``; a phrase first narrowed by its bigrams.

    An exclusion (``-word``) is read in each article's own language only: OR-ed with the
    readings of other languages it would let through an article holding the word as its own
    language stems it ("teams" is 'team' in English, which the unstemmed reading does not
    exclude).
    """
    if any("!" in reading for reading in _readings(text)):
        return _in_own_language(text)
    matching = Q(search_vector=query_all_languages(text))
    pairs = _bigram_query(_readings(text))
    if pairs is None:
        return matching
    return matching & Q(SearchVectorExact(Bigrams(F("search_vector")), TsQuery(pairs)))


def _in_own_language(text: str) -> Q:
    by_config = _readings_by_config(text)
    arms = [(Q(language=code), by_config.get(config)) for code, config in CONFIGS.items()] + [
        (~Q(language__in=list(CONFIGS)), by_config.get(FALLBACK))
    ]
    matching = Q(pk__in=[])  # no reading in any language: nothing matches
    for rows, reading in arms:
        if reading:
            matching |= rows & Q(search_vector=TsQuery(reading))
    return matching


# A pair of adjacent words in a tsquery's text: 'a' <-> 'b' (quotes doubled inside a lexeme).
_PAIR = re.compile(r"'((?:[^']|'')+)' <-> (?='((?:[^']|'')+)')")


def _bigram_query(readings: tuple[str, ...]) -> str | None:
    """What every match must hold as bigrams, or None when that says nothing.

    Only for readings that are conjunctions (an OR or a NOT could be met without the pair), and
    only when every reading has a pair: a reading without one matches rows without bigrams.
    """
    alternatives = []
    for reading in readings:
        pairs = _PAIR.findall(reading)
        if not pairs or "|" in reading or "!" in reading:
            return None
        alternatives.append(" & ".join(f"'{first} {second}'" for first, second in pairs))
    if not alternatives:
        return None
    return " | ".join(f"( {alternative} )" for alternative in alternatives)


def _readings(text: str) -> tuple[str, ...]:
    """The distinct readings of ``text`` that keep a word (none: only stop words, or nothing;
    the empty query then matches nothing)."""
    return tuple(sorted(set(_readings_by_config(text).values())))


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
