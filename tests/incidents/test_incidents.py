import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from incidents import selectors, services
from incidents.dates import PartialDate
from incidents.models import Incident
from tests.factories import IncidentFactory, PlatformFactory, TagFactory


@pytest.mark.django_db
def test_incident_create_files_a_reported_incident_with_a_unique_slug(analyst):
    platform = PlatformFactory()
    first = services.incident_create(
        title="Intruders in  a council meeting",
        category=Incident.Category.INTRUSION,
        occurred=PartialDate.parse("2020-04"),
        platforms=[platform],
        created_by=analyst,
    )
    second = services.incident_create(
        title="Intruders in a council meeting", category="intrusion", created_by=analyst
    )
    assert (first.slug, second.slug) == (
        "intruders-in-a-council-meeting",
        "intruders-in-a-council-meeting-2",
    )
    assert first.title == "Intruders in a council meeting"
    assert (first.status, first.created_by, first.public) == ("reported", analyst, False)
    assert first.occurred.isoformat() == "2020-04"
    assert list(first.platforms.all()) == [platform]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"slug": "Bad Slug"}, "slug"),
        ({"category": "gossip"}, "category"),
        ({"severity": "extreme"}, "severity"),
        ({"title": ""}, "title"),
        (
            {"occurred": PartialDate.day(dt.datetime.now(dt.UTC).date() + dt.timedelta(days=2))},
            "occurred_on",
        ),
    ],
)
def test_incident_create_refuses_bad_input_naming_the_field(analyst, fields, field):
    data = {"title": "Intrusion", "category": "intrusion", **fields}
    with pytest.raises(ValidationError) as error:
        services.incident_create(created_by=analyst, **data)
    assert field in error.value.message_dict
    assert not Incident.objects.exists()


@pytest.mark.django_db
def test_incident_create_refuses_a_taken_slug(analyst):
    existing = IncidentFactory()
    with pytest.raises(ValidationError) as error:
        services.incident_create(
            title="Other", slug=existing.slug, category="other", created_by=analyst
        )
    assert "slug" in error.value.message_dict
    assert Incident.objects.count() == 1


@pytest.mark.django_db
def test_incident_update_changes_fields_and_records_who(analyst):
    incident, tag = IncidentFactory(), TagFactory()
    services.incident_update(
        incident=incident,
        updated_by=analyst,
        severity="critical",
        occurred=PartialDate.parse("2020"),
        tags=[tag],
    )
    incident.refresh_from_db()
    assert (incident.severity, incident.updated_by) == ("critical", analyst)
    assert incident.occurred.isoformat() == "2020"
    assert list(incident.tags.all()) == [tag]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"status": "resolved"}, "status"),
        ({"created_by": None}, "created_by"),
        ({"severity": "extreme"}, "severity"),
        ({"occurred": PartialDate.parse("2999")}, "occurred_on"),
    ],
)
def test_incident_update_refuses_what_it_may_not_change(analyst, changes, field):
    incident = IncidentFactory(severity="low")
    with pytest.raises(ValidationError) as error:
        services.incident_update(incident=incident, updated_by=analyst, **changes)
    assert field in error.value.message_dict
    stored = Incident.objects.get(pk=incident.pk)
    assert (stored.status, stored.severity, stored.occurred.isoformat()) == (
        "reported",
        "low",
        "2020-03",
    )


@pytest.mark.django_db
def test_incident_list_annotates_related_slugs_in_one_query(django_assert_num_queries):
    platforms, tags = PlatformFactory.create_batch(2), TagFactory.create_batch(2)
    for _ in range(5):
        IncidentFactory(platforms=platforms, tags=tags)
    with django_assert_num_queries(1):
        rows = [(i.slug, i.platform_slugs, i.tag_slugs) for i in selectors.incident_list()]
    assert len(rows) == 5
    assert all(p == sorted(x.slug for x in platforms) for _, p, _ in rows)
    assert all(t == sorted(x.slug for x in tags) for _, _, t in rows)
