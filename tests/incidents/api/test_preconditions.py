"""ETag and If-Match: a stale write is a 412 and changes nothing."""

import pytest

from incidents.models import Incident
from tests.factories import IncidentFactory

URL = "/api/v1/incidents/wave/"


@pytest.fixture
def incident(db):
    return IncidentFactory(slug="wave", severity="low")


@pytest.mark.django_db
def test_detail_answers_an_etag_and_304_when_unchanged(as_viewer, incident):
    first = as_viewer.get(URL)
    etag = first["ETag"]
    assert etag.startswith('"')
    again = as_viewer.get(URL, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again["ETag"] == etag


@pytest.mark.django_db
def test_a_write_with_the_current_etag_applies_and_returns_the_new_one(as_analyst, incident):
    etag = as_analyst.get(URL)["ETag"]
    response = as_analyst.patch(URL, {"severity": "high"}, HTTP_IF_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] != etag
    assert as_analyst.get(URL)["ETag"] == response["ETag"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("patch", "", {"severity": "critical"}),
        ("put", "", {"title": "New", "category": "other"}),
        ("post", "transition/", {"to": "confirmed"}),
    ],
)
def test_a_stale_write_is_412_and_changes_nothing(as_analyst, incident, method, path, body):
    stale = as_analyst.get(URL)["ETag"]
    as_analyst.patch(URL, {"summary": "Someone else edited this."})
    response = getattr(as_analyst, method)(URL + path, body, HTTP_IF_MATCH=stale)
    assert response.status_code == 412
    assert response.json()["error"] == "precondition_failed"
    stored = Incident.objects.get(pk=incident.pk)
    assert (stored.severity, stored.title, stored.status) == ("low", incident.title, "reported")
    assert stored.summary == "Someone else edited this."


@pytest.mark.django_db
def test_a_stale_delete_is_412(as_admin, incident):
    stale = as_admin.get(URL)["ETag"]
    as_admin.patch(URL, {"severity": "high"})
    assert as_admin.delete(URL, HTTP_IF_MATCH=stale).status_code == 412
    assert Incident.objects.filter(pk=incident.pk).exists()
    fresh = as_admin.get(URL)["ETag"]
    assert as_admin.delete(URL, HTTP_IF_MATCH=fresh).status_code == 204


@pytest.mark.django_db
def test_a_timeline_change_changes_the_etag(as_analyst, incident):
    etag = as_analyst.get(URL)["ETag"]
    as_analyst.post(URL + "timeline/", {"date": "2020", "kind": "note", "description": "n"})
    assert as_analyst.get(URL)["ETag"] != etag
