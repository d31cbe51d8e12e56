"""Full-text search in PostgreSQL, in each article's own language.

An article's search vector is stemmed with the text search configuration of its language
(``simple`` for a language PostgreSQL has no stemmer for). A query is parsed with every
configuration and the results OR-ed, so "gebruiker" finds a Dutch text saying "gebruikers" and
"réunion" a French one saying "réunions".
"""

from __future__ import annotations

from functools import reduce

from django.contrib.postgres.search import SearchQuery, SearchVector
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


def query_all_languages(text: str) -> SearchQuery:
    """The user's query (web-search syntax: "quotes", or, -not) in every configuration."""
    configs = [*CONFIGS.values(), FALLBACK]
    queries = [SearchQuery(text, search_type="websearch", config=config) for config in configs]
    return reduce(lambda a, b: a | b, queries)
