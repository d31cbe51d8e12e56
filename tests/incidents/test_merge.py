import pytest
from django.core.exceptions import ValidationError

from incidents import selectors, services
from incidents.exceptions import InvalidTransition
from incidents.models import Incident, IncidentSource, TimelineEvent
from tests.factories import ArticleFactory, IncidentFactory

Status = Incident.Status


@pytest.mark.django_db
def test_merging_rejects_the_duplicate_and_moves_its_sources(analyst):
    survivor, duplicate = IncidentFactory(), IncidentFactory()
    shared, only_duplicate = ArticleFactory(), ArticleFactory()
    for article in (shared, only_duplicate):
        services.incident_link_article(incident=duplicate, article=article, linked_by=analyst)
    services.incident_link_article(incident=survivor, article=shared, linked_by=analyst)

    services.incident_merge(duplicate=duplicate, survivor=survivor, actor=analyst)

    duplicate.refresh_from_db()
    assert duplicate.status == Status.REJECTED
    assert duplicate.rejection_reason == Incident.RejectionReason.DUPLICATE
    assert duplicate.merged_into == survivor
    assert set(survivor.sources.all()) == {shared, only_duplicate}
    assert IncidentSource.objects.filter(incident=survivor).count() == 2
    assert survivor.timeline.filter(kind=TimelineEvent.Kind.NOTE).count() == 1
    # The duplicate is kept, never deleted, and its slug resolves to the survivor.
    assert Incident.objects.filter(pk=duplicate.pk).exists()
    assert selectors.incident_get(slug=duplicate.slug) == survivor


@pytest.mark.django_db
def test_earlier_duplicates_follow_to_the_final_survivor(analyst):
    first, second, final = IncidentFactory(), IncidentFactory(), IncidentFactory()
    services.incident_merge(duplicate=first, survivor=second, actor=analyst)
    services.incident_merge(duplicate=second, survivor=final, actor=analyst)
    assert selectors.incident_get(slug=first.slug) == final
    assert selectors.incident_get(slug=second.slug) == final


@pytest.mark.django_db
def test_an_incident_cannot_be_merged_into_itself(analyst):
    incident = IncidentFactory()
    with pytest.raises(ValidationError):
        services.incident_merge(duplicate=incident, survivor=incident, actor=analyst)
    incident.refresh_from_db()
    assert incident.status == Status.REPORTED


@pytest.mark.django_db
def test_a_merged_duplicate_cannot_be_reopened(analyst):
    survivor, duplicate = IncidentFactory(), IncidentFactory()
    services.incident_merge(duplicate=duplicate, survivor=survivor, actor=analyst)
    with pytest.raises(InvalidTransition, match="merged into"):
        services.incident_transition(
            incident=duplicate, to_status=Status.INVESTIGATING, actor=analyst
        )
    duplicate.refresh_from_db()
    assert duplicate.status == Status.REJECTED


@pytest.mark.django_db
def test_merging_into_a_merged_incident_is_refused(analyst):
    a, b, c = IncidentFactory(), IncidentFactory(), IncidentFactory()
    services.incident_merge(duplicate=b, survivor=c, actor=analyst)
    with pytest.raises(ValidationError, match="merged into another"):
        services.incident_merge(duplicate=a, survivor=b, actor=analyst)
    a.refresh_from_db()
    assert a.status == Status.REPORTED
