"""Triage services: accepting and dismissing suggested links, once each, and filing an incident
from an article."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from incidents import services
from incidents.exceptions import AlreadyDecided
from incidents.models import Incident, IncidentSource, LinkCandidate
from tests.factories import ArticleFactory, IncidentFactory, PlatformFactory
from tests.incidents.candidates import LinkCandidateFactory, zoom_terms

Status = LinkCandidate.Status


def _state(candidate: LinkCandidate) -> tuple:
    candidate.refresh_from_db()
    return candidate.status, candidate.dismiss_reason, candidate.decided_by, candidate.decided_at


@pytest.mark.django_db
def test_accepting_links_the_article_and_records_who_decided(analyst):
    candidate = LinkCandidateFactory()
    before = timezone.now()
    services.candidate_accept(candidate=candidate, actor=analyst)
    candidate.refresh_from_db()
    assert candidate.status == Status.ACCEPTED
    assert candidate.decided_by == analyst
    assert candidate.decided_at >= before
    assert candidate.dismiss_reason == ""
    link = IncidentSource.objects.get(incident=candidate.incident, article=candidate.article)
    assert (link.linked_by, link.confidence) == (analyst, None)
    incident = Incident.objects.get(pk=candidate.incident_id)
    assert incident.updated_by == analyst  # the incident counts as changed (touch_incident)
    assert incident.updated_at >= before


@pytest.mark.django_db
def test_accepting_an_article_already_linked_keeps_one_link(analyst):
    candidate = LinkCandidateFactory()
    services.incident_link_article(
        incident=candidate.incident, article=candidate.article, linked_by=None
    )
    services.candidate_accept(candidate=candidate, actor=analyst)
    assert IncidentSource.objects.filter(article=candidate.article).count() == 1
    assert _state(candidate)[0] == Status.ACCEPTED


@pytest.mark.django_db
def test_accepting_a_suggestion_for_a_merged_incident_links_the_survivor(analyst):
    survivor = IncidentFactory()
    candidate = LinkCandidateFactory()
    services.incident_merge(duplicate=candidate.incident, survivor=survivor, actor=analyst)
    services.candidate_accept(candidate=candidate, actor=analyst)
    assert list(survivor.sources.all()) == [candidate.article]
    assert not candidate.incident.sources.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("first", ["accept", "dismiss"])
def test_a_decided_candidate_is_refused_and_left_as_it_was(analyst, viewer, first):
    candidate = LinkCandidateFactory()
    if first == "accept":
        services.candidate_accept(candidate=candidate, actor=analyst)
    else:
        services.candidate_dismiss(candidate=candidate, actor=analyst, reason="Other meeting.")
    decided = _state(candidate)
    links = IncidentSource.objects.count()
    with pytest.raises(AlreadyDecided, match=f"#{candidate.pk} was already"):
        services.candidate_accept(candidate=candidate, actor=viewer)
    with pytest.raises(AlreadyDecided):
        services.candidate_dismiss(candidate=candidate, actor=viewer, reason="Again.")
    assert _state(candidate) == decided
    assert IncidentSource.objects.count() == links


@pytest.mark.django_db
def test_dismissing_keeps_the_reason_and_links_nothing(analyst):
    candidate = LinkCandidateFactory()
    services.candidate_dismiss(candidate=candidate, actor=analyst, reason="  Earnings news.  ")
    status, reason, decided_by, decided_at = _state(candidate)
    assert (status, reason, decided_by) == (Status.DISMISSED, "Earnings news.", analyst)
    assert decided_at is not None
    assert not IncidentSource.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("reason", ["", "   \n"])
def test_dismissing_without_a_reason_is_refused(analyst, reason):
    candidate = LinkCandidateFactory()
    with pytest.raises(ValidationError) as refused:
        services.candidate_dismiss(candidate=candidate, actor=analyst, reason=reason)
    assert "reason" in refused.value.message_dict
    assert _state(candidate) == (Status.QUEUED, "", None, None)


@pytest.mark.django_db
def test_bulk_accept_decides_the_queued_and_reports_the_rest(analyst):
    queued = LinkCandidateFactory.create_batch(3)
    dismissed = LinkCandidateFactory()
    services.candidate_dismiss(candidate=dismissed, actor=analyst, reason="No.")
    ids = [c.pk for c in queued] + [dismissed.pk, 999_999]
    report = services.candidates_accept(ids=ids, actor=analyst)
    assert report.decided == sorted(c.pk for c in queued)
    assert report.already_decided == [dismissed.pk]
    assert report.not_found == [999_999]
    assert IncidentSource.objects.count() == 3
    assert _state(dismissed)[0] == Status.DISMISSED


@pytest.mark.django_db
def test_bulk_dismiss_gives_each_the_reason(analyst):
    candidates = LinkCandidateFactory.create_batch(2)
    report = services.candidates_dismiss(
        ids=[c.pk for c in candidates], actor=analyst, reason="Not about meetings."
    )
    assert len(report.decided) == 2
    assert set(LinkCandidate.objects.values_list("status", "dismiss_reason")) == {
        (Status.DISMISSED, "Not about meetings.")
    }


@pytest.mark.django_db
def test_bulk_dismiss_without_a_reason_changes_nothing(analyst):
    candidates = LinkCandidateFactory.create_batch(2)
    with pytest.raises(ValidationError):
        services.candidates_dismiss(ids=[c.pk for c in candidates], actor=analyst, reason=" ")
    assert set(LinkCandidate.objects.values_list("status", flat=True)) == {Status.QUEUED}


@pytest.mark.django_db
def test_the_database_refuses_a_dismissal_reason_on_an_accepted_candidate():
    candidate = LinkCandidateFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        LinkCandidate.objects.filter(pk=candidate.pk).update(
            status=Status.ACCEPTED, decided_at=timezone.now(), dismiss_reason="why not"
        )


@pytest.mark.django_db
def test_the_database_refuses_a_dismissal_without_a_reason():
    candidate = LinkCandidateFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        LinkCandidate.objects.filter(pk=candidate.pk).update(
            status=Status.DISMISSED, decided_at=timezone.now()
        )


# --- A new incident from an article ------------------------------------------------------------


@pytest.mark.django_db
def test_an_incident_from_an_article_takes_its_title_platforms_and_the_article(analyst):
    zoom = PlatformFactory(slug="zoom", name="Zoom")
    goto = PlatformFactory(slug="goto-meeting", name="GoTo Meeting", aliases=["GoToMeeting"])
    PlatformFactory(slug="skype")
    terms = [*zoom_terms(), {**zoom_terms()[0], "key": "platform:gotomeeting", "term": "GoTo"}]
    article = ArticleFactory(title="Intruders in a council meeting", matched_terms=terms)
    incident = services.incident_from_article(article=article, actor=analyst, category="intrusion")
    assert incident.title == "Intruders in a council meeting"
    assert (incident.category, incident.severity) == ("intrusion", "medium")
    assert incident.status == Incident.Status.REPORTED
    assert incident.created_by == analyst
    assert set(incident.platforms.all()) == {zoom, goto}
    link = IncidentSource.objects.get(incident=incident)
    assert (link.article, link.linked_by) == (article, analyst)


@pytest.mark.django_db
def test_an_incident_from_an_article_takes_what_it_is_given(analyst):
    PlatformFactory(slug="zoom")
    teams = PlatformFactory(slug="microsoft-teams")
    article = ArticleFactory(matched_terms=zoom_terms(), title="x" * 400)
    incident = services.incident_from_article(
        article=article,
        actor=analyst,
        category="privacy",
        severity="critical",
        title="Recordings exposed",
        platforms=[teams],
    )
    assert (incident.title, incident.severity) == ("Recordings exposed", "critical")
    assert list(incident.platforms.all()) == [teams]
    untitled = services.incident_from_article(
        article=ArticleFactory(title="y" * 400), actor=analyst, category="other", platforms=[]
    )
    assert untitled.title == "y" * 200
    assert not untitled.platforms.exists()


@pytest.mark.django_db
def test_an_incident_from_an_article_dismisses_its_queued_suggestions_only(analyst):
    article = ArticleFactory()
    queued = LinkCandidateFactory(article=article)
    accepted = LinkCandidateFactory(article=article)
    services.candidate_accept(candidate=accepted, actor=analyst)
    elsewhere = LinkCandidateFactory()
    incident = services.incident_from_article(article=article, actor=analyst, category="other")
    status, reason, decided_by, _ = _state(queued)
    assert (status, decided_by) == (Status.DISMISSED, analyst)
    assert incident.slug in reason
    assert _state(accepted)[0] == Status.ACCEPTED
    assert _state(elsewhere)[0] == Status.QUEUED


@pytest.mark.django_db
def test_an_incident_from_an_article_with_a_bad_category_files_nothing(analyst):
    article = ArticleFactory()
    candidate = LinkCandidateFactory(article=article)
    incidents_before = Incident.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.incident_from_article(article=article, actor=analyst, category="weather")
    assert "category" in refused.value.message_dict
    assert Incident.objects.count() == incidents_before
    assert not IncidentSource.objects.filter(article=article).exists()
    assert _state(candidate)[0] == Status.QUEUED


# --- At once ---------------------------------------------------------------------------------


def _at_once(n: int, work) -> list[str]:
    """Run ``work`` in ``n`` threads released together; what each returned or raised."""
    barrier = threading.Barrier(n)
    outcomes: list[str] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            outcomes.append(work())
        except AlreadyDecided:
            outcomes.append("already decided")
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(outcomes)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_accepts_at_once_make_one_link_and_one_decision(analyst):
    candidate = LinkCandidateFactory()

    def accept() -> str:
        fresh = LinkCandidate.objects.get(pk=candidate.pk)
        services.candidate_accept(candidate=fresh, actor=analyst)
        return "accepted"

    assert _at_once(2, accept) == ["accepted", "already decided"]
    assert IncidentSource.objects.filter(article=candidate.article).count() == 1
    assert _state(candidate)[0] == Status.ACCEPTED


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_accept_and_a_dismiss_at_once_make_one_decision(analyst):
    candidate = LinkCandidateFactory()
    actions = iter(["accept", "dismiss"])
    lock = threading.Lock()

    def decide() -> str:
        with lock:
            action = next(actions)
        fresh = LinkCandidate.objects.get(pk=candidate.pk)
        if action == "accept":
            services.candidate_accept(candidate=fresh, actor=analyst)
        else:
            services.candidate_dismiss(candidate=fresh, actor=analyst, reason="No.")
        return action

    outcomes = _at_once(2, decide)
    assert "already decided" in outcomes
    status = _state(candidate)[0]
    linked = IncidentSource.objects.filter(article=candidate.article).exists()
    assert (status, linked) in {(Status.ACCEPTED, True), (Status.DISMISSED, False)}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_overlapping_bulk_accepts_at_once_decide_each_candidate_once(analyst):
    candidates = LinkCandidateFactory.create_batch(6)
    ids = [c.pk for c in candidates]
    reports = []

    def accept_all() -> str:
        reports.append(services.candidates_accept(ids=list(reversed(ids)), actor=analyst))
        return "done"

    assert _at_once(3, accept_all) == ["done"] * 3
    decided = sorted(pk for report in reports for pk in report.decided)
    assert decided == sorted(ids)
    assert IncidentSource.objects.count() == 6
