"""digests_build: what changed in a window, filtered for each subscriber, in a fixed number of
queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents import services
from incidents.digests.content import ChangeKind, digest_build, digests_build
from incidents.models import Incident, IncidentSource, Subscription, TimelineEvent
from incidents.roles import Role
from tests.factories import (
    ArticleFactory,
    IncidentFactory,
    PlatformFactory,
    TimelineEventFactory,
)

pytestmark = pytest.mark.django_db

# Far from the real clock: rows created by the tests land in the window only when moved there.
START = dt.datetime(2024, 5, 1, 7, tzinfo=dt.UTC)
END = START + dt.timedelta(days=1)
INSIDE = START + dt.timedelta(hours=3)
EMPTY_COUNTS = {
    "incidents": 0,
    "new_incidents": 0,
    "status_changes": 0,
    "timeline_events": 0,
    "articles": 0,
}


def _subscribe(user, **fields) -> Subscription:
    platforms = fields.pop("platforms", ())
    followed = fields.pop("followed", ())
    subscription = Subscription.objects.create(
        user=user, frequency=Subscription.Frequency.DAILY, **fields
    )
    subscription.platforms.set(platforms)
    subscription.followed.set(followed)
    return subscription


def _new_incident(at: dt.datetime = INSIDE, **fields) -> Incident:
    incident = IncidentFactory(**fields)
    Incident.objects.filter(pk=incident.pk).update(created_at=at)
    incident.refresh_from_db()
    return incident


def _old_incident(**fields) -> Incident:
    return _new_incident(at=START - dt.timedelta(days=30), **fields)


def _event(incident: Incident, at: dt.datetime, **fields) -> TimelineEvent:
    event = TimelineEventFactory(incident=incident, **fields)
    TimelineEvent.objects.filter(pk=event.pk).update(created_at=at)
    return event


def _link(incident: Incident, article, at: dt.datetime = INSIDE) -> IncidentSource:
    link = IncidentSource.objects.create(incident=incident, article=article)
    IncidentSource.objects.filter(pk=link.pk).update(linked_at=at)
    return link


def _slugs(digest) -> list[str]:
    return [section.slug for section in digest.sections]


def test_every_kind_of_change_in_the_window_is_reported_chronologically(viewer, analyst):
    incident = _new_incident(at=START + dt.timedelta(hours=1), title="Bombing wave")
    services.incident_transition(
        incident=incident, to_status=Incident.Status.INVESTIGATING, actor=analyst
    )
    status_event = TimelineEvent.objects.get(
        incident=incident, kind=TimelineEvent.Kind.STATUS_CHANGE
    )
    TimelineEvent.objects.filter(pk=status_event.pk).update(
        created_at=START + dt.timedelta(hours=2)
    )
    _event(incident, START + dt.timedelta(hours=3), description="Vendor ships a fix.")
    _link(incident, ArticleFactory(title="Zoom fixes it", publisher="Wire"), INSIDE)

    digest = digest_build(_subscribe(viewer), START, END)

    (section,) = digest.sections
    assert (section.slug, section.title, section.status) == (
        incident.slug,
        "Bombing wave",
        Incident.Status.INVESTIGATING,
    )
    assert section.url == f"http://localhost:8000/admin/incidents/incident/{incident.pk}/change/"
    assert [change.kind for change in section.changes] == [
        ChangeKind.NEW_INCIDENT,
        ChangeKind.STATUS,
        ChangeKind.TIMELINE,
        ChangeKind.ARTICLE,
    ]
    assert section.changes[1].text == "Status changed from Reported to Investigating."
    assert section.changes[2].text == "Report, 30 March 2020: Vendor ships a fix."
    assert [story.title for story in section.stories] == ["Zoom fixes it"]
    assert not section.followed
    assert digest.counts == {
        "incidents": 1,
        "new_incidents": 1,
        "status_changes": 1,
        "timeline_events": 1,
        "articles": 1,
    }
    assert not digest.empty


def test_a_transition_note_keeps_the_move_in_the_text(viewer, analyst):
    incident = _old_incident()
    services.incident_transition(
        incident=incident,
        to_status=Incident.Status.CONFIRMED,
        actor=analyst,
        note="Vendor confirmed.",
    )
    TimelineEvent.objects.filter(incident=incident).update(created_at=INSIDE)

    (section,) = digest_build(_subscribe(viewer), START, END).sections

    assert [change.text for change in section.changes] == [
        "Status changed from Reported to Confirmed: Vendor confirmed."
    ]


def test_the_window_includes_its_start_and_excludes_its_end(viewer):
    at_start = _new_incident(at=START)
    _new_incident(at=START - dt.timedelta(microseconds=1))
    _new_incident(at=END)
    old = _old_incident()
    _event(old, END)
    _link(old, ArticleFactory(), at=START - dt.timedelta(seconds=1))
    last_moment = _old_incident()
    _event(last_moment, END - dt.timedelta(microseconds=1))

    digest = digest_build(_subscribe(viewer), START, END)

    assert sorted(_slugs(digest)) == sorted([at_start.slug, last_moment.slug])


def test_nothing_in_the_window_gives_an_empty_digest(viewer):
    _new_incident(at=END + dt.timedelta(hours=1))

    digest = digest_build(_subscribe(viewer), START, END)

    assert digest.empty
    assert digest.sections == ()
    assert digest.counts == EMPTY_COUNTS
    assert (digest.window_start, digest.window_end) == (START, END)


def test_platform_filter_keeps_incidents_on_any_of_its_platforms(viewer):
    zoom, teams, webex = PlatformFactory(), PlatformFactory(), PlatformFactory()
    on_zoom = _new_incident(platforms=[zoom])
    on_teams_and_webex = _new_incident(platforms=[teams, webex])
    _new_incident(platforms=[webex])
    _new_incident()

    digest = digest_build(_subscribe(viewer, platforms=[zoom, teams]), START, END)

    assert sorted(_slugs(digest)) == sorted([on_zoom.slug, on_teams_and_webex.slug])


def test_min_severity_keeps_that_severity_and_above(viewer):
    Severity = Incident.Severity
    kept = [_new_incident(severity=Severity.HIGH), _new_incident(severity=Severity.CRITICAL)]
    _new_incident(severity=Severity.MEDIUM)
    _new_incident(severity=Severity.LOW)

    digest = digest_build(_subscribe(viewer, min_severity=Severity.HIGH), START, END)

    assert _slugs(digest) == [kept[1].slug, kept[0].slug]


def test_category_filter_keeps_only_those_categories(viewer):
    Category = Incident.Category
    privacy = _new_incident(category=Category.PRIVACY)
    outage = _new_incident(category=Category.OUTAGE)
    _new_incident(category=Category.INTRUSION)

    subscription = _subscribe(viewer, categories=[Category.PRIVACY, Category.OUTAGE])
    digest = digest_build(subscription, START, END)

    assert sorted(_slugs(digest)) == sorted([privacy.slug, outage.slug])


def test_empty_filters_let_everything_through(viewer):
    incidents = [
        _new_incident(severity=Incident.Severity.LOW, category=Incident.Category.LEGAL),
        _new_incident(platforms=[PlatformFactory()]),
    ]

    digest = digest_build(_subscribe(viewer), START, END)

    assert sorted(_slugs(digest)) == sorted(incident.slug for incident in incidents)


def test_a_followed_incident_is_in_whatever_the_filters(viewer):
    zoom = PlatformFactory()
    followed = _new_incident(severity=Incident.Severity.LOW, category=Incident.Category.LEGAL)
    matching = _new_incident(platforms=[zoom], severity=Incident.Severity.CRITICAL)
    _new_incident(severity=Incident.Severity.LOW)
    subscription = _subscribe(
        viewer,
        platforms=[zoom],
        min_severity=Incident.Severity.HIGH,
        categories=[Incident.Category.INTRUSION],
        followed=[followed],
    )

    digest = digest_build(subscription, START, END)

    assert [(s.slug, s.followed) for s in digest.sections] == [
        (matching.slug, False),
        (followed.slug, True),
    ]


def test_a_followed_incident_without_changes_is_left_out(viewer):
    quiet = _old_incident()

    assert digest_build(_subscribe(viewer, followed=[quiet]), START, END).empty


def test_users_who_may_not_view_incidents_get_an_empty_digest(outsider, viewer, superuser):
    _new_incident()
    inactive = get_user_model().objects.create_user(username="ivan-inactive", is_active=False)
    inactive.groups.add(Group.objects.get(name=Role.VIEWER))
    direct = get_user_model().objects.create_user(username="dora-direct")
    direct.user_permissions.add(
        Group.objects.get(name=Role.VIEWER).permissions.get(codename="view_incident")
    )
    users = [outsider, inactive, viewer, superuser, direct]

    digests = digests_build([(_subscribe(user), START, END) for user in users])

    assert [digest.empty for digest in digests] == [True, True, False, False, False]
    assert digests[0].counts == EMPTY_COUNTS


def test_near_duplicates_are_one_story_listing_every_source(viewer):
    incident = _old_incident()
    original = ArticleFactory(title="Zoom flaw found", publisher="Wire", url="https://w.example/a")
    copy = ArticleFactory(publisher="Herald", url="https://h.example/b", duplicate_of=original)
    unlinked_copy = ArticleFactory(
        publisher="Post", url="urn:sha256:" + "0" * 64, duplicate_of=original
    )
    other = ArticleFactory(title="Teams outage", publisher="Daily")
    _link(incident, copy, INSIDE)
    _link(incident, original, INSIDE + dt.timedelta(minutes=5))
    _link(incident, other, INSIDE + dt.timedelta(minutes=10))

    digest = digest_build(_subscribe(viewer), START, END)

    (section,) = digest.sections
    first, second = section.stories
    assert first.title == "Zoom flaw found"
    assert [(s.publisher, s.url) for s in first.sources] == [
        ("Wire", "https://w.example/a"),
        ("Herald", "https://h.example/b"),
        ("Post", unlinked_copy.url),
    ]
    assert [s.linkable for s in first.sources] == [True, True, False]
    assert second.title == "Teams outage"
    assert [change.kind for change in section.changes] == [ChangeKind.ARTICLE] * 2
    assert section.changes[0].at == INSIDE
    assert section.changes[0].text == "New article: Zoom flaw found (Wire, Herald, Post)"
    assert digest.counts["articles"] == 2


def test_sections_go_most_severe_first_then_latest_change_first(viewer):
    Severity = Incident.Severity
    low = _new_incident(severity=Severity.LOW, at=INSIDE)
    high_early = _new_incident(severity=Severity.HIGH, at=INSIDE)
    high_late = _new_incident(severity=Severity.HIGH, at=INSIDE + dt.timedelta(hours=1))
    critical = _new_incident(severity=Severity.CRITICAL, at=INSIDE - dt.timedelta(hours=2))
    medium = _old_incident(severity=Severity.MEDIUM)
    _event(medium, INSIDE)
    # A later change puts an incident above others of its severity.
    _event(high_early, INSIDE + dt.timedelta(hours=2))

    digest = digest_build(_subscribe(viewer), START, END)

    assert _slugs(digest) == [
        critical.slug,
        high_early.slug,
        high_late.slug,
        medium.slug,
        low.slug,
    ]


def test_each_request_gets_its_own_window_in_order(viewer, analyst):
    early = _new_incident(at=START + dt.timedelta(hours=1))
    late = _new_incident(at=END + dt.timedelta(hours=1))
    first, second = _subscribe(viewer), _subscribe(analyst)

    digests = digests_build(
        [(second, END, END + dt.timedelta(days=1)), (first, START, END), (second, START, END)]
    )

    assert [_slugs(digest) for digest in digests] == [[late.slug], [early.slug], [early.slug]]
    assert digests[0].window_start == END
    assert digests_build([]) == []


def _subscribers(count: int, zoom, followed) -> list[tuple[Subscription, dt.datetime, dt.datetime]]:
    group = Group.objects.get(name=Role.VIEWER)
    requests = []
    for n in range(count):
        user = get_user_model().objects.create_user(username=f"reader-{count}-{n}")
        user.groups.add(group)
        subscription = _subscribe(
            user, platforms=[zoom] if n % 2 else [], followed=[followed] if n % 3 else []
        )
        window = (START, END) if n % 4 else (START - dt.timedelta(days=1), END)
        requests.append((subscription, *window))
    return requests


def test_queries_do_not_grow_with_the_number_of_subscribers():
    zoom = PlatformFactory()
    followed = _new_incident(severity=Incident.Severity.LOW)
    for n in range(5):
        incident = _new_incident(platforms=[zoom] if n % 2 else [])
        _event(incident, INSIDE)
        _link(incident, ArticleFactory(), INSIDE)
    one, thirty = _subscribers(1, zoom, followed), _subscribers(30, zoom, followed)

    with CaptureQueriesContext(connection) as for_one:
        digests_build(one)
    with CaptureQueriesContext(connection) as for_thirty:
        digests = digests_build(thirty)

    assert len(for_thirty) == len(for_one) <= 7
    assert all(not digest.empty for digest in digests)
