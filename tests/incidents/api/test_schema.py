"""The OpenAPI schema is valid, complete, and generated without warnings."""

from pathlib import Path

import pytest
import yaml
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


def test_docs_page_serves_swagger_ui(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()
