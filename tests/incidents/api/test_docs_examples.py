"""The schema's worked examples are real: each request example succeeds as documented, and
each documented error looks like the API's own."""

import pytest

from incidents.api import docs
from incidents.models import Incident
from tests.incidents.api.conftest import client_for


@pytest.mark.django_db
def test_the_request_examples_work_in_order(analyst, seeded, api):
    analyst.set_password(docs.TOKEN_REQUEST.value["password"])
    analyst.username = docs.TOKEN_REQUEST.value["username"]
    analyst.save()
    issued = api.post("/api/v1/auth/token/", docs.TOKEN_REQUEST.value)
    assert issued.status_code == 201, issued.json()
    assert set(issued.json()) == set(docs.TOKEN_ISSUED.value)

    client = client_for(analyst)
    filed = client.post("/api/v1/incidents/", docs.INCIDENT_CREATE.value)
    assert filed.status_code == 201, filed.json()
    slug = filed.json()["slug"]
    assert client.patch(f"/api/v1/incidents/{slug}/", docs.INCIDENT_PATCH.value).status_code == 200

    article = client.post("/api/v1/articles/", docs.ARTICLE.value)
    assert article.status_code == 201, article.json()
    event = dict(docs.TIMELINE_EVENT.value)
    [source] = event["sources"]
    event["sources"] = [source | {"article": article.json()["id"]}]  # the id this database gave
    created = client.post(f"/api/v1/incidents/{slug}/timeline/", event)
    assert created.status_code == 201, created.json()

    moved = client.post(f"/api/v1/incidents/{slug}/transition/", docs.TRANSITION.value)
    assert moved.status_code == 200, moved.json()
    linked = client.post(f"/api/v1/articles/{article.json()['id']}/link/", docs.LINK.value)
    assert linked.status_code == 200, linked.json()
    assert docs.LINK.value["incident"] in linked.json()["incidents"]


@pytest.mark.django_db
def test_the_rejection_example_merges_into_a_seeded_incident(as_analyst, seeded):
    filed = as_analyst.post("/api/v1/incidents/", {"title": "Same wave", "category": "intrusion"})
    slug = filed.json()["slug"]
    moved = as_analyst.post(f"/api/v1/incidents/{slug}/transition/", docs.TRANSITION_REJECT.value)
    assert moved.status_code == 200, moved.json()
    assert Incident.objects.get(slug=slug).merged_into.slug == "zoombombing-2020"


@pytest.mark.django_db
def test_the_error_examples_have_the_shape_of_real_errors(as_analyst, seeded):
    resolved = Incident.objects.filter(status="resolved").first()
    refused = as_analyst.post(f"/api/v1/incidents/{resolved.slug}/transition/", {"to": "confirmed"})
    assert refused.status_code == 409
    assert refused.json() == docs.REFUSED_MOVE.examples[0].value

    stale = as_analyst.patch(
        f"/api/v1/incidents/{resolved.slug}/", {"severity": "low"}, HTTP_IF_MATCH='"stale"'
    )
    assert stale.status_code == 412
    assert stale.json() == docs.STALE.examples[0].value

    invalid = as_analyst.post(
        "/api/v1/incidents/",
        {
            "title": "x",
            "category": "intrusion",
            "occurred_on": "2020-02-30",
            "platforms": ["zooom"],
        },
    )
    assert invalid.status_code == 400
    example = docs.INVALID.examples[0].value
    assert set(invalid.json()) == set(example)
    assert set(invalid.json()["fields"]) == set(example["fields"])
