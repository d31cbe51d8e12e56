"""Selectors: the reads of the incident domain, with the joins their callers need."""

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import F, OuterRef, Prefetch, QuerySet
from django.db.models.functions import JSONObject

from incidents.models import (
    Article,
    Citation,
    Incident,
    IncidentOrganization,
    Platform,
    Tag,
    TimelineEvent,
)


def incident_list() -> QuerySet[Incident]:
    """Incidents with the slugs of their platforms, tags, related incidents and organisations.

    The related slugs are array subqueries of the same statement: a page of incidents is one
    query however many incidents and relations it holds.
    """
    related = Incident.related.through.objects.filter(from_incident=OuterRef("pk"))
    roles = IncidentOrganization.objects.filter(incident=OuterRef("pk")).order_by(
        "organization__slug", "role"
    )
    return Incident.objects.annotate(
        platform_slugs=ArraySubquery(
            Platform.objects.filter(incidents=OuterRef("pk")).order_by("slug").values("slug")
        ),
        tag_slugs=ArraySubquery(
            Tag.objects.filter(incidents=OuterRef("pk")).order_by("slug").values("slug")
        ),
        related_slugs=ArraySubquery(
            related.order_by("to_incident__slug").values("to_incident__slug")
        ),
        organization_roles=ArraySubquery(
            roles.values(json=JSONObject(organization="organization__slug", role="role"))
        ),
        merged_into_slug=F("merged_into__slug"),
    )


def incident_detail() -> QuerySet[Incident]:
    """``incident_list`` plus each incident's timeline (with citations) and sources."""
    return incident_list().prefetch_related(
        Prefetch(
            "timeline",
            queryset=TimelineEvent.objects.select_related("created_by")
            .prefetch_related(Prefetch("citations", queryset=Citation.objects.order_by("id")))
            .order_by("date", "id"),
        ),
        Prefetch("sources", queryset=Article.objects.order_by("id")),
    )


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
