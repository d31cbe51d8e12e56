"""The gazetteer as the database holds it (admins edit it), built once per change of it."""

from __future__ import annotations

import time

from django.db.models import Count, Max
from django.db.models.signals import post_delete, post_save

from incidents.ingestion.relevance import (
    Gazetteer,
    Relevance,
    Term,
    TermKind,
    gazetteer_build,
    relevance_score,
)
from incidents.models import GazetteerTerm

# How long a process trusts the version it last read: a term edited elsewhere (the admin in the
# web process, a worker) is in use everywhere within this; an edit in this process at once.
VERSION_TTL = 5.0

_built: tuple[tuple, Gazetteer] | None = None
_version: tuple[float, tuple] | None = None


def gazetteer_version() -> tuple:
    """Changes whenever a term is added, changed or removed: one small query, asked at most
    every VERSION_TTL seconds (it ran twice per ingested item, a tenth of the store's time)."""
    global _version
    now = time.monotonic()
    if _version is None or now - _version[0] >= VERSION_TTL:
        found = GazetteerTerm.objects.aggregate(n=Count("id"), at=Max("updated_at")).values()
        _version = (now, tuple(found))
    return _version[1]


def gazetteer_forget(**kwargs) -> None:
    """Read the terms again on next use (a term saved or deleted in this process)."""
    global _built, _version
    _built = _version = None


post_save.connect(gazetteer_forget, sender=GazetteerTerm, dispatch_uid="gazetteer_forget_save")
post_delete.connect(gazetteer_forget, sender=GazetteerTerm, dispatch_uid="gazetteer_forget_delete")


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
