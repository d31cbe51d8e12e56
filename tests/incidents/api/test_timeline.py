import pytest

from incidents.models import Citation, TimelineEvent
from tests.factories import ArticleFactory, IncidentFactory


@pytest.fixture
def incident(db):
    return IncidentFactory(slug="wave")


URL = "/api/v1/incidents/wave/timeline/"


@pytest.mark.django_db
def test_analyst_adds_events_with_sources(as_analyst, incident, analyst):
    article = ArticleFactory(text="Intruders shared offensive images during a class.")
    response = as_analyst.post(
        URL,
        {
            "date": "2020-03",
            "kind": "report",
            "description": "Intruders in a class.",
            "sources": [{"article": article.pk, "quote": "shared offensive images"}],
        },
    )
    assert response.status_code == 201, response.json()
    event = response.json()
    assert (event["date"], event["kind"], event["created_by"]) == (
        "2020-03",
        "report",
        analyst.username,
    )
    assert event["sources"] == [{"article": article.pk, "quote": "shared offensive images"}]
    assert list(incident.sources.all()) == [article]
    listed = as_analyst.get(URL).json()
    assert [e["id"] for e in listed] == [event["id"]]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"date": "2020-13", "kind": "report", "description": "x"}, "date"),
        ({"date": "2020", "kind": "status_change", "description": "x"}, "kind"),
        ({"date": "2020", "kind": "report"}, "description"),
        (
            {
                "date": "2020",
                "kind": "report",
                "description": "x",
                "sources": [{"article": 999999}],
            },
            "sources",
        ),
    ],
)
def test_bad_events_are_400(as_analyst, incident, body, field):
    response = as_analyst.post(URL, body)
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not TimelineEvent.objects.exists()


@pytest.mark.django_db
def test_a_quote_not_in_the_article_is_400(as_analyst, incident):
    article = ArticleFactory(text="Real words.")
    response = as_analyst.post(
        URL,
        {
            "date": "2020",
            "kind": "report",
            "description": "x",
            "sources": [{"article": article.pk, "quote": "Invented."}],
        },
    )
    assert response.status_code == 400
    assert "quote" in response.json()["fields"]
    assert not Citation.objects.exists()


@pytest.mark.django_db
def test_analyst_corrects_and_removes_an_event(as_analyst, incident):
    event = as_analyst.post(URL, {"date": "2020", "kind": "report", "description": "draft"}).json()
    url = f"{URL}{event['id']}/"
    response = as_analyst.patch(url, {"date": "2020-03-30", "description": "final"})
    assert response.status_code == 200
    assert (response.json()["date"], response.json()["description"]) == ("2020-03-30", "final")
    assert as_analyst.delete(url).status_code == 403  # deleting is the Admin's
    assert TimelineEvent.objects.filter(pk=event["id"]).exists()


@pytest.mark.django_db
def test_unknown_incident_timeline_is_404(as_analyst):
    assert as_analyst.get("/api/v1/incidents/none/timeline/").status_code == 404


@pytest.mark.django_db
def test_a_lone_surrogate_is_400_not_a_database_error(as_analyst, incident):
    raw = '{"date": "2020", "kind": "report", "description": "lone \\ud800 surrogate"}'
    response = as_analyst.post(URL, raw, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("description:")
    nul = as_analyst.post(URL, raw.replace("\\ud800", "\\u0000"), content_type="application/json")
    assert nul.status_code == 400
    assert nul.json()["detail"].startswith("description:")
    assert not TimelineEvent.objects.exists()


@pytest.mark.django_db
def test_analyst_removes_a_citation_from_an_event(as_analyst, incident):
    article = ArticleFactory()
    event = as_analyst.post(
        URL,
        {
            "date": "2020",
            "kind": "report",
            "description": "x",
            "sources": [{"article": article.pk}],
        },
    ).json()
    url = f"{URL}{event['id']}/sources/{article.pk}/"
    assert as_analyst.delete(url).status_code == 204
    assert not Citation.objects.exists()
    assert list(incident.sources.all()) == [article]  # still a source of the incident
    assert as_analyst.delete(url).status_code == 404


@pytest.mark.django_db
def test_viewer_cannot_remove_a_citation(as_viewer, as_analyst, incident):
    article = ArticleFactory()
    event = as_analyst.post(
        URL,
        {
            "date": "2020",
            "kind": "report",
            "description": "x",
            "sources": [{"article": article.pk}],
        },
    ).json()
    assert as_viewer.delete(f"{URL}{event['id']}/sources/{article.pk}/").status_code == 403
    assert Citation.objects.count() == 1
