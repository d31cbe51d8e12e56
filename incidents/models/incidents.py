"""Incidents: what went wrong on a platform, its status, and who and what it involves."""

from __future__ import annotations

import pghistory
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q

from incidents.dates import PartialDate, precision_constraints, refuse_future
from incidents.dates import Precision as DatePrecision
from incidents.models.articles import Article
from incidents.models.catalog import Organization, Platform, Tag
from incidents.models.fields import actor_field
from incidents.models.history import tracked
from incidents.search import english_vector

SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"


class IncidentCategory(models.TextChoices):
    INTRUSION = "intrusion", "Intrusion"
    VULNERABILITY = "vulnerability", "Vulnerability"
    PRIVACY = "privacy", "Privacy"
    ADVISORY = "advisory", "Advisory"
    RESTRICTION = "restriction", "Restriction"
    LEGAL = "legal", "Legal"
    OUTAGE = "outage", "Outage"
    OTHER = "other", "Other"


class IncidentSeverity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"

    @classmethod
    def at_least(cls, minimum: IncidentSeverity) -> list[str]:
        """The severities at or above ``minimum``, for "min severity" filters."""
        values = cls.values
        return values[values.index(minimum) :]


class IncidentStatus(models.TextChoices):
    REPORTED = "reported", "Reported"
    INVESTIGATING = "investigating", "Investigating"
    CONFIRMED = "confirmed", "Confirmed"
    MITIGATED = "mitigated", "Mitigated"
    RESOLVED = "resolved", "Resolved"
    REJECTED = "rejected", "Rejected"


class IncidentRejectionReason(models.TextChoices):
    DUPLICATE = "duplicate", "Duplicate of another incident"
    NOT_SECURITY = "not_security", "Not a security incident"
    RETRACTED = "retracted", "Retracted by its source"


@tracked(exclude=("updated_at", "updated_by", "search_vector"))
class Incident(models.Model):
    """A security incident on one or more platforms, with a status moved through the workflow."""

    # The choices are module-level so that Meta's constraints can name them.
    Category = IncidentCategory
    Severity = IncidentSeverity
    Status = IncidentStatus
    RejectionReason = IncidentRejectionReason

    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    platforms = models.ManyToManyField(Platform, related_name="incidents", blank=True)
    category = models.CharField(max_length=16, choices=IncidentCategory.choices)
    severity = models.CharField(
        max_length=8, choices=IncidentSeverity.choices, default=IncidentSeverity.MEDIUM
    )
    # Changed only through incidents.services.incident_transition, which logs it on the timeline.
    status = models.CharField(
        max_length=16,
        choices=IncidentStatus.choices,
        default=IncidentStatus.REPORTED,
        editable=False,
    )
    rejection_reason = models.CharField(
        max_length=16,
        choices=IncidentRejectionReason.choices,
        null=True,
        blank=True,
        editable=False,
    )
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_duplicates",
        editable=False,
    )
    occurred_on = models.DateField(null=True, blank=True)
    occurred_on_precision = models.CharField(
        max_length=5, choices=DatePrecision.choices, null=True, blank=True
    )
    organizations: models.ManyToManyField[Organization, IncidentOrganization] = (
        models.ManyToManyField(
            Organization, through="IncidentOrganization", related_name="incidents", blank=True
        )
    )
    related = models.ManyToManyField("self", symmetrical=True, blank=True)
    tags = models.ManyToManyField(Tag, related_name="incidents", blank=True)
    sources: models.ManyToManyField[Article, IncidentSource] = models.ManyToManyField(
        Article, through="IncidentSource", related_name="incidents", blank=True
    )
    public = models.BooleanField(default=False)
    search_vector = models.GeneratedField(
        expression=english_vector(fields={"title": "A", "summary": "B"}),
        output_field=SearchVectorField(),
        db_persist=True,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = actor_field()
    updated_by = actor_field()

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            # Default ordering, and `updated_since` incremental sync.
            models.Index(fields=["-updated_at", "-id"], name="incident_updated_idx"),
            # ?ordering=created_at, a cursor page at any depth.
            models.Index(fields=["-created_at", "-id"], name="incident_created_idx"),
            # Status and category filters of the admin and the API list.
            models.Index(fields=["status", "severity"], name="incident_status_severity_idx"),
            models.Index(fields=["category"], name="incident_category_idx"),
            # Occurred-date ranges and the admin date hierarchy.
            models.Index(fields=["occurred_on"], name="incident_occurred_idx"),
            # Full-text search (`q=`).
            GinIndex(fields=["search_vector"], name="incident_search_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(slug__regex=SLUG_PATTERN), name="incident_slug_format"
            ),
            models.CheckConstraint(
                condition=models.Q(category__in=IncidentCategory.values),
                name="incident_category_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(severity__in=IncidentSeverity.values),
                name="incident_severity_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=IncidentStatus.values), name="incident_status_valid"
            ),
            # A rejected incident says why; no other status carries a reason.
            models.CheckConstraint(
                condition=(
                    models.Q(
                        status=IncidentStatus.REJECTED,
                        rejection_reason__isnull=False,
                        rejection_reason__in=IncidentRejectionReason.values,
                    )
                    | (
                        ~models.Q(status=IncidentStatus.REJECTED)
                        & models.Q(rejection_reason__isnull=True)
                    )
                ),
                name="incident_rejection_has_reason",
            ),
            # Only a rejected duplicate points at the incident that survives it.
            models.CheckConstraint(
                condition=models.Q(merged_into__isnull=True)
                | models.Q(
                    status=IncidentStatus.REJECTED,
                    rejection_reason__isnull=False,
                    rejection_reason=IncidentRejectionReason.DUPLICATE,
                ),
                name="incident_merged_is_rejected_duplicate",
            ),
            models.CheckConstraint(
                condition=~models.Q(merged_into=models.F("id")),
                name="incident_not_merged_into_self",
            ),
            *precision_constraints("occurred_on", nullable=True),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        refuse_future(occurred_on=self.occurred_on)

    @property
    def occurred(self) -> PartialDate | None:
        return PartialDate.from_db(self.occurred_on, self.occurred_on_precision)


class IncidentOrganizationRole(models.TextChoices):
    REPORTER = "reporter", "Reporter"
    REGULATOR = "regulator", "Regulator"
    INVESTIGATOR = "investigator", "Investigator"
    AFFECTED_PARTY = "affected_party", "Affected party"
    RESTRICTING_ORGANIZATION = "restricting_organization", "Restricting organisation"
    VENDOR = "vendor", "Vendor"
    SOURCE = "source", "Source"
    OTHER = "other", "Other"


@tracked()
class IncidentOrganization(models.Model):
    """An organisation's part in an incident: who reported, regulated, restricted, was hit."""

    Role = IncidentOrganizationRole

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="involvements")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="involvements"
    )
    role = models.CharField(max_length=32, choices=IncidentOrganizationRole.choices)

    class Meta:
        ordering = ["incident", "role", "organization"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "role", "organization"], name="incident_org_role_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=IncidentOrganizationRole.values),
                name="incident_org_role_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} ({self.get_role_display()})"


@tracked()
class IncidentSource(models.Model):
    """An article backing an incident; one article often backs several incidents."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="source_links")
    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="incident_links")
    linked_at = models.DateTimeField(auto_now_add=True)
    linked_by = actor_field()
    # How sure the system was, for a link it made on its own; null for a person's link.
    confidence = models.FloatField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["incident", "linked_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "article"], name="incident_source_unique"),
            models.CheckConstraint(
                condition=Q(confidence__isnull=True) | Q(confidence__gte=0, confidence__lte=1),
                name="incident_source_confidence_unit_interval",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.article} → {self.incident}"


# Membership changes of the plain many-to-many fields are history too.
for _field, _name in (("platforms", "Platform"), ("tags", "Tag"), ("related", "Related")):
    pghistory.track(
        pghistory.InsertEvent(f"{_field}.add"),
        pghistory.DeleteEvent(f"{_field}.remove"),
        obj_field=None,
        model_name=f"Incident{_name}Event",
        app_label="incidents",
    )(getattr(Incident, _field).through)
