"""Timeline services: dated events and the citations that back them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from incidents.dates import PartialDate
from incidents.exceptions import RecordLocked
from incidents.models import (
    Article,
    Citation,
    Incident,
    TimelineEvent,
)
from incidents.services.common import touch_incident
from incidents.services.incidents import incident_link_article
from incidents.text import normalize_text, quote_in_text


@dataclass(frozen=True)
class CitationInput:
    """An article cited by a timeline event, with the supporting sentence if any."""

    article: Article
    quote: str = ""


def timeline_event_create(
    *,
    incident: Incident,
    when: PartialDate,
    kind: str,
    description: str,
    created_by: User | None,
    citations: Sequence[CitationInput] = (),
) -> TimelineEvent:
    """Add a dated event to an incident's timeline; its cited articles become sources."""
    errors: dict[str, list[str]] = {}
    _check_quotes(citations, errors)
    if errors:
        raise ValidationError(errors)
    event = TimelineEvent(
        incident=incident,
        date=when.start,
        date_precision=when.precision,
        kind=kind,
        description=description.strip(),
        created_by=created_by,
    )
    event.full_clean()
    with transaction.atomic():
        event.save()
        for citation in citations:
            citation_add(
                event=event, article=citation.article, quote=citation.quote, actor=created_by
            )
        touch_incident(incident, created_by)
    return event


def citation_add(
    *, event: TimelineEvent, article: Article, quote: str = "", actor: User | None
) -> Citation:
    """Cite ``article`` for ``event``; the quote must occur in the article's text."""
    errors: dict[str, list[str]] = {}
    _check_quotes([CitationInput(article, quote)], errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        citation, _ = Citation.objects.get_or_create(
            event=event, article=article, quote=normalize_text(quote)
        )
        incident_link_article(incident=event.incident, article=article, linked_by=actor)
    return citation


def citation_remove(*, event: TimelineEvent, article: Article, actor: User | None) -> int:
    """Stop citing ``article`` for ``event``; the article stays a source of the incident."""
    with transaction.atomic():
        removed, _ = Citation.objects.filter(event=event, article=article).delete()
        if removed:
            touch_incident(event.incident, actor)
    return removed


def _check_quotes(citations: Iterable[CitationInput], errors: dict[str, list[str]]) -> None:
    for citation in citations:
        if citation.quote and not quote_in_text(citation.quote, citation.article.text):
            errors.setdefault("quote", []).append(
                f"{citation.quote[:80]!r} does not occur in article #{citation.article.pk}."
            )


def timeline_event_update(
    *,
    event: TimelineEvent,
    actor: User | None,
    when: PartialDate | None = None,
    kind: str | None = None,
    description: str | None = None,
) -> TimelineEvent:
    """Correct an event's date, kind or description; status changes are the workflow's record."""
    if event.kind == TimelineEvent.Kind.STATUS_CHANGE:
        raise RecordLocked("A status change is the workflow's record and is not edited.")
    if when is not None:
        event.date, event.date_precision = when.start, when.precision
    if kind is not None:
        event.kind = kind
    if description is not None:
        event.description = description.strip()
    event.full_clean()
    with transaction.atomic():
        event.save()
        touch_incident(event.incident, actor)
    return event


def timeline_event_delete(*, event: TimelineEvent, actor: User | None) -> None:
    """Remove an event and its citations; status changes stay."""
    if event.kind == TimelineEvent.Kind.STATUS_CHANGE:
        raise RecordLocked("A status change is the workflow's record and is not deleted.")
    with transaction.atomic():
        event.delete()
        touch_incident(event.incident, actor)
