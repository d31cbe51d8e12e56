"""Services: every write to the incident domain goes through one of these functions.

Views, the admin, commands and tasks parse input, call a service and shape its output. Services
validate fully before writing and raise ``ValidationError`` (field -> messages) or a
``DomainError``; a refused call writes nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from incidents.dates import PartialDate, Precision
from incidents.exceptions import InvalidTransition, RecordLocked
from incidents.ingestion.language import language_detect
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
from incidents.text import content_hash, normalize_text, quote_in_text
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


@dataclass(frozen=True)
class CitationInput:
    """An article cited by a timeline event, with the supporting sentence if any."""

    article: Article
    quote: str = ""


# --- Articles -------------------------------------------------------------------------------


def article_fields(
    *,
    title: str,
    text: str,
    url: str | None = None,
    publisher: str = "",
    author: str = "",
    language: str | None = None,
    published: PartialDate | None = None,
    exclude_pk: int | None = None,
) -> dict:
    """Validate and normalise an article's fields, deriving its hash, URN and language.

    Raises ValidationError naming each bad field; ``exclude_pk`` is the article being edited.
    """
    text = unicodedata.normalize("NFC", text or "").strip()
    errors: dict[str, list[str]] = {}
    if not text:
        errors.setdefault("text", []).append("An article needs its text.")
    digest = content_hash(text)
    url = (url or "").strip() or f"urn:sha256:{digest}"
    if not url.startswith(("http://", "https://", "urn:sha256:")):
        errors.setdefault("url", []).append("Give an http(s) URL, or none for a document.")
    language = (language or "").strip().lower() or (language_detect(text) if text else None)
    if not language:
        errors.setdefault("language", []).append(
            "The language could not be detected from the text; give its ISO 639-1 code."
        )
    if text:
        others = Article.objects.all()
        if exclude_pk is not None:
            others = others.exclude(pk=exclude_pk)
        _refuse_taken(others.filter(url=url), "url", "URL", errors)
        _refuse_taken(others.filter(content_hash=digest), "text", "text", errors)
    if errors:
        raise ValidationError(errors)
    return {
        "url": url,
        "title": normalize_text(title or ""),
        "text": text,
        "content_hash": digest,
        "publisher": normalize_text(publisher or ""),
        "author": normalize_text(author or ""),
        "language": language,
        "published_on": published.start if published else None,
        "published_on_precision": published.precision if published else None,
    }


def article_create(*, created_by: User | None = None, **fields) -> Article:
    """Store a source document once; see ``article_fields`` for what is checked."""
    article = Article(**article_fields(**fields), created_by=created_by)
    article.full_clean(exclude=["content_hash"], validate_unique=False)
    return _save_new(article)


def _refuse_taken(queryset, field: str, label: str, errors: dict[str, list[str]]) -> None:
    existing = queryset.only("id", "title").first()
    if existing is not None:
        errors.setdefault(field, []).append(
            f"An article with this {label} is already stored: #{existing.pk} {existing.title!r}."
        )


def _save_new(obj):
    """Insert, turning a lost race on a unique column into a field error, not a 500.

    The savepoint keeps the caller's transaction usable: nothing already stored is lost.
    """
    try:
        with transaction.atomic():
            obj.save(force_insert=True)
    except IntegrityError as error:
        constraint = getattr(getattr(error.__cause__, "diag", None), "constraint_name", "") or ""
        unique = re.fullmatch(rf"{obj._meta.db_table}_(\w+)_key", constraint)
        if unique:
            raise ValidationError({unique[1]: [f"This {unique[1]} is already stored."]}) from None
        raise ValidationError(f"Refused by the database ({constraint or error}).") from None
    return obj


# --- Incidents ------------------------------------------------------------------------------


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
    incident.full_clean(validate_unique=False)
    with transaction.atomic():
        _save_new(incident)
        incident.platforms.set(platforms)
        incident.tags.set(tags)
        _set_relations(incident, organizations=organizations, related=related)
    return incident


def _set_relations(
    incident: Incident,
    *,
    organizations: Sequence[tuple[Organization, str]] | None,
    related: Sequence[Incident] | None,
) -> None:
    """Replace the incident's organisations (with roles) and related incidents, when given."""
    if organizations is not None:
        wanted: set[tuple[int, str]] = {
            (org.pk, IncidentOrganization.Role(role).value) for org, role in organizations
        }
        current = {(i.organization_id, i.role): i for i in incident.involvements.all()}
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
        incident.related.set([other for other in related if other.pk != incident.pk])


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
        if platforms is not None:
            incident.platforms.set(platforms)
        if tags is not None:
            incident.tags.set(tags)
        _set_relations(incident, organizations=organizations, related=related)
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
        _touch(survivor, actor)
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
    *, incident: Incident, article: Article, linked_by: User | None
) -> IncidentSource:
    """Make ``article`` a source of ``incident``; linking twice changes nothing."""
    link, created = IncidentSource.objects.get_or_create(
        incident=incident, article=article, defaults={"linked_by": linked_by}
    )
    if created:
        _touch(incident, linked_by)
    return link


def incident_add_organization(
    *, incident: Incident, organization: Organization, role: str, actor: User | None
) -> IncidentOrganization:
    """Record an organisation's role in an incident; recording it twice changes nothing."""
    involvement, created = IncidentOrganization.objects.get_or_create(
        incident=incident, organization=organization, role=IncidentOrganization.Role(role)
    )
    if created:
        _touch(incident, actor)
    return involvement


def incidents_relate(*, incident: Incident, others: Iterable[Incident], actor: User | None) -> None:
    """Mark incidents as related to each other (symmetrically)."""
    others = [other for other in others if other.pk != incident.pk]
    incident.related.add(*others)
    _touch(incident, actor)


def _touch(incident: Incident, actor: User | None) -> None:
    """A change under an incident (timeline, sources) counts as a change of the incident."""
    Incident.objects.filter(pk=incident.pk).update(updated_at=timezone.now(), updated_by=actor)


# --- Timeline -------------------------------------------------------------------------------


def timeline_event_create(
    *,
    incident: Incident,
    when: PartialDate,
    kind: str,
    description: str,
    created_by: User | None,
    citations: Sequence[CitationInput] = (),
) -> TimelineEvent:
    """Add a dated event to an incident's timeline; its cited articles become sources."""
    errors: dict[str, list[str]] = {}
    _check_quotes(citations, errors)
    if errors:
        raise ValidationError(errors)
    event = TimelineEvent(
        incident=incident,
        date=when.start,
        date_precision=when.precision,
        kind=kind,
        description=description.strip(),
        created_by=created_by,
    )
    event.full_clean()
    with transaction.atomic():
        event.save()
        for citation in citations:
            citation_add(
                event=event, article=citation.article, quote=citation.quote, actor=created_by
            )
        _touch(incident, created_by)
    return event


def citation_add(
    *, event: TimelineEvent, article: Article, quote: str = "", actor: User | None
) -> Citation:
    """Cite ``article`` for ``event``; the quote must occur in the article's text."""
    errors: dict[str, list[str]] = {}
    _check_quotes([CitationInput(article, quote)], errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        citation, _ = Citation.objects.get_or_create(
            event=event, article=article, quote=normalize_text(quote)
        )
        incident_link_article(incident=event.incident, article=article, linked_by=actor)
    return citation


def citation_remove(*, event: TimelineEvent, article: Article, actor: User | None) -> int:
    """Stop citing ``article`` for ``event``; the article stays a source of the incident."""
    with transaction.atomic():
        removed, _ = Citation.objects.filter(event=event, article=article).delete()
        if removed:
            _touch(event.incident, actor)
    return removed


def _check_quotes(citations: Iterable[CitationInput], errors: dict[str, list[str]]) -> None:
    for citation in citations:
        if citation.quote and not quote_in_text(citation.quote, citation.article.text):
            errors.setdefault("quote", []).append(
                f"{citation.quote[:80]!r} does not occur in article #{citation.article.pk}."
            )


def timeline_event_update(
    *,
    event: TimelineEvent,
    actor: User | None,
    when: PartialDate | None = None,
    kind: str | None = None,
    description: str | None = None,
) -> TimelineEvent:
    """Correct an event's date, kind or description; status changes are the workflow's record."""
    if event.kind == TimelineEvent.Kind.STATUS_CHANGE:
        raise RecordLocked("A status change is the workflow's record and is not edited.")
    if when is not None:
        event.date, event.date_precision = when.start, when.precision
    if kind is not None:
        event.kind = kind
    if description is not None:
        event.description = description.strip()
    event.full_clean()
    with transaction.atomic():
        event.save()
        _touch(event.incident, actor)
    return event


def timeline_event_delete(*, event: TimelineEvent, actor: User | None) -> None:
    """Remove an event and its citations; status changes stay."""
    if event.kind == TimelineEvent.Kind.STATUS_CHANGE:
        raise RecordLocked("A status change is the workflow's record and is not deleted.")
    with transaction.atomic():
        event.delete()
        _touch(event.incident, actor)


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
            _touch(incident, actor)


def incident_delete(*, incident: Incident) -> None:
    """Delete an incident with its timeline and links (Admin only; the workflow never deletes).

    Raises ``ProtectedError`` while merged duplicates point at it.
    """
    incident.delete()
