"""The STIX 2.1 bundle parses with the stix2 library, which checks every object's properties."""

import json

import pytest
import stix2


@pytest.mark.django_db
def test_stix_bundle_of_a_seeded_incident_is_valid_stix_2_1(as_viewer, seeded):
    response = as_viewer.get("/api/v1/incidents/spacex-bans-zoom-2020/stix/")
    assert response.status_code == 200
    raw = response.content.decode()
    bundle = stix2.parse(raw, allow_custom=True, version="2.1")
    by_type: dict[str, list] = {}
    for obj in bundle.objects:
        by_type.setdefault(obj.type, []).append(obj)
    [incident] = by_type["incident"]
    assert incident.name == "SpaceX bars its employees from using Zoom"
    assert {"restriction", "medium", "zoom"} <= set(incident.labels)
    names = {identity.name for identity in by_type["identity"]}
    assert {"SpaceX", "Reuters", "Zoom Video Communications", "vcwatch"} <= names
    assert all(r.object_refs == [incident.id] for r in by_type["report"])
    assert {r.lang for r in by_type["report"]} == {"nl"}
    assert len(by_type["note"]) == 3  # two cited facts and one status change
    assert len(by_type["relationship"]) == 3
    assert json.loads(raw)["type"] == "bundle"


@pytest.mark.django_db
def test_stix_ids_are_stable_across_exports(as_viewer, seeded):
    url = "/api/v1/incidents/zoombombing-2020/stix/"
    first = {o["id"] for o in json.loads(as_viewer.get(url).content)["objects"]}
    second = {o["id"] for o in json.loads(as_viewer.get(url).content)["objects"]}
    assert first == second


@pytest.mark.django_db
def test_stix_needs_a_role(as_outsider, api, seeded):
    url = "/api/v1/incidents/zoombombing-2020/stix/"
    assert api.get(url).status_code == 401
    assert as_outsider.get(url).status_code == 403
    assert api.get("/api/v1/incidents/none/stix/").status_code == 401
