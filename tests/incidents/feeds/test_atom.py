import xml.etree.ElementTree as ET

import pytest

from incidents import services
from tests.factories import IncidentFactory, PlatformFactory

ATOM = "{http://www.w3.org/2005/Atom}"


def _entries(client) -> list[ET.Element]:
    response = client.get("/feeds/incidents.atom")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)  # noqa: S314 - our own output
    return root.findall(f"{ATOM}entry")


@pytest.mark.django_db
def test_the_feed_needs_no_login_and_never_shows_a_private_incident(client):
    zoom = PlatformFactory(slug="zoom")
    IncidentFactory(title="Public wave", public=True, platforms=[zoom])
    IncidentFactory(title="Private investigation", public=False)
    entries = _entries(client)
    titles = [e.find(f"{ATOM}title").text for e in entries]
    assert titles == ["[Reported] Public wave"]
    assert "zoom" in entries[0].find(f"{ATOM}summary").text
    assert b"Private investigation" not in client.get("/feeds/incidents.atom").content


@pytest.mark.django_db
def test_a_merged_duplicate_leaves_the_feed(client, analyst):
    survivor = IncidentFactory(title="Survivor", public=True)
    duplicate = IncidentFactory(title="Duplicate", public=True)
    services.incident_merge(duplicate=duplicate, survivor=survivor, actor=analyst)
    assert [e.find(f"{ATOM}title").text for e in _entries(client)] == ["[Reported] Survivor"]


@pytest.mark.django_db
def test_markup_in_a_title_is_escaped(client):
    IncidentFactory(
        title="<script>alert(1)</script>", summary="<img src=x onerror=alert(1)>", public=True
    )
    body = client.get("/feeds/incidents.atom").content
    assert b"<script>" not in body
    assert b"<img" not in body
    assert "<script>alert(1)</script>" in _entries(client)[0].find(f"{ATOM}title").text


@pytest.mark.django_db
def test_the_feed_runs_a_constant_number_of_queries(client, django_assert_max_num_queries):
    for _ in range(20):
        IncidentFactory(public=True, platforms=[PlatformFactory()])
    with django_assert_max_num_queries(2):
        assert len(_entries(client)) == 20
