"""Full-text search in PostgreSQL, in each article's own language.

An article's search vector is stemmed with the text search configuration of its language
(``simple`` for a language PostgreSQL has no stemmer for). A query is parsed with every
configuration and the distinct results OR-ed, so "gebruiker" finds a Dutch text saying
"gebruikers" and "réunion" a French one saying "réunions".
"""

from __future__ import annotations

from functools import lru_cache

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Case, When
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
    return TsQuery(_readings(text))


@lru_cache(maxsize=4096)
def _readings(text: str) -> str:
    configs = [*CONFIGS.values(), FALLBACK]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT q::text FROM unnest(%s::regconfig[]) AS c,"
            " websearch_to_tsquery(c, %s) AS q WHERE numnode(q) > 0 ORDER BY 1",
            [configs, text],
        )
        readings = [row[0] for row in cursor.fetchall()]
    # An empty tsquery (only stop words, or nothing) matches nothing, as it should.
    return " | ".join(f"( {reading} )" for reading in readings)
