"""Relevance and triage: the gazetteer articles are scored with, and the links suggested between
new articles and incidents that an analyst accepts or dismisses."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from incidents.models.articles import Article
from incidents.models.fields import actor_field
from incidents.models.incidents import Incident


class TermKind(models.TextChoices):
    PLATFORM = "platform", "Platform"
    ORGANIZATION = "organization", "Organisation"
    VOCABULARY = "vocabulary", "Incident vocabulary"


class GazetteerTerm(models.Model):
    """A word or phrase the relevance score looks for, in one language or all; admins extend
    the list (see incidents.ingestion.relevance for how terms are matched and weighed)."""

    Kind = TermKind

    text = models.CharField(
        max_length=200, help_text='A word or phrase; end it with * to match a prefix ("vulnerab*").'
    )
    kind = models.CharField(max_length=20, choices=TermKind.choices)
    key = models.CharField(
        max_length=100,
        help_text='What it stands for, shared by its translations: "platform:zoom".',
    )
    weight = models.FloatField(default=1.0)
    language = models.CharField(max_length=2, blank=True, help_text="ISO 639-1; blank: any.")
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key", "language", "text"]
        indexes = [models.Index(fields=["key", "language", "text"], name="term_key_idx")]
        constraints = [
            models.UniqueConstraint(fields=["text", "language", "key"], name="term_unique"),
            models.CheckConstraint(condition=Q(kind__in=TermKind.values), name="term_kind_valid"),
            models.CheckConstraint(
                condition=Q(weight__gt=0, weight__lte=5), name="term_weight_positive"
            ),
            models.CheckConstraint(
                condition=Q(language="") | Q(language__regex=r"^[a-z]{2}$"),
                name="term_language_iso639_1",
            ),
            models.CheckConstraint(
                condition=Q(key__regex=r"^[a-z]+:[a-z0-9-]+$"), name="term_key_form"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.text} ({self.key})"


class CandidateStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    ACCEPTED = "accepted", "Accepted"
    DISMISSED = "dismissed", "Dismissed"


class LinkCandidateQuerySet(models.QuerySet):
    def queued(self) -> LinkCandidateQuerySet:
        """What waits for an analyst (the partial index ``candidate_queue_idx``)."""
        return self.filter(status=CandidateStatus.QUEUED)

    def decided(self) -> LinkCandidateQuerySet:
        return self.exclude(status=CandidateStatus.QUEUED)


class LinkCandidate(models.Model):
    """A link between a new article and an incident that the system suggests but does not make
    on its own: the triage queue analysts work through."""

    Status = CandidateStatus

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="candidates")
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="candidates")
    confidence = models.FloatField()
    # Why it was suggested: shared entities and vocabulary, days between the article and the
    # incident (incidents.ingestion.linking).
    reasons = models.JSONField(default=dict)
    status = models.CharField(
        max_length=10, choices=CandidateStatus.choices, default=CandidateStatus.QUEUED
    )
    dismiss_reason = models.TextField(blank=True)
    decided_by = actor_field()
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = LinkCandidateQuerySet.as_manager()

    class Meta:
        ordering = ["-confidence", "id"]
        indexes = [
            # The queue: what is waiting, most likely first.
            models.Index(
                fields=["-confidence", "id"],
                condition=Q(status=CandidateStatus.QUEUED),
                name="candidate_queue_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["article", "incident"], name="candidate_unique"),
            models.CheckConstraint(
                condition=Q(status__in=CandidateStatus.values), name="candidate_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(confidence__gte=0, confidence__lte=1),
                name="candidate_confidence_unit_interval",
            ),
            # A dismissal says why, and the reason stays visible.
            models.CheckConstraint(
                condition=~Q(status=CandidateStatus.DISMISSED) | ~Q(dismiss_reason=""),
                name="candidate_dismissal_has_reason",
            ),
            # ... and only a dismissal has one: an accepted link carries no "why not".
            models.CheckConstraint(
                condition=Q(status=CandidateStatus.DISMISSED) | Q(dismiss_reason=""),
                name="candidate_reason_only_when_dismissed",
            ),
            models.CheckConstraint(
                condition=Q(status=CandidateStatus.QUEUED, decided_at__isnull=True)
                | (~Q(status=CandidateStatus.QUEUED) & Q(decided_at__isnull=False)),
                name="candidate_decided_when_not_queued",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.article} → {self.incident} ({self.confidence:.2f})"
