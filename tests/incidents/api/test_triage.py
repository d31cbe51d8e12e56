"""The triage API: the queue of suggested links, accepting and dismissing them (one at a time
or in bulk), filing an incident from an article, and what articles show of it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents import services
from incidents.api import docs
from incidents.models import Incident, IncidentSource, LinkCandidate
from tests.factories import ArticleFactory, IncidentFactory, PlatformFactory
from tests.incidents.candidates import LinkCandidateFactory, zoom_terms

URL = "/api/v1/candidates/"
ARTICLES = "/api/v1/articles/"
Status = LinkCandidate.Status


def _statuses() -> set[tuple[int, str]]:
    return set(LinkCandidate.objects.values_list("pk", "status"))


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        assert response.status_code == 200, response.json()
    return len(queries)


# --- The queue ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_queue_lists_queued_suggestions_most_likely_first(as_viewer, analyst):
    low = LinkCandidateFactory(confidence=0.41)
    high = LinkCandidateFactory(confidence=0.9)
    decided = LinkCandidateFactory(confidence=0.95)
    services.candidate_dismiss(candidate=decided, actor=analyst, reason="No.")
    results = as_viewer.get(URL).json()["results"]
    assert [c["id"] for c in results] == [high.pk, low.pk]
    first = results[0]
    assert first["incident"] == high.incident.slug
    assert first["incident_title"] == high.incident.title
    assert first["article"]["id"] == high.article_id
    assert first["article"]["title"] == high.article.title
    assert first["confidence"] == 0.9
    assert first["reasons"]["shared_entities"] == ["platform:zoom"]
    assert (first["status"], first["decided_by"], first["decided_at"]) == ("queued", None, None)


@pytest.mark.django_db
def test_the_queue_filters_by_status_incident_article_and_confidence(as_viewer, analyst):
    incident = IncidentFactory()
    mine = LinkCandidateFactory(incident=incident, confidence=0.7)
    LinkCandidateFactory(confidence=0.45)
    dismissed = LinkCandidateFactory(incident=incident, confidence=0.6)
    services.candidate_dismiss(candidate=dismissed, actor=analyst, reason="No.")

    def ids(**params) -> list[int]:
        return [c["id"] for c in as_viewer.get(URL, params).json()["results"]]

    assert ids(incident=incident.slug) == [mine.pk]
    assert ids(article=mine.article_id) == [mine.pk]
    assert ids(min_confidence=0.5) == [mine.pk]
    assert ids(status="dismissed") == [dismissed.pk]
    assert set(ids(status=["queued", "dismissed"])) == {c.pk for c in LinkCandidate.objects.all()}
    detail = as_viewer.get(f"{URL}{dismissed.pk}/").json()
    assert (detail["status"], detail["dismiss_reason"]) == ("dismissed", "No.")
    assert detail["decided_by"] == analyst.username
    assert as_viewer.get(URL, {"status": "maybe"}).status_code == 400


@pytest.mark.django_db
def test_the_queue_runs_a_constant_number_of_queries(as_viewer):
    LinkCandidateFactory()
    as_viewer.get("/api/v1/tags/")  # the token's first use records last_used_at
    one = _queries(as_viewer, URL)
    LinkCandidateFactory.create_batch(30)
    assert _queries(as_viewer, URL + "?page_size=100") == one
    assert one == 2  # the token with its user's permissions, then the page


@pytest.mark.django_db
def test_an_unknown_candidate_is_404(as_analyst):
    assert as_analyst.get(f"{URL}999999/").status_code == 404
    for action in ("accept", "dismiss"):
        response = as_analyst.post(f"{URL}999999/{action}/", {"reason": "x"})
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"


# --- One decision ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_analyst_accepts_a_suggestion(as_analyst, analyst):
    candidate = LinkCandidateFactory()
    response = as_analyst.post(f"{URL}{candidate.pk}/accept/")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["decided_by"]) == ("accepted", analyst.username)
    assert body["decided_at"]
    link = IncidentSource.objects.get(article=candidate.article)
    assert (link.incident, link.linked_by) == (candidate.incident, analyst)
    article = as_analyst.get(f"{ARTICLES}{candidate.article_id}/").json()
    assert article["incidents"] == [candidate.incident.slug]
    assert article["candidates"] == []


@pytest.mark.django_db
def test_a_second_decision_is_409_and_changes_nothing(as_analyst):
    candidate = LinkCandidateFactory()
    assert as_analyst.post(f"{URL}{candidate.pk}/accept/").status_code == 200
    before = LinkCandidate.objects.values().get(pk=candidate.pk)
    again = as_analyst.post(f"{URL}{candidate.pk}/accept/")
    assert again.status_code == 409
    assert again.json() == {
        "error": "already_decided",
        "detail": f"Candidate #{candidate.pk} was already accepted.",
    }
    dismissed = as_analyst.post(f"{URL}{candidate.pk}/dismiss/", {"reason": "Changed my mind."})
    assert dismissed.status_code == 409
    assert LinkCandidate.objects.values().get(pk=candidate.pk) == before
    assert IncidentSource.objects.count() == 1


@pytest.mark.django_db
def test_an_analyst_dismisses_a_suggestion_saying_why(as_analyst, analyst):
    candidate = LinkCandidateFactory()
    response = as_analyst.post(f"{URL}{candidate.pk}/dismiss/", docs.CANDIDATE_DISMISS.value)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["dismiss_reason"]) == (
        "dismissed",
        docs.CANDIDATE_DISMISS.value["reason"],
    )
    assert not IncidentSource.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}])
def test_a_dismissal_without_a_reason_is_400_and_changes_nothing(as_analyst, body):
    candidate = LinkCandidateFactory()
    response = as_analyst.post(f"{URL}{candidate.pk}/dismiss/", body)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid"
    assert "reason" in response.json()["fields"]
    assert _statuses() == {(candidate.pk, Status.QUEUED)}


# --- In bulk -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_bulk_accept_reports_what_it_decided_and_skipped(as_analyst, analyst):
    queued = LinkCandidateFactory.create_batch(2)
    decided = LinkCandidateFactory()
    services.candidate_dismiss(candidate=decided, actor=analyst, reason="No.")
    ids = [c.pk for c in queued] + [decided.pk]
    response = as_analyst.post(f"{URL}accept/", {"ids": ids})
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "decided": sorted(c.pk for c in queued),
        "already_decided": [decided.pk],
        "not_found": [],
    }
    assert IncidentSource.objects.count() == 2


@pytest.mark.django_db
def test_bulk_dismiss_gives_each_the_reason(as_analyst):
    candidates = LinkCandidateFactory.create_batch(2)
    body = {"ids": [c.pk for c in candidates], "reason": "Earnings news, not an incident."}
    response = as_analyst.post(f"{URL}dismiss/", body)
    assert response.status_code == 200, response.json()
    assert len(response.json()["decided"]) == 2
    assert set(LinkCandidate.objects.values_list("status", "dismiss_reason")) == {
        ("dismissed", "Earnings news, not an incident.")
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("accept/", {"ids": []}, "ids"),
        ("accept/", {"ids": "all"}, "ids"),
        ("accept/", {"ids": [0]}, "ids"),
        ("accept/", {"ids": list(range(1, 502))}, "ids"),
        ("dismiss/", {"ids": None, "reason": "x"}, "ids"),
        ("dismiss/", {"reason": "x"}, "ids"),
        ("dismiss/", {"ids": "KNOWN"}, "reason"),
        ("dismiss/", {"ids": "KNOWN", "reason": " "}, "reason"),
    ],
)
def test_bad_bulk_requests_are_400_and_change_nothing(as_analyst, path, body, field):
    candidate = LinkCandidateFactory()
    body = {k: [candidate.pk] if v == "KNOWN" else v for k, v in body.items()}
    response = as_analyst.post(f"{URL}{path}", body)
    assert response.status_code == 400, response.json()
    assert field in response.json()["fields"]
    assert _statuses() == {(candidate.pk, Status.QUEUED)}


@pytest.mark.django_db
def test_bulk_with_an_unknown_id_is_400_naming_it_and_changes_nothing(as_analyst):
    candidate = LinkCandidateFactory()
    response = as_analyst.post(f"{URL}accept/", {"ids": [candidate.pk, 999_999]})
    assert response.status_code == 400
    assert response.json()["fields"]["ids"] == ["No candidate has the id 999999."]
    assert _statuses() == {(candidate.pk, Status.QUEUED)}
    assert not IncidentSource.objects.exists()


# --- Roles -------------------------------------------------------------------------------------


def _writes(candidate: LinkCandidate, article_id: int) -> list[tuple[str, dict]]:
    return [
        (f"{URL}{candidate.pk}/accept/", {}),
        (f"{URL}{candidate.pk}/dismiss/", {"reason": "x"}),
        (f"{URL}accept/", {"ids": [candidate.pk]}),
        (f"{URL}dismiss/", {"ids": [candidate.pk], "reason": "x"}),
        (f"{ARTICLES}{article_id}/create-incident/", {"category": "other"}),
    ]


@pytest.mark.django_db
def test_anonymous_gets_401_on_reads_and_writes(api):
    candidate = LinkCandidateFactory()
    assert api.get(URL).status_code == 401
    assert api.get(f"{URL}{candidate.pk}/").status_code == 401
    for url, body in _writes(candidate, candidate.article_id):
        assert api.post(url, body).status_code == 401, url
    assert _statuses() == {(candidate.pk, Status.QUEUED)}


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["as_viewer", "as_outsider"])
def test_viewers_and_outsiders_cannot_decide(request, persona):
    client = request.getfixturevalue(persona)
    candidate = LinkCandidateFactory()
    incidents = Incident.objects.count()
    for url, body in _writes(candidate, candidate.article_id):
        assert client.post(url, body).status_code == 403, url
    assert _statuses() == {(candidate.pk, Status.QUEUED)}
    assert Incident.objects.count() == incidents
    assert not IncidentSource.objects.exists()
    reads = client.get(URL).status_code, client.get(f"{URL}{candidate.pk}/").status_code
    assert reads == ((200, 200) if persona == "as_viewer" else (403, 403))


@pytest.mark.django_db
def test_an_admin_decides_too(as_admin):
    candidates = LinkCandidateFactory.create_batch(2)
    assert as_admin.post(f"{URL}{candidates[0].pk}/accept/").status_code == 200
    assert as_admin.post(f"{URL}dismiss/", {"ids": [candidates[1].pk], "reason": "No."}).json()[
        "decided"
    ] == [candidates[1].pk]


# --- A new incident from an article ----------------------------------------------------------


@pytest.mark.django_db
def test_an_analyst_files_an_incident_from_an_article(as_analyst, analyst):
    zoom = PlatformFactory(slug="zoom")
    article = ArticleFactory(title="Council meeting disrupted", matched_terms=zoom_terms())
    suggestion = LinkCandidateFactory(article=article)
    response = as_analyst.post(
        f"{ARTICLES}{article.pk}/create-incident/", {"category": "intrusion", "severity": "high"}
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["title"], body["category"], body["severity"]) == (
        "Council meeting disrupted",
        "intrusion",
        "high",
    )
    assert body["platforms"] == [zoom.slug]
    assert [source["id"] for source in body["sources"]] == [article.pk]
    assert response["ETag"]
    suggestion.refresh_from_db()
    assert suggestion.status == Status.DISMISSED
    assert body["slug"] in suggestion.dismiss_reason
    assert Incident.objects.get(slug=body["slug"]).created_by == analyst


@pytest.mark.django_db
def test_the_create_incident_example_works(as_analyst):
    article = ArticleFactory()
    response = as_analyst.post(
        f"{ARTICLES}{article.pk}/create-incident/", docs.CREATE_INCIDENT.value
    )
    assert response.status_code == 201, response.json()
    assert response.json()["title"] == docs.CREATE_INCIDENT.value["title"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "category"),
        ({"category": "weather"}, "category"),
        ({"category": "other", "platforms": ["zooom"]}, "platforms"),
        ({"category": "other", "occurred_on": "2020-02-30"}, "occurred_on"),
        ({"category": "other", "title": "x" * 201}, "title"),
    ],
)
def test_a_bad_incident_from_an_article_is_400_and_files_nothing(as_analyst, body, field):
    article = ArticleFactory()
    candidate = LinkCandidateFactory(article=article)
    incidents = Incident.objects.count()
    response = as_analyst.post(f"{ARTICLES}{article.pk}/create-incident/", body)
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert Incident.objects.count() == incidents
    assert _statuses() == {(candidate.pk, Status.QUEUED)}


@pytest.mark.django_db
def test_an_incident_from_an_unknown_article_is_404(as_analyst):
    response = as_analyst.post(f"{ARTICLES}999999/create-incident/", {"category": "other"})
    assert response.status_code == 404
    assert not Incident.objects.exists()


# --- What articles show ----------------------------------------------------------------------


@pytest.mark.django_db
def test_an_article_shows_its_relevance_links_suggestions_and_duplicate(as_viewer):
    original = ArticleFactory()
    article = ArticleFactory(
        relevance=0.72, matched_terms=zoom_terms(), duplicate_of=original, language="en"
    )
    linked = IncidentFactory(slug="b-linked")
    IncidentSource.objects.create(incident=linked, article=article)
    strong = LinkCandidateFactory(article=article, confidence=0.8)
    weak = LinkCandidateFactory(article=article, confidence=0.42)
    body = as_viewer.get(f"{ARTICLES}{article.pk}/").json()
    assert body["language"] == "en"
    assert body["relevance"] == 0.72
    assert body["matched_terms"] == zoom_terms()
    assert body["duplicate_of"] == original.pk
    assert body["incidents"] == ["b-linked"]
    assert body["candidates"] == [
        {
            "id": strong.pk,
            "incident": strong.incident.slug,
            "confidence": 0.8,
            "reasons": strong.reasons,
        },
        {
            "id": weak.pk,
            "incident": weak.incident.slug,
            "confidence": 0.42,
            "reasons": weak.reasons,
        },
    ]
    plain = as_viewer.get(f"{ARTICLES}{original.pk}/").json()
    assert (plain["duplicate_of"], plain["candidates"], plain["incidents"]) == (None, [], [])


@pytest.mark.django_db
def test_articles_filter_by_relevance_links_and_duplicates(as_viewer, settings):
    settings.TRACKER_RELEVANCE_MIN = 0.5
    relevant = ArticleFactory(relevance=0.5)
    irrelevant = ArticleFactory(relevance=0.49)
    unscored = ArticleFactory(relevance=None)
    duplicate = ArticleFactory(relevance=0.9, duplicate_of=relevant)
    IncidentSource.objects.create(incident=IncidentFactory(), article=irrelevant)

    def ids(**params) -> set[int]:
        response = as_viewer.get(ARTICLES, params)
        assert response.status_code == 200, response.json()
        return {a["id"] for a in response.json()["results"]}

    assert ids(relevant="true") == {relevant.pk, duplicate.pk}
    assert ids(relevant="false") == {irrelevant.pk}
    assert ids(linked="true") == {irrelevant.pk}
    assert ids(linked="false") == {relevant.pk, unscored.pk, duplicate.pk}
    assert ids(duplicate="true") == {duplicate.pk}
    assert ids(duplicate="false") == {relevant.pk, irrelevant.pk, unscored.pk}
    assert ids(relevant="true", duplicate="false") == {relevant.pk}


@pytest.mark.django_db
def test_the_article_list_runs_a_constant_number_of_queries(as_viewer):
    def article_with_everything() -> None:
        article = ArticleFactory(relevance=0.6, matched_terms=zoom_terms())
        IncidentSource.objects.create(incident=IncidentFactory(), article=article)
        LinkCandidateFactory.create_batch(2, article=article)

    article_with_everything()
    as_viewer.get("/api/v1/tags/")  # the token's first use records last_used_at
    one = _queries(as_viewer, ARTICLES)
    for _ in range(20):
        article_with_everything()
    assert _queries(as_viewer, ARTICLES + "?page_size=100") == one
    assert one == 2


@pytest.mark.django_db
def test_the_schema_documents_the_triage_and_feed_endpoints(api):
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    assert {
        "/api/v1/candidates/",
        "/api/v1/candidates/{id}/",
        "/api/v1/candidates/{id}/accept/",
        "/api/v1/candidates/{id}/dismiss/",
        "/api/v1/candidates/accept/",
        "/api/v1/candidates/dismiss/",
        "/api/v1/articles/{id}/create-incident/",
        "/api/v1/feeds/",
        "/api/v1/feeds/{id}/",
        "/api/v1/feeds/{id}/poll/",
    } <= set(paths)
    assert "409" in paths["/api/v1/candidates/{id}/accept/"]["post"]["responses"]
    article_filters = {p["name"] for p in paths["/api/v1/articles/"]["get"]["parameters"]}
    assert {"relevant", "linked", "duplicate"} <= article_filters
    ordering = next(
        p for p in paths["/api/v1/candidates/"]["get"]["parameters"] if p["name"] == "ordering"
    )
    assert ordering["schema"]["enum"] == ["-confidence"]
