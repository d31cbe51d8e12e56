"""NUL bytes and lone surrogates, which PostgreSQL cannot store, are a 400 everywhere."""

import pytest

from incidents.models import Incident


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("raw", "where"),
    [
        ('{"title": "x", "category": "legal", "platforms": ["\\u0000"]}', "platforms[0]"),
        ('{"title": "x", "category": "legal", "tags": ["\\udc00"]}', "tags[0]"),
        (
            '{"title": "x", "category": "legal", '
            '"organizations": [{"organization": "\\u0000", "role": "reporter"}]}',
            "organizations[0].organization",
        ),
        ('{"title": "x", "category": "legal", "\\u0000": 1}', "the body"),
    ],
)
def test_unstorable_text_in_a_body_is_400(as_analyst, raw, where):
    response = as_analyst.post("/api/v1/incidents/", raw, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith(where)
    assert not Incident.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    ["platform=%00", "q=%00", "status=%ED%A0%80", "%00=1"],
)
def test_unstorable_text_in_a_query_is_400(as_viewer, query):
    response = as_viewer.get(f"/api/v1/incidents/?{query}")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid"


@pytest.mark.django_db
def test_the_admin_search_refuses_a_nul_byte(client, superuser):
    client.force_login(superuser)
    assert client.get("/admin/incidents/incident/?q=%00").status_code == 400
