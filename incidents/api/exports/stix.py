"""STIX 2.1 bundle of an incident, for MISP, OpenCTI and other threat-intelligence platforms.

The bundle holds the incident, an identity per organisation involved (related to the incident
with its role), a report per source article (the article's URL as an external reference) and a
note per timeline line. Identifiers are UUIDv5 of vcwatch's own keys, so exporting the same
incident twice gives the same objects and importers update instead of duplicating.
"""

from __future__ import annotations

import datetime as dt
import uuid

import stix2

from incidents.models import Article, Incident, TimelineEvent

# A fixed namespace for vcwatch's STIX identifiers.
NAMESPACE = uuid.UUID("6f1c7c8e-4f4b-5d8a-9a43-6b1f0c0d7a10")
PRODUCER = stix2.Identity(
    id=f"identity--{uuid.uuid5(NAMESPACE, 'vcwatch')}",
    name="vcwatch",
    identity_class="system",
    created=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    modified=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
)


def _id(kind: str, key: str) -> str:
    return f"{kind}--{uuid.uuid5(NAMESPACE, key)}"


def incident_stix_bundle(incident: Incident) -> stix2.Bundle:
    """The bundle for ``incident`` (fetched with ``selectors.incident_stix``)."""
    incident_id = _id("incident", f"incident:{incident.pk}")
    common = {"created_by_ref": PRODUCER.id}
    objects: list = [PRODUCER]
    objects.append(
        stix2.Incident(
            id=incident_id,
            name=incident.title,
            description=incident.summary or incident.title,
            created=incident.created_at,
            modified=max(incident.updated_at, incident.created_at),
            labels=[
                incident.category,
                incident.severity,
                *(p.slug for p in incident.platforms.all()),
            ],
            external_references=[
                {"source_name": "vcwatch", "external_id": incident.slug},
            ],
            x_vcwatch_status=incident.status,
            x_vcwatch_occurred_on=incident.occurred.isoformat() if incident.occurred else None,
            allow_custom=True,
            **common,
        )
    )
    for involvement in incident.involvements.all():
        organization = involvement.organization
        identity = stix2.Identity(
            id=_id("identity", f"organization:{organization.pk}"),
            name=organization.name,
            identity_class="organization",
            description=f"{organization.get_kind_display()} ({organization.slug})",
            created=PRODUCER.created,
            modified=PRODUCER.modified,
            **common,
        )
        objects.append(identity)
        objects.append(
            stix2.Relationship(
                id=_id("relationship", f"involvement:{involvement.pk}"),
                relationship_type="related-to",
                source_ref=identity.id,
                target_ref=incident_id,
                description=f"Role in the incident: {involvement.get_role_display()}",
                created=incident.created_at,
                modified=incident.created_at,
                **common,
            )
        )
    for article in incident.sources.all():
        objects.append(_report(article, incident_id, common))
    for event in incident.timeline.all():
        objects.append(_note(event, incident_id, common))
    return stix2.Bundle(objects=_unique(objects), allow_custom=True)


def _report(article: Article, incident_id: str, common: dict) -> stix2.Report:
    reference = {"source_name": article.publisher or "source"}
    if article.url.startswith(("http://", "https://")):
        reference["url"] = article.url
    else:
        reference["external_id"] = article.url
    published = article.published
    return stix2.Report(
        id=_id("report", f"article:{article.pk}:{incident_id}"),
        name=article.title,
        published=dt.datetime.combine(
            published.start if published else article.created_at.date(), dt.time(), dt.UTC
        ),
        report_types=["incident"],
        object_refs=[incident_id],
        external_references=[reference],
        lang=article.language,
        created=article.created_at,
        modified=max(article.updated_at, article.created_at),
        **common,
    )


def _note(event: TimelineEvent, incident_id: str, common: dict) -> stix2.Note:
    return stix2.Note(
        id=_id("note", f"event:{event.pk}"),
        abstract=f"{event.when.isoformat()} {event.get_kind_display()}",
        content=event.description,
        object_refs=[incident_id],
        created=event.created_at,
        modified=max(event.updated_at, event.created_at),
        **common,
    )


def _unique(objects: list) -> list:
    seen, unique = set(), []
    for obj in objects:
        if obj.id not in seen:
            seen.add(obj.id)
            unique.append(obj)
    return unique
