"""The OpenAPI schema is valid, complete, and generated without warnings."""

import re
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command


@pytest.mark.django_db
def test_schema_validates_without_warnings(tmp_path: Path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    paths = set(schema["paths"])
    assert {
        "/api/v1/auth/token/",
        "/api/v1/incidents/",
        "/api/v1/incidents/{slug}/",
        "/api/v1/incidents/{slug}/transition/",
        "/api/v1/incidents/{slug}/history/",
        "/api/v1/incidents/{incident_slug}/timeline/",
        "/api/v1/articles/",
    } <= paths
    assert "tokenAuth" in schema["components"]["securitySchemes"]
    list_params = {p["name"] for p in schema["paths"]["/api/v1/incidents/"]["get"]["parameters"]}
    assert {"q", "platform", "status", "min_severity", "updated_since", "cursor"} <= list_params


def test_docs_page_serves_swagger_ui_from_this_server(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui-bundle.js" in page
    # Every asset is the server's own: the docs work offline and under a strict CSP.
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets
    assert all(url.startswith("/") for url in assets), assets
    for url in assets:
        if url.startswith(settings.STATIC_URL):  # collectstatic puts these under STATIC_ROOT
            assert finders.find(url.removeprefix(settings.STATIC_URL)), url
        else:
            assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_tokens_are_obtained_at_one_address_only(api, as_viewer):
    assert api.post("/api/v1/auth/tokens/", {"username": "x", "password": "y"}).status_code == 401
    assert as_viewer.post("/api/v1/auth/tokens/", {}).status_code == 405
    response = api.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert "post" not in response.json()["paths"]["/api/v1/auth/tokens/"]
