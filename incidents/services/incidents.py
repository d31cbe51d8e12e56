"""Incident services: file, edit, move through the workflow, merge, link."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from incidents.dates import PartialDate, Precision
from incidents.exceptions import InvalidTransition, RecordLocked
from incidents.models import (
    Article,
    Citation,
    Incident,
    IncidentOrganization,
    IncidentSource,
    Organization,
    Platform,
    Tag,
    TimelineEvent,
)
from incidents.services.common import save_new, touch_incident
from incidents.text import normalize_text
from incidents.workflow import allowed_transitions

Status = Incident.Status
# Incident fields a caller may set directly; status moves only through incident_transition.
INCIDENT_EDITABLE_FIELDS = frozenset(
    {
        "title",
        "summary",
        "category",
        "severity",
        "occurred",
        "public",
        "platforms",
        "tags",
        "organizations",
        "related",
    }
)


def incident_create(
    *,
    title: str,
    category: str,
    created_by: User | None,
    slug: str = "",
    summary: str = "",
    severity: str = Incident.Severity.MEDIUM,
    occurred: PartialDate | None = None,
    platforms: Sequence[Platform] = (),
    tags: Sequence[Tag] = (),
    organizations: Sequence[tuple[Organization, str]] = (),
    related: Sequence[Incident] = (),
    public: bool = False,
) -> Incident:
    """File a new incident in status ``reported``; ``organizations`` are (organisation, role)."""
    if slug and Incident.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": [f"The slug {slug!r} is taken."]})
    incident = Incident(
        slug=slug or _unique_slug(title),
        title=normalize_text(title),
        summary=summary.strip(),
        category=category,
        severity=severity,
        occurred_on=occurred.start if occurred else None,
        occurred_on_precision=occurred.precision if occurred else None,
        public=public,
        created_by=created_by,
        updated_by=created_by,
    )
    # The actor is the authenticated user: no need to ask the database whether they exist.
    incident.full_clean(validate_unique=False, exclude=["created_by", "updated_by"])
    with transaction.atomic():
        save_new(incident)
        _set_relations(
            incident,
            platforms=platforms,
            tags=tags,
            organizations=organizations,
            related=related,
            fresh=True,
        )
    return incident


def _set_relations(
    incident: Incident,
    *,
    platforms: Sequence[Platform] | None,
    tags: Sequence[Tag] | None,
    organizations: Sequence[tuple[Organization, str]] | None,
    related: Sequence[Incident] | None,
    fresh: bool = False,
) -> None:
    """Replace the incident's relations that are given; organisations come with their roles.

    A ``fresh`` incident (just inserted) has none yet: what is given is added without reading
    what is there first.
    """
    for manager, chosen in ((incident.platforms, platforms), (incident.tags, tags)):
        if chosen is not None:
            _replace(manager, chosen, fresh=fresh)
    if organizations is not None:
        wanted: set[tuple[int, str]] = {
            (org.pk, IncidentOrganization.Role(role).value) for org, role in organizations
        }
        current = (
            {} if fresh else {(i.organization_id, i.role): i for i in incident.involvements.all()}
        )
        for key, involvement in current.items():
            if key not in wanted:
                involvement.delete()
        IncidentOrganization.objects.bulk_create(
            [
                IncidentOrganization(incident=incident, organization_id=org_id, role=role)
                for org_id, role in wanted - set(current)
            ]
        )
    if related is not None:
        others = [other for other in related if other.pk != incident.pk]
        _replace(incident.related, others, fresh=fresh)


def _replace(manager, chosen: Sequence, *, fresh: bool) -> None:
    if fresh:
        manager.add(*chosen)
    else:
        manager.set(chosen)


def _unique_slug(title: str) -> str:
    base = slugify(title)[:90].strip("-") or "incident"
    taken = set(Incident.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def incident_update(*, incident: Incident, updated_by: User | None, **changes) -> Incident:
    """Change an incident's editable fields; ``status`` is refused (use the workflow)."""
    unknown = set(changes) - INCIDENT_EDITABLE_FIELDS
    if unknown:
        raise ValidationError(
            {name: ["This field cannot be changed here."] for name in sorted(unknown)}
        )
    if "occurred" in changes:
        occurred: PartialDate | None = changes.pop("occurred")
        incident.occurred_on = occurred.start if occurred else None
        incident.occurred_on_precision = occurred.precision if occurred else None
    platforms, tags = changes.pop("platforms", None), changes.pop("tags", None)
    organizations, related = changes.pop("organizations", None), changes.pop("related", None)
    for name, value in changes.items():
        setattr(incident, name, value)
    incident.updated_by = updated_by
    incident.full_clean(validate_unique=False)
    with transaction.atomic():
        incident.save()
        _set_relations(
            incident, platforms=platforms, tags=tags, organizations=organizations, related=related
        )
    return incident


def incident_transition(
    *,
    incident: Incident,
    to_status: str,
    actor: User | None,
    note: str = "",
    rejection_reason: str | None = None,
    merged_into: Incident | None = None,
) -> Incident:
    """Move an incident along the workflow and record the move on its timeline.

    The row is locked for the check and the write, so two concurrent moves cannot both apply
    to the same starting status.
    """
    to_status = Status(to_status)
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        allowed = allowed_transitions(locked.status)
        if to_status not in allowed:
            raise InvalidTransition(locked.status, to_status, allowed)
        if locked.merged_into is not None:
            raise InvalidTransition(
                locked.status, to_status, (), f"it was merged into {locked.merged_into.slug}"
            )
        if to_status == Status.REJECTED:
            if rejection_reason not in Incident.RejectionReason.values:
                raise ValidationError(
                    {"rejection_reason": ["Say why: duplicate, not_security or retracted."]}
                )
        elif rejection_reason:
            raise ValidationError({"rejection_reason": ["Only a move to rejected takes a reason."]})
        from_status = locked.status
        Incident.objects.filter(pk=locked.pk).update(
            status=to_status,
            rejection_reason=rejection_reason if to_status == Status.REJECTED else None,
            merged_into=merged_into,
            updated_by=actor,
            updated_at=timezone.now(),
        )
        TimelineEvent.objects.create(
            incident=locked,
            date=timezone.now().date(),
            date_precision=Precision.DAY,
            kind=TimelineEvent.Kind.STATUS_CHANGE,
            description=note.strip() or _transition_text(from_status, to_status, rejection_reason),
            from_status=from_status,
            to_status=to_status,
            created_by=actor,
        )
    incident.refresh_from_db()
    return incident


def _transition_text(from_status: str, to_status: str, reason: str | None) -> str:
    text = f"Status changed from {Status(from_status).label} to {Status(to_status).label}"
    if reason:
        text += f" ({Incident.RejectionReason(reason).label.lower()})"
    return text + "."


def incident_merge(
    *, duplicate: Incident, survivor: Incident, actor: User | None, note: str = ""
) -> Incident:
    """Reject ``duplicate`` as a duplicate of ``survivor``, moving its sources over.

    The duplicate keeps its slug, which then resolves to the survivor (see selectors).
    """
    if duplicate.pk == survivor.pk:
        raise ValidationError({"survivor": ["An incident cannot be merged into itself."]})
    if survivor.merged_into_id is not None:
        raise ValidationError(
            {"survivor": [f"{survivor.slug} was itself merged into another incident."]}
        )
    with transaction.atomic():
        incident_transition(
            incident=duplicate,
            to_status=Status.REJECTED,
            rejection_reason=Incident.RejectionReason.DUPLICATE,
            merged_into=survivor,
            actor=actor,
            note=note or f"Merged into {survivor.slug} as a duplicate.",
        )
        # Earlier duplicates of the duplicate now point straight at the survivor.
        Incident.objects.filter(merged_into=duplicate).update(merged_into=survivor)
        for link in duplicate.source_links.select_related("article"):
            incident_link_article(incident=survivor, article=link.article, linked_by=actor)
        TimelineEvent.objects.create(
            incident=survivor,
            date=timezone.now().date(),
            date_precision=Precision.DAY,
            kind=TimelineEvent.Kind.NOTE,
            description=f"Merged the duplicate {duplicate.slug} ({duplicate.title}) into this one.",
            created_by=actor,
        )
        touch_incident(survivor, actor)
    return survivor


def incident_move(
    *,
    incident: Incident,
    to_status: str,
    actor: User | None,
    note: str = "",
    rejection_reason: str | None = None,
    merged_into: Incident | None = None,
) -> Incident:
    """A workflow move as the admin and the API offer it: naming a survivor merges."""
    if merged_into is not None:
        if to_status != Status.REJECTED or rejection_reason not in (
            None,
            Incident.RejectionReason.DUPLICATE,
        ):
            raise ValidationError(
                {"merged_into": ["Only a duplicate, rejected, is merged into another incident."]}
            )
        return incident_merge(duplicate=incident, survivor=merged_into, actor=actor, note=note)
    return incident_transition(
        incident=incident,
        to_status=to_status,
        rejection_reason=rejection_reason,
        note=note,
        actor=actor,
    )


def incident_link_article(
    *,
    incident: Incident,
    article: Article,
    linked_by: User | None,
    confidence: float | None = None,
) -> IncidentSource:
    """Make ``article`` a source of ``incident``; linking twice changes nothing.

    ``confidence`` is the system's, for a link it makes on its own (None for a person's).
    """
    link, created = IncidentSource.objects.get_or_create(
        incident=incident,
        article=article,
        defaults={"linked_by": linked_by, "confidence": confidence},
    )
    if created:
        touch_incident(incident, linked_by)
    return link


def incident_unlink_article(*, incident: Incident, article: Article, actor: User | None) -> None:
    """Unlink ``article`` from ``incident``; refused while the timeline cites it."""
    if Citation.objects.filter(event__incident=incident, article=article).exists():
        raise RecordLocked(
            f"The timeline of {incident.slug} cites article #{article.pk}: "
            "remove those citations first."
        )
    with transaction.atomic():
        deleted, _ = IncidentSource.objects.filter(incident=incident, article=article).delete()
        if deleted:
            touch_incident(incident, actor)


def incident_add_organization(
    *, incident: Incident, organization: Organization, role: str, actor: User | None
) -> IncidentOrganization:
    """Record an organisation's role in an incident; recording it twice changes nothing."""
    involvement, created = IncidentOrganization.objects.get_or_create(
        incident=incident, organization=organization, role=IncidentOrganization.Role(role)
    )
    if created:
        touch_incident(incident, actor)
    return involvement


def incidents_relate(*, incident: Incident, others: Iterable[Incident], actor: User | None) -> None:
    """Mark incidents as related to each other (symmetrically)."""
    others = [other for other in others if other.pk != incident.pk]
    incident.related.add(*others)
    touch_incident(incident, actor)


def incident_delete(*, incident: Incident) -> None:
    """Delete an incident with its timeline and links (Admin only; the workflow never deletes).

    Raises ``ProtectedError`` while merged duplicates point at it.
    """
    incident.delete()
