"""Linking articles to incidents: automatic above one confidence, queued for triage above another,
nothing below; an analyst's decision stands; the seed documents find their incidents."""

import datetime as dt

import pytest
import yaml
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.dates import PartialDate, Precision
from incidents.ingestion.linking import article_link, article_suggestions, catalogue_forget
from incidents.ingestion.store import article_ingest
from incidents.models import (
    Article,
    Citation,
    Incident,
    IncidentSource,
    LinkCandidate,
    Platform,
)
from incidents.roles import SYSTEM_USERNAME
from incidents.seeding import SEED_DIR, seed_apply
from tests.factories import IncidentFactory, PlatformFactory, TimelineEventFactory

ZOOM_STORY = (
    "Intruders disrupted Zoom meetings of several schools this week. The FBI warned users not to "
    "make meetings public and not to share links widely after reports of zoombombing in classes. "
    "Zoom said hosts should turn on waiting rooms and meeting passwords."
)


@pytest.fixture(autouse=True)
def _fresh_catalogue():
    # The catalogue of platform keys is cached for a minute; each test builds its own.
    catalogue_forget()
    yield
    catalogue_forget()


@pytest.fixture
def zoom(db) -> Platform:
    return PlatformFactory(slug="zoom", name="Zoom")


def _store(text: str, *, title: str = "", published=dt.date(2020, 4, 2)) -> Article:
    return article_ingest(url="", title=title, text=text, published=published).article


@pytest.mark.django_db
def test_an_article_about_an_incident_is_linked_by_the_system_with_its_confidence(zoom):
    incident = IncidentFactory(
        title="FBI warns Zoom users about meeting intruders in school classes", platforms=[zoom]
    )
    TimelineEventFactory(incident=incident, date=dt.date(2020, 3, 30))
    article = _store(ZOOM_STORY, title="FBI warns of zoombombing in school classes")

    report = article_link(article)

    assert report.linked == [incident.slug]
    link = IncidentSource.objects.get(article=article)
    assert link.incident == incident
    assert link.linked_by.username == SYSTEM_USERNAME
    assert 0.65 <= link.confidence <= 1
    assert not LinkCandidate.objects.exists()


@pytest.mark.django_db
def test_a_weaker_match_waits_in_the_triage_queue_with_its_reasons(zoom):
    # Same platform and time, but nothing of its own vocabulary or title in the article.
    incident = IncidentFactory(
        title="Zoom shares fall after quarterly earnings",
        summary="The share price of the company dropped on the stock exchange.",
        platforms=[zoom],
    )
    article = _store(ZOOM_STORY)

    report = article_link(article)

    assert report.linked == []
    assert report.queued == [incident.slug]
    candidate = LinkCandidate.objects.get()
    assert candidate.incident == incident
    assert candidate.status == LinkCandidate.Status.QUEUED
    assert 0.4 <= candidate.confidence < 0.65
    assert candidate.reasons["shared_entities"] == ["platform:zoom"]
    assert set(candidate.reasons["parts"]) == {"entities", "vocabulary", "words", "date"}
    assert not IncidentSource.objects.exists()


@pytest.mark.django_db
def test_an_incident_long_before_the_article_is_not_suggested(zoom):
    IncidentFactory(
        title="Zoom shares fall after quarterly earnings",
        summary="The share price of the company dropped on the stock exchange.",
        platforms=[zoom],
        occurred_on=dt.date(2016, 1, 1),
        occurred_on_precision=Precision.YEAR,
    )
    assert article_link(_store(ZOOM_STORY)).queued == []
    assert not LinkCandidate.objects.exists()


@pytest.mark.django_db
def test_an_irrelevant_article_is_kept_and_never_linked(zoom):
    IncidentFactory(title="Zoom meeting intruders", platforms=[zoom])
    article = _store(
        "The city council approved the new budget for parks and libraries on Tuesday. "
        "Residents asked for more cycling lanes and longer opening hours."
    )
    assert article.relevance < 0.3

    assert article_link(article).linked == []
    assert Article.objects.filter(pk=article.pk).exists()
    assert not IncidentSource.objects.exists()
    assert not LinkCandidate.objects.exists()


@pytest.mark.django_db
def test_an_article_about_another_platform_is_not_linked(zoom):
    teams = PlatformFactory(slug="microsoft-teams", name="Microsoft Teams")
    zoom_incident = IncidentFactory(title="Meeting intruders warned by the FBI", platforms=[zoom])
    teams_incident = IncidentFactory(
        title="Microsoft Teams meeting intruders warned by the FBI", platforms=[teams]
    )
    # ("zoombombing" would name Zoom too.)
    article = _store(ZOOM_STORY.replace("Zoom", "Microsoft Teams").replace("zoombombing", "hacks"))

    report = article_link(article)

    assert zoom_incident.slug not in report.linked + report.queued
    assert report.linked == [teams_incident.slug]


@pytest.mark.django_db
def test_a_platform_is_known_by_its_aliases(zoom):
    goto = PlatformFactory(slug="goto-meeting", name="GoTo Meeting", aliases=["GoToMeeting"])
    incident = IncidentFactory(
        title="GoToMeeting intruders disrupt school classes", platforms=[goto]
    )
    article = _store(ZOOM_STORY.replace("Zoom", "GoToMeeting").replace("zoombombing", "hacks"))

    assert [s.slug for s in article_suggestions(article)] == [incident.slug]


@pytest.mark.django_db
def test_rejected_incidents_are_not_candidates(zoom):
    IncidentFactory(
        title="FBI warns Zoom users about meeting intruders in school classes",
        platforms=[zoom],
        status=Incident.Status.REJECTED,
        rejection_reason=Incident.RejectionReason.NOT_SECURITY,
    )
    assert article_suggestions(_store(ZOOM_STORY)) == []


@pytest.mark.django_db
def test_linking_twice_changes_nothing_and_a_dismissal_stands(zoom, analyst):
    strong = IncidentFactory(
        title="FBI warns Zoom users about meeting intruders in school classes", platforms=[zoom]
    )
    weak = IncidentFactory(
        title="Zoom shares fall after quarterly earnings",
        summary="The share price dropped.",
        platforms=[zoom],
    )
    article = _store(ZOOM_STORY)
    article_link(article)
    candidate = LinkCandidate.objects.get(incident=weak)
    LinkCandidate.objects.filter(pk=candidate.pk).update(
        status=LinkCandidate.Status.DISMISSED,
        dismiss_reason="About markets, not security.",
        decided_by=analyst,
        decided_at=dt.datetime(2020, 5, 1, tzinfo=dt.UTC),
    )

    again = article_link(article)

    assert again.linked == []  # the link to ``strong`` stands, made once
    assert again.queued == []
    assert IncidentSource.objects.filter(article=article, incident=strong).count() == 1
    candidate.refresh_from_db()
    assert candidate.status == LinkCandidate.Status.DISMISSED
    assert candidate.dismiss_reason == "About markets, not security."


@pytest.mark.django_db
def test_a_dismissed_suggestion_is_not_linked_even_when_the_score_rises(zoom, analyst, settings):
    incident = IncidentFactory(
        title="FBI warns Zoom users about meeting intruders in school classes", platforms=[zoom]
    )
    article = _store(ZOOM_STORY)
    LinkCandidate.objects.create(
        article=article,
        incident=incident,
        confidence=0.5,
        status=LinkCandidate.Status.DISMISSED,
        dismiss_reason="A different wave of intrusions.",
        decided_by=analyst,
        decided_at=dt.datetime(2020, 5, 1, tzinfo=dt.UTC),
    )
    assert article_link(article).linked == []
    assert not IncidentSource.objects.exists()


@pytest.mark.django_db
def test_the_queries_do_not_grow_with_the_number_of_incidents(zoom):
    article = _store(ZOOM_STORY)

    def queries() -> int:
        catalogue_forget()
        with CaptureQueriesContext(connection) as captured:
            article_suggestions(article)
        return len(captured)

    incident = IncidentFactory(title="Zoom meeting intruders", platforms=[zoom])
    TimelineEventFactory(incident=incident)
    one = queries()
    for n in range(30):
        other = IncidentFactory(title=f"Zoom meeting intruders, wave {n}", platforms=[zoom])
        TimelineEventFactory(incident=other)
    assert queries() == one
    assert len(article_suggestions(article)) == 31


def _seed_without_articles() -> dict[str, set[str]]:
    """The seed's incidents with its documents taken out; which incidents cite each one."""
    seed_apply()
    data = yaml.safe_load((SEED_DIR / "seed.yaml").read_text())
    cites: dict[str, set[str]] = {}
    for incident in data["incidents"]:
        for event in incident.get("timeline", []):
            for citation in event.get("citations", []):
                cites.setdefault(citation["article"], set()).add(incident["slug"])
    Citation.objects.all().delete()
    IncidentSource.objects.all().delete()
    Article.objects.all().delete()
    return cites


@pytest.mark.django_db
def test_the_seed_documents_find_the_incidents_they_speak_of(capsys):
    cites = _seed_without_articles()
    data = yaml.safe_load((SEED_DIR / "seed.yaml").read_text())
    for record in data["articles"]:
        call_command(
            "ingest_file", str(SEED_DIR / record["file"]), "--published", record["published"]
        )
    out = capsys.readouterr().out

    languages = {}
    for record in data["articles"]:
        article = Article.objects.get(title=record["title"].rstrip("."))
        languages[record["key"]] = article.language
        linked = set(article.incident_links.values_list("incident__slug", flat=True))
        assert linked == cites[record["key"]], record["key"]
        assert article.published_on == PartialDate.parse(record["published"]).start
        # Nothing it speaks of waits in the queue; what it does not, at most waits there.
        queued = set(article.candidates.values_list("incident__slug", flat=True))
        assert not queued & linked
    assert languages == {"nl-zoom-privacy": "nl", "en-zoom-results": "en"}
    assert "(nl, relevance" in out
    assert "(en, relevance" in out
    # The Dutch story says nothing of New York's inquiry.
    assert not LinkCandidate.objects.filter(
        article__language="nl", incident__slug="new-york-ag-zoom-agreement-2020"
    ).exists()
    assert set(IncidentSource.objects.values_list("linked_by__username", flat=True)) == {
        SYSTEM_USERNAME
    }


@pytest.mark.django_db
def test_a_queued_suggestion_is_settled_when_the_system_links_the_pair(zoom):
    incident = IncidentFactory(
        title="FBI warns Zoom users about meeting intruders in school classes", platforms=[zoom]
    )
    article = _store(ZOOM_STORY)
    candidate = LinkCandidate.objects.create(article=article, incident=incident, confidence=0.45)

    assert article_link(article).linked == [incident.slug]

    candidate.refresh_from_db()
    assert candidate.status == LinkCandidate.Status.ACCEPTED
    assert candidate.decided_by.username == SYSTEM_USERNAME
    assert IncidentSource.objects.filter(article=article, incident=incident).exists()
