"""Email digests: what each user asked to receive, and each digest sent (or being sent).

A delivery row is the digest of one subscriber for one period. It is claimed (inserted) before
the mail is sent, in the transaction that fixes its window, and its unique key (subscription,
period) is what makes a digest go out once however many jobs run (incidents.digests.sending).
"""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from incidents.models.catalog import Platform
from incidents.models.incidents import Incident, IncidentCategory, IncidentSeverity


class DigestFrequency(models.TextChoices):
    OFF = "off", "Off"
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"


def time_zone_check(value: str) -> None:
    """An IANA time zone name, e.g. Europe/Amsterdam."""
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone name (e.g. Europe/Amsterdam).")


class Subscription(models.Model):
    """What one user receives by email, how often, and about which incidents."""

    Frequency = DigestFrequency

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subscription"
    )
    frequency = models.CharField(
        max_length=10, choices=DigestFrequency.choices, default=DigestFrequency.OFF
    )
    # When the digest goes out, in the subscriber's own time: hour 0-23, and for a weekly one
    # the day (0 Monday .. 6 Sunday).
    delivery_hour = models.PositiveSmallIntegerField(default=7)
    delivery_weekday = models.PositiveSmallIntegerField(default=0)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[time_zone_check])
    # Filters: an empty one lets everything through; a followed incident is always in.
    platforms = models.ManyToManyField(Platform, blank=True, related_name="subscriptions")
    min_severity = models.CharField(max_length=10, choices=IncidentSeverity.choices, blank=True)
    categories = ArrayField(
        models.CharField(max_length=16, choices=IncidentCategory.choices), default=list, blank=True
    )
    followed = models.ManyToManyField(Incident, blank=True, related_name="followers")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["frequency", "delivery_hour"],
                condition=~Q(frequency=DigestFrequency.OFF),
                name="subscription_due_idx",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(frequency__in=DigestFrequency.values),
                name="subscription_frequency_valid",
            ),
            models.CheckConstraint(
                condition=Q(delivery_hour__gte=0, delivery_hour__lte=23),
                name="subscription_hour_of_day",
            ),
            models.CheckConstraint(
                condition=Q(delivery_weekday__gte=0, delivery_weekday__lte=6),
                name="subscription_day_of_week",
            ),
            models.CheckConstraint(
                condition=Q(min_severity="") | Q(min_severity__in=IncidentSeverity.values),
                name="subscription_min_severity_valid",
            ),
            models.CheckConstraint(
                condition=Q(categories__contained_by=IncidentCategory.values),
                name="subscription_categories_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_frequency_display()})"


class DeliveryStatus(models.TextChoices):
    # Claimed: the window is fixed and the mail is being sent (or will be, by a retry).
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    # Nothing matched the subscriber's filters in the window: no mail, the window still moves on.
    EMPTY = "empty", "Nothing to send"
    # The server refused for good (5xx), or the retries ran out: shown in the admin, not retried.
    FAILED = "failed", "Failed"


class Delivery(models.Model):
    """The digest of one subscriber for one period: claimed once, sent at most once."""

    Status = DeliveryStatus

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    frequency = models.CharField(max_length=10, choices=DigestFrequency.choices)
    # The period, named by its first local day (the day for a daily digest, the delivery
    # weekday for a weekly one): with the frequency, the unique key.
    period = models.DateField()
    # What the digest covers: changes at or after window_start and before window_end.
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.SENDING
    )
    # The same for every attempt at this digest: a server or client that sees it twice can
    # tell it is one message.
    message_id = models.CharField(max_length=255, unique=True)
    recipient = models.EmailField()
    attempts = models.PositiveSmallIntegerField(default=0)
    # While sending: when the next attempt may start (a send in progress holds it for a lease; a
    # transient failure sets it to the retry's time). The sweeper re-queues what is overdue.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # Counts shown at the top of the digest, kept for the admin.
    summary = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-window_end", "id"]
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status=DeliveryStatus.SENDING),
                name="delivery_sending_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "frequency", "period"], name="delivery_once"
            ),
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values), name="delivery_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(frequency__in=[DigestFrequency.DAILY, DigestFrequency.WEEKLY]),
                name="delivery_frequency_valid",
            ),
            models.CheckConstraint(
                condition=Q(window_start__lt=models.F("window_end")),
                name="delivery_window_ordered",
            ),
            models.CheckConstraint(
                condition=~Q(status=DeliveryStatus.SENT) | Q(sent_at__isnull=False),
                name="delivery_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_frequency_display()} digest of {self.period} to {self.recipient}"
