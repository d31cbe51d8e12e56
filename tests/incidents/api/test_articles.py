import pytest

from incidents import services
from incidents.dates import PartialDate
from incidents.models import Article
from tests.factories import ArticleFactory, IncidentFactory

URL = "/api/v1/articles/"
TEXT = "Le FBI a averti les utilisateurs de ne pas rendre leurs réunions publiques en ligne."


@pytest.mark.django_db
def test_analyst_adds_an_article_and_the_server_fills_what_it_can(as_analyst, analyst):
    response = as_analyst.post(
        URL, {"title": "Avertissement", "text": TEXT, "published_on": "2020-04"}
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["language"] == "fr"
    assert data["url"].startswith("urn:sha256:")
    assert data["published_on"] == "2020-04"
    assert data["incidents"] == []
    assert Article.objects.get().created_by == analyst


@pytest.mark.django_db
def test_a_duplicate_url_is_400_and_nothing_is_lost(as_analyst):
    existing = ArticleFactory(url="https://news.example.org/a")
    response = as_analyst.post(
        URL, {"url": "https://news.example.org/a", "title": "Copy", "text": TEXT}
    )
    assert response.status_code == 400
    assert "already stored" in response.json()["fields"]["url"][0]
    assert list(Article.objects.all()) == [existing]


@pytest.mark.django_db
def test_link_and_unlink_an_article(as_analyst, analyst):
    incident, article = IncidentFactory(), ArticleFactory()
    linked = as_analyst.post(f"{URL}{article.pk}/link/", {"incident": incident.slug})
    assert linked.status_code == 200
    assert linked.json()["incidents"] == [incident.slug]
    assert (
        as_analyst.post(f"{URL}{article.pk}/link/", {"incident": incident.slug}).status_code == 200
    )
    assert incident.sources.count() == 1
    unlinked = as_analyst.post(f"{URL}{article.pk}/unlink/", {"incident": incident.slug})
    assert unlinked.status_code == 200
    assert unlinked.json()["incidents"] == []


@pytest.mark.django_db
def test_unlinking_a_cited_article_is_409(as_analyst, analyst):
    incident, article = IncidentFactory(), ArticleFactory()
    services.timeline_event_create(
        incident=incident,
        when=PartialDate.parse("2020"),
        kind="report",
        description="x",
        citations=[services.CitationInput(article)],
        created_by=analyst,
    )
    response = as_analyst.post(f"{URL}{article.pk}/unlink/", {"incident": incident.slug})
    assert response.status_code == 409
    assert response.json()["error"] == "locked"
    assert incident.sources.filter(pk=article.pk).exists()


@pytest.mark.django_db
def test_articles_filter_by_language_and_incident(as_viewer, seeded):
    nl = as_viewer.get(URL, {"language": "nl"}).json()["results"]
    assert [a["language"] for a in nl] == ["nl"]
    linked = as_viewer.get(URL, {"incident": "new-york-ag-zoom-agreement-2020"}).json()["results"]
    assert [a["language"] for a in linked] == ["en"]
