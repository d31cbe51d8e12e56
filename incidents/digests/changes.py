"""The changes a digest reports, read once for a whole batch of digests.

Changes are new incidents (``Incident.created_at``), status changes (the ``status_change``
timeline events ``incident_transition`` records), other timeline events (by when they were
recorded, not the date they describe) and newly linked articles (``IncidentSource.linked_at``).
An article and its near-duplicates (``duplicate_of``) are one story with several sources.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from enum import StrEnum

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import OuterRef, Q
from django.utils.text import Truncator

from incidents.dates import PartialDate, Precision
from incidents.models import Article, Incident, IncidentSource, TimelineEvent
from incidents.models.incidents import IncidentCategory, IncidentStatus
from incidents.models.timeline import TimelineEventKind

# Timeline descriptions are usually a line; a pasted paragraph is cut in the mail.
TEXT_LIMIT = 400


class ChangeKind(StrEnum):
    NEW_INCIDENT = "new_incident"
    STATUS = "status"
    TIMELINE = "timeline"
    ARTICLE = "article"


@dataclass(frozen=True)
class Source:
    title: str
    url: str
    publisher: str

    @property
    def linkable(self) -> bool:
        """An http(s) address; a document without one is named by a URN, not linked."""
        return self.url.startswith(("https://", "http://"))


@dataclass(frozen=True)
class Story:
    """One report, with every outlet that carried it (the original first)."""

    title: str
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class Change:
    kind: str  # a ChangeKind
    at: dt.datetime
    text: str


@dataclass(frozen=True)
class IncidentRow:
    """An incident as a digest shows and filters it."""

    pk: int
    slug: str
    title: str
    severity: str
    status: str
    category: str
    platform_ids: frozenset[int]
    created_at: dt.datetime


@dataclass(frozen=True)
class Link:
    """An article newly linked to an incident."""

    incident_id: int
    at: dt.datetime
    story_id: int  # the original article of its near-duplicates


@dataclass
class Changes:
    """Every change in the batch's widest window, read once."""

    incidents: dict[int, IncidentRow]
    # Per incident, chronological.
    changes: dict[int, list[Change]]
    links: dict[int, list[Link]]
    stories: dict[int, Story]


def changes_read(start: dt.datetime, end: dt.datetime) -> Changes:
    """Four queries: timeline events, links, the incidents they touch, the linked stories."""
    events = list(
        TimelineEvent.objects.filter(created_at__gte=start, created_at__lt=end)
        .order_by("created_at", "pk")
        .values_list(
            "incident_id",
            "created_at",
            "kind",
            "description",
            "from_status",
            "to_status",
            "date",
            "date_precision",
        )
    )
    links = list(
        IncidentSource.objects.filter(linked_at__gte=start, linked_at__lt=end)
        .order_by("linked_at", "pk")
        .values_list("incident_id", "linked_at", "article_id", "article__duplicate_of_id")
    )
    touched = {row[0] for row in events} | {row[0] for row in links}
    incidents = _incidents_read(Q(created_at__gte=start, created_at__lt=end) | Q(pk__in=touched))
    changes: dict[int, list[Change]] = defaultdict(list)
    for incident in incidents.values():
        if start <= incident.created_at < end:
            text = f"New {IncidentCategory(incident.category).label.lower()} incident reported."
            changes[incident.pk].append(Change(ChangeKind.NEW_INCIDENT, incident.created_at, text))
    for incident_id, at, kind, description, from_status, to_status, day, precision in events:
        if kind == TimelineEventKind.STATUS_CHANGE:
            # Both statuses are set on every status change (timeline_status_change_has_statuses).
            text = _status_text(str(from_status), str(to_status), description)
            change = Change(ChangeKind.STATUS, at, text)
        else:
            when = PartialDate(day, Precision(precision)).display()
            text = f"{TimelineEventKind(kind).label}, {when}: {description.strip()}"
            change = Change(ChangeKind.TIMELINE, at, Truncator(text).chars(TEXT_LIMIT))
        changes[incident_id].append(change)
    for incident_changes in changes.values():
        incident_changes.sort(key=lambda change: change.at)
    # One level of duplicates: ingestion points a duplicate at an original, never at a duplicate.
    link_rows = [
        Link(incident_id, at, duplicate_of or article_id)
        for incident_id, at, article_id, duplicate_of in links
    ]
    by_incident: dict[int, list[Link]] = defaultdict(list)
    for link in link_rows:
        by_incident[link.incident_id].append(link)
    return Changes(
        incidents=incidents,
        changes=changes,
        links=by_incident,
        stories=_stories_read({link.story_id for link in link_rows}),
    )


def _incidents_read(condition: Q) -> dict[int, IncidentRow]:
    platform_ids = ArraySubquery(
        Incident.platforms.through.objects.filter(incident_id=OuterRef("pk")).values("platform_id")
    )
    rows = (
        Incident.objects.filter(condition)
        .order_by()
        .annotate(platform_ids=platform_ids)
        .values_list(
            "pk", "slug", "title", "severity", "status", "category", "platform_ids", "created_at"
        )
    )
    return {
        pk: IncidentRow(pk, slug, title, severity, status, category, frozenset(ids), created_at)
        for pk, slug, title, severity, status, category, ids, created_at in rows
    }


def _stories_read(story_ids: set[int]) -> dict[int, Story]:
    """Each original article with its near-duplicates, as a story (the original first)."""
    if not story_ids:
        return {}
    rows = (
        Article.objects.filter(Q(pk__in=story_ids) | Q(duplicate_of__in=story_ids))
        .order_by("pk")
        .values_list("pk", "title", "url", "publisher", "duplicate_of_id")
    )
    titles: dict[int, str] = {}
    sources: dict[int, list[Source]] = defaultdict(list)
    for pk, title, url, publisher, duplicate_of in rows:
        source = Source(title, url, publisher)
        if pk in story_ids:
            titles[pk] = title
            sources[pk].insert(0, source)
        if duplicate_of in story_ids:
            sources[duplicate_of].append(source)
    return {pk: Story(titles[pk], tuple(sources[pk])) for pk in titles}


def _status_text(from_status: str, to_status: str, description: str) -> str:
    move = f"Status changed from {IncidentStatus(from_status).label} to "
    move += IncidentStatus(to_status).label
    # incident_transition writes this sentence itself unless the analyst left a note.
    if description.startswith(move):
        return description
    return Truncator(f"{move}: {description.strip()}").chars(TEXT_LIMIT)
