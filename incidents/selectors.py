"""Selectors: the reads of the incident domain, with the joins their callers need."""

from django.db.models import Prefetch, QuerySet

from incidents.models import Citation, Incident, TimelineEvent


def incident_list() -> QuerySet[Incident]:
    """Incidents for a list, relations fetched in a fixed number of queries."""
    return Incident.objects.with_list_relations()


def incident_get(*, slug: str) -> Incident:
    """The incident at ``slug``; a merged duplicate's slug resolves to the incident it joined.

    Raises ``Incident.DoesNotExist``.
    """
    incident = Incident.objects.select_related("merged_into").get(slug=slug)
    return incident.merged_into or incident


def incident_timeline(*, incident: Incident) -> QuerySet[TimelineEvent]:
    """An incident's timeline in date order, each event with its citations and their articles."""
    return incident.timeline.prefetch_related(
        Prefetch("citations", queryset=Citation.objects.select_related("article"))
    ).select_related("created_by")
