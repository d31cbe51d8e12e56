"""What a digest says: the changes in a window to the incidents a subscriber asked for.

Each change falls in ``[window_start, window_end)`` (see ``incidents.digests.changes`` for what
counts as one). A batch of digests is built with a constant number of queries: every change of
the batch's widest window is read once, then each subscriber's share is picked in Python.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse

from incidents.digests.changes import Change, ChangeKind, Changes, Source, Story, changes_read
from incidents.models import Subscription
from incidents.models.incidents import IncidentSeverity

__all__ = [
    "Change",
    "ChangeKind",
    "Digest",
    "Section",
    "Source",
    "Story",
    "digest_build",
    "digests_build",
    "incident_url",
]

# The keys of Digest.counts besides "incidents", by the kind of change they count.
# Keyed by plain strings (a StrEnum member equals its value): no enum lookup per change.
COUNT_KEYS: dict[str, str] = {
    ChangeKind.NEW_INCIDENT: "new_incidents",
    ChangeKind.STATUS: "status_changes",
    ChangeKind.TIMELINE: "timeline_events",
    ChangeKind.ARTICLE: "articles",  # stories: an article and its near-duplicates count once
}
# Most severe first: the order of sections.
SEVERITY_RANK = {value: rank for rank, value in enumerate(reversed(IncidentSeverity.values))}


@dataclass(frozen=True)
class Section:
    """One incident's changes in the window; ``url`` is absolute (its admin page)."""

    slug: str
    title: str
    severity: str
    status: str
    url: str
    followed: bool
    changes: tuple[Change, ...]
    stories: tuple[Story, ...]

    # Sections key the rendering cache, and hashing one walks all its changes: once is enough.
    def __hash__(self) -> int:
        return self._hash

    @functools.cached_property
    def _hash(self) -> int:
        fields = (self.slug, self.title, self.severity, self.status, self.url, self.followed)
        return hash((fields, self.changes, self.stories))


@dataclass(frozen=True)
class Digest:
    window_start: dt.datetime
    window_end: dt.datetime
    sections: tuple[Section, ...]
    counts: dict[str, int]

    @property
    def empty(self) -> bool:
        return not self.sections


def digest_build(
    subscription: Subscription, window_start: dt.datetime, window_end: dt.datetime
) -> Digest:
    """The digest of one subscriber for ``[window_start, window_end)``."""
    return digests_build([(subscription, window_start, window_end)])[0]


def digests_build(
    requests: Sequence[tuple[Subscription, dt.datetime, dt.datetime]],
) -> list[Digest]:
    """One digest per (subscription, window_start, window_end), in order.

    A subscriber whose user is inactive or may not view incidents gets an empty digest. The
    number of queries does not depend on the number of requests.
    """
    if not requests:
        return []
    subscription_ids = [subscription.pk for subscription, _, _ in requests]
    viewers = _viewer_ids({subscription.user_id for subscription, _, _ in requests})
    platforms = _members(Subscription.platforms.through, "platform_id", subscription_ids)
    followed = _members(Subscription.followed.through, "incident_id", subscription_ids)
    changes: Changes | None = None
    if viewers:
        start = min(window_start for _, window_start, _ in requests)
        end = max(window_end for _, _, window_end in requests)
        changes = changes_read(start, end)
    windows: dict[tuple[dt.datetime, dt.datetime], list[_Candidate]] = {}
    digests = []
    for subscription, window_start, window_end in requests:
        if changes is None or subscription.user_id not in viewers:
            digests.append(_digest(window_start, window_end, []))
            continue
        key = (window_start, window_end)
        if key not in windows:
            # Subscribers due at the same hour share a window: its sections are built once.
            windows[key] = _candidates(changes, window_start, window_end)
        chosen = _chosen(
            windows[key],
            subscription,
            platforms=platforms.get(subscription.pk, set()),
            followed=followed.get(subscription.pk, set()),
        )
        digests.append(_digest(window_start, window_end, chosen))
    return digests


def _digest(start: dt.datetime, end: dt.datetime, sections: list[Section]) -> Digest:
    counts = dict.fromkeys(("incidents", *COUNT_KEYS.values()), 0)
    counts["incidents"] = len(sections)
    for section in sections:
        for change in section.changes:
            counts[COUNT_KEYS[change.kind]] += 1
    return Digest(start, end, tuple(sections), counts)


# --- Who may read, and what they asked for ----------------------------------------------------


def _viewer_ids(user_ids: set[int]) -> set[int]:
    """The active users among ``user_ids`` holding ``incidents.view_incident``.

    The same rule as ``user.has_perm`` under ModelBackend (the only backend configured):
    superusers, or the permission held directly or through a group. In one query, where
    ``has_perm`` would take two per user.
    """
    permission = Permission.objects.filter(
        content_type__app_label="incidents", codename="view_incident"
    )
    User = get_user_model()
    direct = User.user_permissions.through.objects.filter(
        user_id=OuterRef("pk"), permission__in=permission
    )
    grouped = User.groups.through.objects.filter(
        user_id=OuterRef("pk"), group__permissions__in=permission
    )
    return set(
        User.objects.filter(pk__in=user_ids, is_active=True)
        .filter(Q(is_superuser=True) | Exists(direct) | Exists(grouped))
        .values_list("pk", flat=True)
    )


def _members(through: type, column: str, subscription_ids: list[int]) -> dict[int, set[int]]:
    """A many-to-many of subscriptions as {subscription id: {related ids}}, in one query."""
    members: dict[int, set[int]] = defaultdict(set)
    rows = through.objects.filter(subscription_id__in=subscription_ids).values_list(  # type: ignore[attr-defined]
        "subscription_id", column
    )
    for subscription_id, related_id in rows:
        members[subscription_id].add(related_id)
    return members


@dataclass(frozen=True)
class _Candidate:
    """An incident with changes in a window, before a subscriber's filters."""

    severity: str
    category: str
    platform_ids: frozenset[int]
    incident_id: int
    section: Section  # as seen by someone who does not follow it
    section_followed: Section  # and by someone who does


def _chosen(
    candidates: list[_Candidate],
    subscription: Subscription,
    *,
    platforms: set[int],
    followed: set[int],
) -> list[Section]:
    """The sections the subscriber's filters keep, in the window's order; an empty filter
    keeps everything, and a followed incident is always kept."""
    severities = (
        set(IncidentSeverity.at_least(IncidentSeverity(subscription.min_severity)))
        if subscription.min_severity
        else None
    )
    categories = set(subscription.categories)
    chosen = []
    for candidate in candidates:
        if candidate.incident_id in followed:
            chosen.append(candidate.section_followed)
        elif (
            (not platforms or candidate.platform_ids & platforms)
            and (severities is None or candidate.severity in severities)
            and (not categories or candidate.category in categories)
        ):
            chosen.append(candidate.section)
    return chosen


def _candidates(changes: Changes, start: dt.datetime, end: dt.datetime) -> list[_Candidate]:
    """The incidents with changes in ``[start, end)``, most severe first, then latest change."""
    candidates = []
    for incident_id in changes.changes.keys() | changes.links.keys():
        incident = changes.incidents.get(incident_id)
        if incident is None:
            continue  # deleted between the reads
        in_window = [c for c in changes.changes.get(incident_id, ()) if start <= c.at < end]
        stories = _stories_in(changes, incident_id, start, end)
        story_changes = [
            Change(ChangeKind.ARTICLE, at, _story_text(story)) for at, story in stories
        ]
        all_changes = sorted([*in_window, *story_changes], key=lambda change: change.at)
        if not all_changes:
            continue
        section = Section(
            slug=incident.slug,
            title=incident.title,
            severity=incident.severity,
            status=incident.status,
            url=incident_url(incident.pk),
            followed=False,
            changes=tuple(all_changes),
            stories=tuple(story for _, story in stories),
        )
        candidates.append(
            _Candidate(
                incident.severity,
                incident.category,
                incident.platform_ids,
                incident_id,
                section,
                replace(section, followed=True),
            )
        )
    candidates.sort(key=_order)
    return candidates


def _order(candidate: _Candidate) -> tuple[int, float, str]:
    section = candidate.section
    return (SEVERITY_RANK[section.severity], -section.changes[-1].at.timestamp(), section.slug)


def _stories_in(
    changes: Changes, incident_id: int, start: dt.datetime, end: dt.datetime
) -> list[tuple[dt.datetime, Story]]:
    """The stories newly linked to an incident in the window, each once, by first link."""
    first: dict[int, dt.datetime] = {}
    for link in changes.links.get(incident_id, ()):
        if start <= link.at < end and link.story_id in changes.stories:
            first.setdefault(link.story_id, link.at)
    return [(at, changes.stories[story_id]) for story_id, at in first.items()]


def _story_text(story: Story) -> str:
    outlets = _publishers(story.sources)
    return f"New article: {story.title}" + (f" ({outlets})" if outlets else "")


def _publishers(sources: Iterable[Source]) -> str:
    return ", ".join(dict.fromkeys(source.publisher for source in sources if source.publisher))


def incident_url(pk: int) -> str:
    """Where a digest links an incident: its admin change page, the people's view of the tracker
    (the API's page is JSON for programs). Absolute: a mail has no base URL."""
    return settings.TRACKER_BASE_URL + reverse("admin:incidents_incident_change", args=[pk])
