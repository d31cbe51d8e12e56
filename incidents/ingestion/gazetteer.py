"""The gazetteer as the database holds it (admins edit it), built once per change of it."""

from __future__ import annotations

from django.db.models import Count, Max

from incidents.ingestion.relevance import (
    Gazetteer,
    Relevance,
    Term,
    TermKind,
    gazetteer_build,
    relevance_score,
)
from incidents.models import GazetteerTerm

_built: tuple[tuple, Gazetteer] | None = None


def gazetteer_version() -> tuple:
    """Changes whenever a term is added, changed or removed (one small query)."""
    return tuple(GazetteerTerm.objects.aggregate(n=Count("id"), at=Max("updated_at")).values())


def gazetteer_current() -> Gazetteer:
    """The enabled terms, indexed; rebuilt when a term is added, changed or removed (one small
    query tells: building costs milliseconds, the query a fraction of one)."""
    global _built
    version = gazetteer_version()
    if _built is None or _built[0] != version:
        terms = [
            Term(
                text=t.text, kind=TermKind(t.kind), weight=t.weight, language=t.language, key=t.key
            )
            for t in GazetteerTerm.objects.filter(enabled=True).order_by("id")
        ]
        _built = (version, gazetteer_build(terms))
    return _built[1]


def article_relevance(*, title: str, text: str, language: str | None) -> Relevance:
    """The relevance of a text by the current gazetteer."""
    return relevance_score(gazetteer_current(), title=title, text=text, language=language)


def relevance_fields(relevance: Relevance) -> dict:
    """An article's ``relevance`` and ``matched_terms`` from a score (rounded for display)."""
    return {
        "relevance": round(min(max(relevance.score, 0.0), 1.0), 4),
        "matched_terms": [
            {
                "key": m.key,
                "term": m.term,
                "kind": str(m.kind),
                "count": m.count,
                "in_title": m.in_title,
            }
            for m in relevance.matched
        ],
    }
