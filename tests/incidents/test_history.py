"""History is kept by database triggers: every write is caught, whatever makes it."""

import pghistory
import pytest
from pghistory.models import Events

from incidents.models import Article, Incident
from tests.factories import ArticleFactory, IncidentFactory, TimelineEventFactory


def _labels(obj) -> list[tuple[str, str]]:
    events = Events.objects.tracks(obj).order_by("pgh_created_at", "pgh_id")
    return [(e.pgh_model, e.pgh_label) for e in events]


@pytest.mark.django_db
def test_bulk_updates_are_recorded():
    incident = IncidentFactory(severity="low")
    Incident.objects.filter(pk=incident.pk).update(severity="critical")
    assert _labels(incident) == [
        ("incidents.IncidentEvent", "insert"),
        ("incidents.IncidentEvent", "update"),
    ]
    update = Events.objects.tracks(incident).get(pgh_label="update")
    assert update.pgh_diff == {"severity": ["low", "critical"]}


@pytest.mark.django_db
def test_a_touch_of_updated_at_alone_is_not_a_change():
    incident = IncidentFactory()
    Incident.objects.filter(pk=incident.pk).update(title=incident.title)
    incident.save()
    assert _labels(incident) == [("incidents.IncidentEvent", "insert")]


@pytest.mark.django_db
def test_deletes_are_recorded_with_the_deleted_row():
    event = TimelineEventFactory(description="Wrong line")
    pk = event.pk
    event.delete()
    events = Events.objects.across("incidents.TimelineEventEvent").filter(pgh_obj_id=str(pk))
    deleted = events.get(pgh_label="delete")
    assert deleted.pgh_data["description"] == "Wrong line"


@pytest.mark.django_db
def test_the_acting_user_is_recorded(analyst):
    with pghistory.context(user=analyst.pk, source="test"):
        article = ArticleFactory()
        Article.objects.filter(pk=article.pk).update(title="Corrected title")
    events = Events.objects.tracks(article).order_by("pgh_created_at")
    assert [e.pgh_context["user"] for e in events] == [analyst.pk, analyst.pk]
