"""The triage queue in the admin, and the article admin's relevance and "create incident"."""

import pytest
from django.urls import reverse

from incidents import services
from incidents.models import Incident, IncidentSource, LinkCandidate
from tests.factories import ArticleFactory, PlatformFactory
from tests.incidents.candidates import LinkCandidateFactory, zoom_terms

CHANGELIST = reverse("admin:incidents_linkcandidate_changelist")
Status = LinkCandidate.Status


def _statuses() -> set[tuple[int, str]]:
    return set(LinkCandidate.objects.values_list("pk", "status"))


@pytest.mark.django_db
def test_the_queue_shows_article_incident_confidence_status_and_reasons(client, analyst):
    client.force_login(analyst)
    candidate = LinkCandidateFactory(confidence=0.83)
    page = client.get(CHANGELIST).content.decode()
    assert reverse("admin:incidents_article_change", args=[candidate.article_id]) in page
    assert candidate.article.title in page
    assert candidate.incident.title in page
    assert "0.83" in page
    # jsonb keeps its keys in its own order; nested details (parts) are left out.
    assert "days apart: 2; shared entities: platform:zoom</td>" in page


@pytest.mark.django_db
def test_the_queue_filters_by_status_and_confidence(client, analyst):
    client.force_login(analyst)
    high, low = LinkCandidateFactory(confidence=0.9), LinkCandidateFactory(confidence=0.3)
    services.candidate_dismiss(candidate=low, actor=analyst, reason="No.")

    def listed(query: str) -> list[int]:
        response = client.get(CHANGELIST + query)
        assert response.status_code == 200
        return [c.pk for c in response.context["cl"].result_list]

    assert listed("?confidence=high") == [high.pk]
    assert listed("?confidence=low") == [low.pk]
    assert listed("?confidence=medium") == []
    assert listed("?status__exact=dismissed") == [low.pk]


@pytest.mark.django_db
def test_accept_selected_links_and_reports_the_skipped(client, analyst):
    client.force_login(analyst)
    queued = LinkCandidateFactory()
    decided = LinkCandidateFactory()
    services.candidate_dismiss(candidate=decided, actor=analyst, reason="No.")
    response = client.post(
        CHANGELIST,
        {"action": "accept_selected", "_selected_action": [queued.pk, decided.pk]},
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert "Accepted 1 suggestion(s)." in messages
    assert f"Skipped, decided already: #{decided.pk}." in messages
    assert _statuses() == {(queued.pk, Status.ACCEPTED), (decided.pk, Status.DISMISSED)}
    assert IncidentSource.objects.get().linked_by == analyst


@pytest.mark.django_db
def test_dismiss_selected_asks_for_a_reason_first(client, analyst):
    client.force_login(analyst)
    candidates = LinkCandidateFactory.create_batch(2)
    ids = [c.pk for c in candidates]
    asked = client.post(CHANGELIST, {"action": "dismiss_selected", "_selected_action": ids})
    assert asked.status_code == 200
    assert "reason" in asked.context["form"].fields
    assert _statuses() == {(pk, Status.QUEUED) for pk in ids}

    blank = {"action": "dismiss_selected", "_selected_action": ids, "apply": "1", "reason": " "}
    refused = client.post(CHANGELIST, blank)
    assert refused.status_code == 200
    assert refused.context["form"].errors["reason"]
    assert _statuses() == {(pk, Status.QUEUED) for pk in ids}

    done = client.post(CHANGELIST, {**blank, "reason": "Earnings news."}, follow=True)
    assert "Dismissed 2 suggestion(s)." in [str(m) for m in done.context["messages"]]
    assert set(LinkCandidate.objects.values_list("status", "dismiss_reason", "decided_by")) == {
        (Status.DISMISSED, "Earnings news.", analyst.pk)
    }


@pytest.mark.django_db
def test_a_candidate_page_is_read_only_and_none_is_added_by_hand(client, analyst):
    client.force_login(analyst)
    candidate = LinkCandidateFactory()
    change = reverse("admin:incidents_linkcandidate_change", args=[candidate.pk])
    page = client.get(change)
    assert page.status_code == 200
    assert not page.context["adminform"].form.fields  # every field read-only
    client.post(change, {"status": "accepted", "confidence": 1})
    assert _statuses() == {(candidate.pk, Status.QUEUED)}
    assert client.get(reverse("admin:incidents_linkcandidate_add")).status_code == 403


@pytest.mark.django_db
def test_a_viewer_reads_the_queue_but_cannot_decide(client, viewer):
    client.force_login(viewer)
    candidate = LinkCandidateFactory()
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert candidate.article.title in response.content.decode()
    assert "accept_selected" not in response.content.decode()
    for action in ("accept_selected", "dismiss_selected"):
        body = {"action": action, "_selected_action": [candidate.pk], "apply": "1", "reason": "x"}
        client.post(CHANGELIST, body)
    assert _statuses() == {(candidate.pk, Status.QUEUED)}
    assert not IncidentSource.objects.exists()


# --- Articles --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_article_list_filters_by_relevance_and_shows_duplicates(client, analyst, settings):
    settings.TRACKER_RELEVANCE_MIN = 0.3
    client.force_login(analyst)
    relevant = ArticleFactory(relevance=0.6)
    irrelevant = ArticleFactory(relevance=0.1, duplicate_of=relevant)
    unscored = ArticleFactory(relevance=None)
    url = reverse("admin:incidents_article_changelist")

    def listed(query: str) -> set[int]:
        response = client.get(url + query)
        assert response.status_code == 200
        return {a.pk for a in response.context["cl"].result_list}

    assert listed("?relevance=relevant") == {relevant.pk}
    assert listed("?relevance=irrelevant") == {irrelevant.pk}
    assert listed("?relevance=unscored") == {unscored.pk}
    page = client.get(url).content.decode()
    assert "0.60" in page
    assert f"#{relevant.pk}</a>" in page


@pytest.mark.django_db
def test_the_article_page_shows_relevance_terms_and_duplicate(client, analyst):
    client.force_login(analyst)
    original = ArticleFactory()
    article = ArticleFactory(relevance=0.6, matched_terms=zoom_terms(3), duplicate_of=original)
    page = client.get(reverse("admin:incidents_article_change", args=[article.pk]))
    text = page.content.decode()
    assert "Zoom (platform:zoom) x3" in text
    assert original.title in text
    assert reverse("admin:incidents_article_create_incident", args=[article.pk]) in text


@pytest.mark.django_db
def test_an_analyst_creates_an_incident_from_an_article(client, analyst):
    client.force_login(analyst)
    zoom = PlatformFactory(slug="zoom", name="Zoom")
    article = ArticleFactory(title="Council meeting disrupted", matched_terms=zoom_terms())
    suggestion = LinkCandidateFactory(article=article)
    url = reverse("admin:incidents_article_create_incident", args=[article.pk])
    form = client.get(url)
    assert form.status_code == 200
    assert form.context["form"].initial["title"] == "Council meeting disrupted"
    assert list(form.context["form"].initial["platforms"]) == [zoom]
    assert suggestion.incident.title in form.content.decode()  # to be dismissed

    body = {
        "title": "Council meeting disrupted",
        "category": "intrusion",
        "severity": "high",
        "platforms": [zoom.pk],
    }
    response = client.post(url, body)
    incident = Incident.objects.get(title="Council meeting disrupted")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:incidents_incident_change", args=[incident.pk])
    assert list(incident.sources.all()) == [article]
    assert list(incident.platforms.all()) == [zoom]
    suggestion.refresh_from_db()
    assert suggestion.status == Status.DISMISSED


@pytest.mark.django_db
def test_a_bad_incident_from_an_article_shows_the_form_again(client, analyst):
    client.force_login(analyst)
    article = ArticleFactory()
    url = reverse("admin:incidents_article_create_incident", args=[article.pk])
    incidents = Incident.objects.count()
    response = client.post(url, {"title": "x", "category": "weather", "severity": "high"})
    assert response.status_code == 200
    assert response.context["form"].errors["category"]
    assert Incident.objects.count() == incidents


@pytest.mark.django_db
def test_a_viewer_cannot_create_an_incident_from_an_article(client, viewer):
    client.force_login(viewer)
    article = ArticleFactory()
    page = client.get(reverse("admin:incidents_article_change", args=[article.pk]))
    url = reverse("admin:incidents_article_create_incident", args=[article.pk])
    assert url not in page.content.decode()
    assert client.get(url).status_code == 403
    assert client.post(url, {"title": "x", "category": "other"}).status_code == 403
    assert not Incident.objects.exists()
