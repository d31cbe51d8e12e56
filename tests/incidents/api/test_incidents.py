import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents import services
from incidents.models import Incident, TimelineEvent
from tests.factories import (
    ArticleFactory,
    CitationFactory,
    IncidentFactory,
    OrganizationFactory,
    PlatformFactory,
    TagFactory,
    TimelineEventFactory,
)

LIST = "/api/v1/incidents/"


def _url(slug: str, suffix: str = "") -> str:
    return f"{LIST}{slug}/{suffix}"


@pytest.mark.django_db
def test_list_shows_the_incident_representation(as_viewer, seeded):
    response = as_viewer.get(LIST, {"status": "resolved"})
    assert response.status_code == 200
    [incident] = response.json()["results"]
    assert incident["slug"] == "new-york-ag-zoom-agreement-2020"
    assert incident["occurred_on"] == "2020-05-07"
    assert incident["platforms"] == ["zoom"]
    assert incident["status"] == "resolved"
    assert incident["allowed_transitions"] == ["investigating"]
    assert {"organization": "new-york-attorney-general", "role": "regulator"} in incident[
        "organizations"
    ]
    assert "zoom-user-surge-privacy-defects-2020" in incident["related"]
    assert set(incident) >= {"tags", "public", "created_at", "updated_at", "category", "severity"}
    assert "timeline" not in incident


@pytest.mark.django_db
def test_month_precision_is_kept_in_the_representation(as_viewer, seeded):
    incident = as_viewer.get(_url("zoombombing-2020")).json()
    assert incident["occurred_on"] == "2020-03"
    dates = [event["date"] for event in incident["timeline"]]
    assert dates[:2] == ["2020-03-30", "2020-04"]
    assert incident["timeline"][0]["sources"][0]["quote"].startswith("De FBI heeft namelijk")
    assert {source["language"] for source in incident["sources"]} == {"nl", "en"}


def _make_incidents(n: int) -> None:
    platforms, tags = PlatformFactory.create_batch(2), TagFactory.create_batch(2)
    organization, article = OrganizationFactory(), ArticleFactory()
    for _ in range(n):
        incident = IncidentFactory(platforms=platforms, tags=tags)
        incident.involvements.create(organization=organization, role="reporter")
        event = TimelineEventFactory(incident=incident)
        CitationFactory(event=event, article=article)
        incident.source_links.create(article=article)


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_list_and_detail_run_a_constant_number_of_queries(as_viewer):
    _make_incidents(1)
    as_viewer.get("/api/v1/tags/")  # the token's first use records last_used_at
    one_list, one_detail = (
        _queries(as_viewer, LIST),
        _queries(as_viewer, _url(Incident.objects.first().slug)),
    )
    _make_incidents(49)
    assert _queries(as_viewer, LIST + "?page_size=100") == one_list
    assert _queries(as_viewer, _url(Incident.objects.last().slug)) == one_detail
    # The token lookup (with the user's permissions), then the page itself; the detail adds
    # the timeline (citations included) and the sources.
    assert one_list == 2
    assert one_detail == 4


@pytest.mark.django_db
def test_filters(as_viewer):
    zoom, teams = PlatformFactory(slug="zoom"), PlatformFactory(slug="teams")
    fbi = OrganizationFactory(slug="fbi")
    a = IncidentFactory(platforms=[zoom], severity="low", category="privacy")
    b = IncidentFactory(platforms=[teams], severity="critical", status="confirmed")
    c = IncidentFactory(platforms=[zoom, teams], severity="high", occurred_on="2021-01-01")
    c.involvements.create(organization=fbi, role="reporter")

    def slugs(**params) -> set[str]:
        response = as_viewer.get(LIST, params)
        assert response.status_code == 200, response.json()
        return {i["slug"] for i in response.json()["results"]}

    assert slugs(platform="zoom") == {a.slug, c.slug}
    assert slugs(platform=["zoom", "teams"]) == {a.slug, b.slug, c.slug}
    assert slugs(min_severity="high") == {b.slug, c.slug}
    assert slugs(status=["confirmed"]) == {b.slug}
    assert slugs(status=["confirmed", "reported"]) == {a.slug, b.slug, c.slug}
    assert slugs(category="privacy") == {a.slug}
    assert slugs(organization="fbi") == {c.slug}
    assert slugs(occurred_after="2020-12-01") == {c.slug}
    assert slugs(occurred_before="2020-12-01") == {a.slug, b.slug}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {"platform": "myspace"},
        {"status": "closed"},
        {"min_severity": "extreme"},
        {"occurred_after": "2020-02-30"},
    ],
)
def test_bad_filters_are_400_naming_the_parameter(as_viewer, params):
    response = as_viewer.get(LIST, params)
    assert response.status_code == 400
    assert set(response.json()["fields"]) == set(params)


@pytest.mark.django_db
def test_updated_since_returns_what_changed(as_viewer, analyst):
    old, new = IncidentFactory(), IncidentFactory()
    Incident.objects.filter(pk=old.pk).update(updated_at="2021-01-01T00:00:00Z")
    services.incident_update(incident=new, updated_by=analyst, severity="critical")
    response = as_viewer.get(LIST, {"updated_since": "2022-01-01T00:00:00Z"})
    assert [i["slug"] for i in response.json()["results"]] == [new.slug]


@pytest.mark.django_db
def test_cursor_pagination_walks_every_incident_once(as_viewer):
    IncidentFactory.create_batch(7)
    seen, url = [], LIST + "?page_size=3"
    while url:
        page = as_viewer.get(url).json()
        seen += [i["slug"] for i in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == 7
    assert as_viewer.get(LIST, {"page_size": 1000}).status_code == 200
    assert len(as_viewer.get(LIST, {"page_size": 1000}).json()["results"]) == 7


@pytest.mark.django_db
@pytest.mark.parametrize("ordering", ["updated_at", "-updated_at", "created_at", "-created_at"])
def test_each_ordering_walks_every_incident_once_in_order(as_viewer, ordering):
    for n, incident in enumerate(IncidentFactory.create_batch(7)):
        # Two share each instant: the id breaks the tie.
        instant = f"2021-01-0{1 + n // 2}T00:00:00Z"
        Incident.objects.filter(pk=incident.pk).update(created_at=instant, updated_at=instant)
    seen, url = [], f"{LIST}?page_size=2&ordering={ordering}"
    while url:
        page = as_viewer.get(url).json()
        seen += [i["slug"] for i in page["results"]]
        url = page["next"]
    expected = Incident.objects.order_by(ordering, ordering.replace(ordering.lstrip("-"), "id"))
    assert seen == [i.slug for i in expected]


@pytest.mark.django_db
@pytest.mark.parametrize("ordering", ["title", "-rank", "id", ""])
def test_an_unknown_ordering_is_a_400_naming_the_choices(as_viewer, ordering):
    IncidentFactory()
    response = as_viewer.get(LIST, {"ordering": ordering})
    assert response.status_code == 400
    assert "-updated_at, updated_at" in response.json()["fields"]["ordering"][0]


@pytest.mark.django_db
def test_a_search_can_be_ordered_by_date_instead_of_rank(as_viewer):
    first = IncidentFactory(title="Classroom intrusions", summary="classroom classroom")
    second = IncidentFactory(title="Other", summary="a classroom")
    IncidentFactory(title="Unrelated", summary="Nothing.")
    by_rank = as_viewer.get(LIST, {"q": "classroom"}).json()["results"]
    assert [i["slug"] for i in by_rank] == [first.slug, second.slug]
    by_age = as_viewer.get(LIST, {"q": "classroom", "ordering": "created_at"}).json()["results"]
    assert [i["slug"] for i in by_age] == [first.slug, second.slug]
    newest = as_viewer.get(LIST, {"q": "classroom", "ordering": "-created_at"}).json()["results"]
    assert [i["slug"] for i in newest] == [second.slug, first.slug]


@pytest.mark.django_db
def test_analyst_files_an_incident(as_analyst, analyst):
    PlatformFactory(slug="zoom")
    body = {
        "title": "Intruders in a council meeting",
        "summary": "Uninvited people disrupted a public meeting.",
        "category": "intrusion",
        "severity": "high",
        "occurred_on": "2020-04",
        "platforms": ["zoom"],
    }
    response = as_analyst.post(LIST, body)
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["slug"] == "intruders-in-a-council-meeting"
    assert (data["status"], data["occurred_on"], data["platforms"]) == (
        "reported",
        "2020-04",
        ["zoom"],
    )
    assert data["timeline"] == []
    assert Incident.objects.get(slug=data["slug"]).created_by == analyst


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"category": "intrusion"}, "title"),
        ({"title": "x", "category": "gossip"}, "category"),
        ({"title": "x", "category": "intrusion", "platforms": ["myspace"]}, "platforms"),
        ({"title": "x", "category": "intrusion", "occurred_on": "2020-02-30"}, "occurred_on"),
        ({"title": "x", "category": "intrusion", "occurred_on": "2999-01"}, "occurred_on"),
        ({"title": "x", "category": "intrusion", "occurred_on": 2020}, "occurred_on"),
        ({"title": "x" * 201, "category": "intrusion"}, "title"),
        ({"title": "x", "category": "intrusion", "slug": "Not A Slug"}, "slug"),
        (
            {"title": "x", "category": "intrusion", "status": "resolved", "severity": "extreme"},
            "severity",
        ),
    ],
)
def test_bad_incidents_are_400_naming_the_field(as_analyst, body, field):
    response = as_analyst.post(LIST, body)
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert response.json()["error"] == "invalid"
    assert not Incident.objects.exists()


@pytest.mark.django_db
def test_read_only_fields_cannot_be_set(as_analyst):
    response = as_analyst.post(
        LIST,
        {
            "title": "x",
            "category": "other",
            "status": "resolved",
            "created_at": "2000-01-01T00:00:00Z",
        },
    )
    assert response.status_code == 201
    assert response.json()["status"] == "reported"
    assert response.json()["created_at"] > "2020"


@pytest.mark.django_db
def test_malformed_json_and_wrong_content_type(as_analyst):
    bad = as_analyst.post(LIST, "{not json", content_type="application/json")
    assert bad.status_code == 400
    assert bad.json()["error"] == "parse_error"
    form = as_analyst.post(LIST, "title=x", content_type="application/x-www-form-urlencoded")
    assert form.status_code == 415
    assert not Incident.objects.exists()


@pytest.mark.django_db
def test_analyst_edits_an_incident(as_analyst, analyst):
    incident = IncidentFactory(severity="low")
    response = as_analyst.patch(
        _url(incident.slug), {"severity": "critical", "occurred_on": "2020"}
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["severity"], response.json()["occurred_on"]) == ("critical", "2020")
    incident.refresh_from_db()
    assert incident.updated_by == analyst


@pytest.mark.django_db
def test_transition_moves_and_records(as_analyst, analyst):
    incident = IncidentFactory()
    response = as_analyst.post(
        _url(incident.slug, "transition/"), {"to": "confirmed", "note": "Two sources."}
    )
    assert response.status_code == 200
    assert response.json()["status"] == "confirmed"
    move = response.json()["timeline"][-1]
    assert (move["kind"], move["from_status"], move["to_status"], move["created_by"]) == (
        "status_change",
        "reported",
        "confirmed",
        analyst.username,
    )


@pytest.mark.django_db
def test_an_illegal_transition_is_409_naming_the_allowed_ones(as_analyst):
    incident = IncidentFactory()
    response = as_analyst.post(_url(incident.slug, "transition/"), {"to": "resolved"})
    assert response.status_code == 409
    assert response.json()["allowed"] == ["investigating", "confirmed", "rejected"]
    incident.refresh_from_db()
    assert incident.status == "reported"
    assert not incident.timeline.exists()


@pytest.mark.django_db
def test_merge_through_the_api_and_the_old_slug_redirects(as_analyst):
    survivor, duplicate = IncidentFactory(), IncidentFactory()
    response = as_analyst.post(
        _url(duplicate.slug, "transition/"),
        {"to": "rejected", "rejection_reason": "duplicate", "merged_into": survivor.slug},
    )
    assert response.status_code == 200
    redirect = as_analyst.get(_url(duplicate.slug))
    assert redirect.status_code == 301
    assert redirect["Location"].endswith(_url(survivor.slug))


@pytest.mark.django_db
def test_history_lists_who_changed_what(as_analyst, analyst):
    incident = IncidentFactory()
    as_analyst.post(_url(incident.slug, "transition/"), {"to": "investigating"})
    rows = as_analyst.get(_url(incident.slug, "history/")).json()
    update = next(r for r in rows if (r["model"], r["action"]) == ("Incident", "update"))
    assert update["user"] == analyst.username
    assert {"field": "status", "old": "reported", "new": "investigating"} in update["changes"]


@pytest.mark.django_db
def test_admin_deletes_and_a_survivor_of_merges_is_protected(as_admin, analyst):
    plain = IncidentFactory()
    assert as_admin.delete(_url(plain.slug)).status_code == 204
    assert not Incident.objects.filter(pk=plain.pk).exists()
    survivor, duplicate = IncidentFactory(), IncidentFactory()
    services.incident_merge(duplicate=duplicate, survivor=survivor, actor=analyst)
    response = as_admin.delete(_url(survivor.slug))
    assert response.status_code == 409
    assert Incident.objects.filter(pk=survivor.pk).exists()


@pytest.mark.django_db
def test_unknown_incident_is_404(as_viewer):
    response = as_viewer.get(_url("no-such-incident"))
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "detail": "Not found."}


@pytest.mark.django_db
def test_timeline_status_changes_are_locked(as_analyst, analyst):
    incident = IncidentFactory()
    services.incident_transition(incident=incident, to_status="confirmed", actor=analyst)
    move = incident.timeline.get(kind=TimelineEvent.Kind.STATUS_CHANGE)
    url = f"{_url(incident.slug, 'timeline/')}{move.pk}/"
    assert as_analyst.patch(url, {"description": "rewritten"}).status_code == 409
    move.refresh_from_db()
    assert move.description != "rewritten"


@pytest.mark.django_db
def test_organizations_and_related_are_written_with_the_incident(as_analyst):
    fbi, spacex = OrganizationFactory(slug="fbi"), OrganizationFactory(slug="spacex")
    other = IncidentFactory(slug="other")
    body = {
        "title": "Ban",
        "category": "restriction",
        "organizations": [{"organization": "fbi", "role": "reporter"}],
        "related": ["other"],
    }
    created = as_analyst.post(LIST, body)
    assert created.status_code == 201, created.json()
    assert created.json()["organizations"] == [{"organization": "fbi", "role": "reporter"}]
    assert created.json()["related"] == ["other"]
    slug = created.json()["slug"]
    changed = as_analyst.patch(
        _url(slug),
        {"organizations": [{"organization": "spacex", "role": "restricting_organization"}]},
    )
    assert changed.json()["organizations"] == [
        {"organization": "spacex", "role": "restricting_organization"}
    ]
    assert changed.json()["related"] == ["other"]
    assert fbi.involvements.count() == 0
    assert spacex.involvements.count() == 1
    assert other.related.count() == 1


@pytest.mark.django_db
def test_unknown_organization_or_role_is_400(as_analyst):
    OrganizationFactory(slug="fbi")
    for involvement in (
        {"organization": "nsa", "role": "reporter"},
        {"organization": "fbi", "role": "villain"},
    ):
        response = as_analyst.post(
            LIST, {"title": "x", "category": "other", "organizations": [involvement]}
        )
        assert response.status_code == 400
        assert "organizations" in response.json()["fields"]
    assert not Incident.objects.exists()


@pytest.mark.django_db
def test_a_patch_with_an_incomplete_organization_is_400(as_analyst):
    incident = IncidentFactory()
    response = as_analyst.patch(_url(incident.slug), {"organizations": [{"role": "reporter"}]})
    assert response.status_code == 400
    assert "organizations" in response.json()["fields"]
