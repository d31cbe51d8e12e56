"""Reference data incidents point at: platforms, organisations and tags."""

from django.contrib.postgres.fields import ArrayField
from django.db import models


class OrganizationKind(models.TextChoices):
    VENDOR = "vendor", "Vendor"
    GOVERNMENT_AGENCY = "government_agency", "Government agency"
    LAW_ENFORCEMENT = "law_enforcement", "Law enforcement"
    REGULATOR = "regulator", "Regulator"
    COMPANY = "company", "Company"
    SCHOOL = "school", "School"
    MEDIA = "media", "Media"
    NONPROFIT = "nonprofit", "Non-profit"
    RESEARCHER = "researcher", "Security researcher"
    OTHER = "other", "Other"


class Organization(models.Model):
    """A body involved in incidents: a vendor, an agency, a regulator, a company, a school..."""

    # The choices are module-level so that Meta's constraints can name them.
    Kind = OrganizationKind

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=32, choices=OrganizationKind.choices)
    # Other names it goes by, in any language ("FBI", "Federal Bureau of Investigation").
    aliases = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    website = models.URLField(max_length=500, blank=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["name"], name="organization_name_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=OrganizationKind.values), name="organization_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Platform(models.Model):
    """A video-conferencing or collaboration platform (Zoom, Microsoft Teams, ...)."""

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    vendor = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="platforms"
    )
    # Names in news text, in several languages ("Teams", "MS Teams", "Microsoft-Teams").
    aliases = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    website = models.URLField(max_length=500, blank=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["name"], name="platform_name_idx")]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    """A free label analysts put on incidents (``education``, ``end-to-end-encryption``)."""

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name
