"""The VERIS export validates against the VERIS community schema (draft-04)."""

import json
from pathlib import Path

import jsonschema
import pytest

from incidents import services
from incidents.models import Incident
from tests.factories import IncidentFactory

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "data" / "veris" / "verisc-merged.json").read_text()
)


def _validate(record: dict) -> None:
    errors = sorted(jsonschema.Draft4Validator(SCHEMA).iter_errors(record), key=str)
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


@pytest.mark.django_db
@pytest.mark.parametrize(
    "slug",
    [
        "zoombombing-2020",
        "fbi-warning-zoom-meetings-2020",
        "new-york-ag-zoom-agreement-2020",
        "zoom-share-price-fall-2020",
        "spacex-bans-zoom-2020",
    ],
)
def test_every_seeded_incident_exports_valid_veris(as_viewer, seeded, slug):
    response = as_viewer.get(f"/api/v1/incidents/{slug}/veris/")
    assert response.status_code == 200
    _validate(response.json())


@pytest.mark.django_db
def test_veris_keeps_partial_precision_references_and_victims(as_viewer, seeded):
    month = as_viewer.get("/api/v1/incidents/zoombombing-2020/veris/").json()
    assert month["timeline"]["incident"] == {"year": 2020, "month": 3}
    assert month["security_incident"] == "Confirmed"
    assert month["reference"].count("urn:sha256:") == 2
    day = as_viewer.get("/api/v1/incidents/new-york-ag-zoom-agreement-2020/veris/").json()
    assert day["timeline"]["incident"] == {"year": 2020, "month": 5, "day": 7}
    assert day["victim"]["victim_id"] == "Zoom Video Communications"


@pytest.mark.django_db
def test_veris_of_a_bare_and_of_a_rejected_incident_validates(as_viewer, analyst):
    bare = IncidentFactory(slug="bare", occurred_on=None, occurred_on_precision=None, summary="")
    _validate(as_viewer.get("/api/v1/incidents/bare/veris/").json())
    services.incident_transition(
        incident=bare, to_status="rejected", rejection_reason="not_security", actor=analyst
    )
    record = as_viewer.get("/api/v1/incidents/bare/veris/").json()
    _validate(record)
    assert record["security_incident"] == "False positive"
    assert Incident.objects.get(slug="bare").status == "rejected"
