"""The role matrix: anonymous 401, outsider 403, Viewer reads, Analyst writes, Admin deletes."""

import pytest
from django.contrib.auth.models import Permission

from incidents.models import Incident
from tests.factories import ArticleFactory, IncidentFactory, PlatformFactory
from tests.incidents.api.conftest import client_for


@pytest.fixture
def incident(db):
    PlatformFactory(slug="zoom")
    return IncidentFactory(slug="wave")


READS = [
    "/api/v1/incidents/",
    "/api/v1/incidents/wave/",
    "/api/v1/incidents/wave/timeline/",
    "/api/v1/incidents/wave/history/",
    "/api/v1/articles/",
    "/api/v1/platforms/",
    "/api/v1/organizations/",
    "/api/v1/tags/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("url", READS)
def test_anonymous_gets_401_on_everything_but_schema_docs_and_health(api, incident, url):
    response = api.get(url)
    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/v1/schema/", "/api/v1/docs/", "/healthz"])
def test_schema_docs_and_health_need_no_login(api, url):
    assert api.get(url).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("url", READS)
def test_outsider_without_a_role_gets_403(as_outsider, incident, url):
    assert as_outsider.get(url).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("url", READS)
def test_viewer_reads(as_viewer, incident, url):
    assert as_viewer.get(url).status_code == 200


@pytest.mark.django_db
def test_viewer_cannot_write(as_viewer, incident):
    article = ArticleFactory()
    attempts = [
        as_viewer.post("/api/v1/incidents/", {"title": "x", "category": "other"}),
        as_viewer.patch("/api/v1/incidents/wave/", {"severity": "critical"}),
        as_viewer.post("/api/v1/incidents/wave/transition/", {"to": "confirmed"}),
        as_viewer.post(
            "/api/v1/incidents/wave/timeline/", {"date": "2020", "kind": "note", "description": "x"}
        ),
        as_viewer.delete("/api/v1/incidents/wave/"),
        as_viewer.post(
            "/api/v1/articles/", {"title": "x", "text": "The FBI warned users.", "language": "en"}
        ),
        as_viewer.post(f"/api/v1/articles/{article.pk}/link/", {"incident": "wave"}),
    ]
    assert [r.status_code for r in attempts] == [403] * len(attempts)
    incident.refresh_from_db()
    assert (incident.severity, incident.status) == ("high", "reported")
    assert Incident.objects.count() == 1
    assert not incident.timeline.exists()
    assert not incident.sources.exists()


@pytest.mark.django_db
def test_analyst_writes_but_does_not_delete(as_analyst, incident):
    assert as_analyst.patch("/api/v1/incidents/wave/", {"severity": "critical"}).status_code == 200
    assert (
        as_analyst.post("/api/v1/incidents/wave/transition/", {"to": "confirmed"}).status_code
        == 200
    )
    assert as_analyst.delete("/api/v1/incidents/wave/").status_code == 403
    assert Incident.objects.filter(slug="wave").exists()


@pytest.mark.django_db
def test_catalogue_is_read_only_through_the_api(as_admin, incident):
    assert as_admin.post("/api/v1/platforms/", {"slug": "x", "name": "X"}).status_code == 405
    assert as_admin.get("/api/v1/platforms/zoom/").json()["slug"] == "zoom"


@pytest.mark.django_db
def test_a_permission_granted_to_the_user_directly_counts_like_a_roles(outsider, incident):
    client = client_for(outsider)
    assert client.get("/api/v1/incidents/wave/").status_code == 403
    outsider.user_permissions.add(Permission.objects.get(codename="view_incident"))
    assert client.get("/api/v1/incidents/wave/").status_code == 200
    assert client.get("/api/v1/articles/").status_code == 403


@pytest.mark.django_db
def test_leaving_a_role_takes_effect_on_the_next_request(viewer, incident):
    client = client_for(viewer)
    assert client.get("/api/v1/incidents/wave/").status_code == 200
    viewer.groups.clear()
    assert client.get("/api/v1/incidents/wave/").status_code == 403
