"""The dated timeline of an incident, each line backed by citations of articles."""

from __future__ import annotations

import pgtrigger
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models

from incidents.dates import PartialDate, precision_constraints, refuse_future
from incidents.dates import Precision as DatePrecision
from incidents.models.articles import Article
from incidents.models.fields import actor_field
from incidents.models.history import tracked
from incidents.models.incidents import Incident
from incidents.search import english_vector
from incidents.text import quote_in_text


class TimelineEventKind(models.TextChoices):
    REPORT = "report", "Report"
    WARNING = "warning", "Warning"
    RESTRICTION = "restriction", "Restriction"
    RESPONSE = "response", "Response"
    LEGAL_ACTION = "legal_action", "Legal action"
    SETTLEMENT = "settlement", "Settlement"
    FIGURE = "figure", "Figure"
    DISCLOSURE = "disclosure", "Disclosure"
    FIX = "fix", "Fix"
    STATUS_CHANGE = "status_change", "Status change"
    NOTE = "note", "Note"


@tracked(exclude=("updated_at", "search_vector"))
class TimelineEvent(models.Model):
    """One dated line of an incident's timeline."""

    # The choices are module-level so that Meta's constraints can name them.
    Kind = TimelineEventKind

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    date = models.DateField()
    date_precision = models.CharField(max_length=5, choices=DatePrecision.choices)
    kind = models.CharField(max_length=16, choices=TimelineEventKind.choices)
    description = models.TextField()
    # Set on status changes only (see the constraint): the workflow's audit trail.
    from_status = models.CharField(
        max_length=16, choices=Incident.Status.choices, null=True, blank=True, editable=False
    )
    to_status = models.CharField(
        max_length=16, choices=Incident.Status.choices, null=True, blank=True, editable=False
    )
    search_vector = models.GeneratedField(
        expression=english_vector(fields={"description": "C"}),
        output_field=SearchVectorField(),
        db_persist=True,
    )
    articles: models.ManyToManyField[Article, Citation] = models.ManyToManyField(
        Article, through="Citation", related_name="cited_by"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = actor_field()

    class Meta:
        ordering = ["incident", "date", "id"]
        indexes = [
            # An incident's timeline in date order.
            models.Index(fields=["incident", "date", "id"], name="timeline_incident_date_idx"),
            # Incident search also looks in the timeline.
            GinIndex(fields=["search_vector"], name="timeline_search_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=TimelineEventKind.values), name="timeline_kind_valid"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(
                        kind=TimelineEventKind.STATUS_CHANGE,
                        from_status__isnull=False,
                        to_status__isnull=False,
                        from_status__in=Incident.Status.values,
                        to_status__in=Incident.Status.values,
                    )
                    & ~models.Q(from_status=models.F("to_status"))
                )
                | (
                    ~models.Q(kind=TimelineEventKind.STATUS_CHANGE)
                    & models.Q(from_status__isnull=True, to_status__isnull=True)
                ),
                name="timeline_status_change_has_statuses",
            ),
            *precision_constraints("date", nullable=False),
        ]

    def __str__(self) -> str:
        return f"{self.when}: {self.description[:60]}"

    def clean(self) -> None:
        refuse_future(date=self.date)
        if self.kind == TimelineEventKind.STATUS_CHANGE and not self.to_status:
            raise ValidationError({"kind": "Status changes are recorded by moving the incident."})

    @property
    def when(self) -> PartialDate:
        return PartialDate(self.date, DatePrecision(self.date_precision))


@tracked()
@pgtrigger.register(
    # The database itself refuses a quote that is not in the article (whitespace folded),
    # whatever wrote the row: the admin, a service, a bulk update or a data migration.
    pgtrigger.Trigger(
        name="citation_quote_in_article",
        when=pgtrigger.Before,
        operation=pgtrigger.Insert | pgtrigger.Update,
        func="""
        IF NEW.quote <> '' AND position(
            regexp_replace(btrim(NEW.quote), '\\s+', ' ', 'g') IN regexp_replace(
                (SELECT text FROM incidents_article WHERE id = NEW.article_id), '\\s+', ' ', 'g'
            )
        ) = 0 THEN
            RAISE EXCEPTION 'citation quote does not occur in article %', NEW.article_id
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
        """,
    )
)
class Citation(models.Model):
    """A timeline event's reference to an article, with the sentence that supports it."""

    event = models.ForeignKey(TimelineEvent, on_delete=models.CASCADE, related_name="citations")
    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="citations")
    quote = models.TextField(
        blank=True, help_text="The exact words of the article that support the event."
    )

    class Meta:
        ordering = ["event", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "article", "quote"], name="citation_event_article_quote_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.article} for {self.event_id}"

    def clean(self) -> None:
        if self.quote and self.article_id and not quote_in_text(self.quote, self.article.text):
            raise ValidationError({"quote": "This sentence does not occur in the article's text."})
