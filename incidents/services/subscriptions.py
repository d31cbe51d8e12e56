"""Subscriptions: what a user asks to receive by email, read with its schedule and last
delivery, changed through one validating function, and the next digest previewed unsent.

Everyone with a role manages their own subscription (``/api/v1/me/subscription/``); the Admin
role sees and edits all of them in the admin, through the same checks.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from incidents.digests.content import digest_build
from incidents.digests.periods import LENGTH, period_current
from incidents.digests.render import digest_message
from incidents.digests.sending import window_next
from incidents.models import Delivery, DigestFrequency, Incident, Platform, Subscription
from incidents.models.digests import DeliveryStatus, time_zone_check
from incidents.models.incidents import IncidentCategory, IncidentSeverity

# Who may follow an incident: whoever may read it.
FOLLOW_PERMISSION = "incidents.view_incident"


@dataclass(frozen=True)
class LastDelivery:
    """The subscriber's latest digest: its period, how it went, and when it left."""

    period: dt.date
    status: DeliveryStatus
    sent_at: dt.datetime | None


def subscription_get_or_default(user: User, *, now: dt.datetime | None = None) -> Subscription:
    """The user's subscription (an unsaved default, off, when they have none), carrying
    ``platform_slugs``, ``followed_slugs``, ``last_delivery`` (a ``LastDelivery`` or None) and
    ``next_digest_at`` (see ``digest_next_at``; None too when the user has no email address).

    One query however many platforms, incidents and deliveries it has.
    """
    subscription = _with_slugs().filter(user=user).first()
    if subscription is None:
        subscription = Subscription(user=user)
        # Set as a queryset sets annotations: the read serializer finds them either way.
        vars(subscription).update(platform_slugs=[], followed_slugs=[], last_period=None)
    last = vars(subscription)
    last_delivery = (
        None
        if last["last_period"] is None
        else LastDelivery(
            period=last["last_period"],
            status=DeliveryStatus(last["last_status"]),
            sent_at=last["last_sent_at"],
        )
    )
    # Digests go to the account's address: without one, none is coming.
    next_digest_at = (
        digest_next_at(subscription, last_delivery=last_delivery, now=now or timezone.now())
        if user.email
        else None
    )
    vars(subscription).update(last_delivery=last_delivery, next_digest_at=next_digest_at)
    return subscription


def _with_slugs() -> QuerySet[Subscription]:
    # Array and scalar subqueries of one statement, as incident_list does: a constant query count.
    last = Delivery.objects.filter(subscription=OuterRef("pk")).order_by("-window_end", "-id")
    return Subscription.objects.annotate(
        platform_slugs=ArraySubquery(
            Platform.objects.filter(subscriptions=OuterRef("pk")).order_by("slug").values("slug")
        ),
        followed_slugs=ArraySubquery(
            Incident.objects.filter(followers=OuterRef("pk")).order_by("slug").values("slug")
        ),
        last_period=Subquery(last.values("period")[:1]),
        last_status=Subquery(last.values("status")[:1]),
        last_sent_at=Subquery(last.values("sent_at")[:1]),
    )


def digest_next_at(
    subscription: Subscription, *, last_delivery: LastDelivery | None, now: dt.datetime
) -> dt.datetime | None:
    """When the next digest falls due; None when off.

    As ``subscriptions_due`` decides: the current period's due instant (already past: it goes
    at the next dispatch) while its digest is unclaimed and it fell due after the subscriber
    subscribed, else the next period's.
    """
    current = period_current(subscription, now)
    if current is None:
        return None
    claimed = last_delivery is not None and last_delivery.period >= current.period
    subscribed = subscription.created_at or now
    if not claimed and current.due_at >= subscribed:
        return current.due_at
    # The next period starts one period later in local dates (not 24 h later: clocks change);
    # fold 0 places an hour skipped or repeated by a clock change as periods.py does.
    day = current.period + LENGTH[current.frequency]
    zone = zoneinfo.ZoneInfo(subscription.time_zone)
    return dt.datetime.combine(day, dt.time(subscription.delivery_hour), zone).astimezone(dt.UTC)


def subscription_values(subscription: Subscription) -> dict[str, Any]:
    """A subscription read by ``subscription_get_or_default``, as ``subscription_update`` takes
    it: the base a partial change is applied to."""
    return {
        "frequency": subscription.frequency,
        "delivery_hour": subscription.delivery_hour,
        "delivery_weekday": subscription.delivery_weekday,
        "time_zone": subscription.time_zone,
        "platforms": list(vars(subscription)["platform_slugs"]),
        "min_severity": subscription.min_severity,
        "categories": list(subscription.categories),
        "followed": list(vars(subscription)["followed_slugs"]),
    }


@dataclass(frozen=True)
class SubscriptionTargets:
    """What a checked subscription's slugs name."""

    platforms: list[Platform]
    followed: list[Incident]


def subscription_check(
    *,
    user: User,
    frequency: str,
    delivery_hour: int,
    delivery_weekday: int,
    time_zone: str,
    platforms: Sequence[str],
    min_severity: str | None,
    categories: Sequence[str],
    followed: Sequence[str],
) -> SubscriptionTargets:
    """Validate a whole subscription for ``user``; raise ``ValidationError`` with every invalid
    field and its messages. Returns the platforms and incidents the slugs name."""
    errors: dict[str, list[str]] = {}
    if frequency not in DigestFrequency.values:
        errors["frequency"] = [f"{frequency!r} is not one of: {_listed(DigestFrequency.values)}."]
    if not 0 <= delivery_hour <= 23:
        errors["delivery_hour"] = ["Give an hour from 0 to 23."]
    if not 0 <= delivery_weekday <= 6:
        errors["delivery_weekday"] = ["Give a day from 0 (Monday) to 6 (Sunday)."]
    try:
        time_zone_check(time_zone)
    except ValidationError as error:
        errors["time_zone"] = error.messages
    if min_severity and min_severity not in IncidentSeverity.values:
        choices = _listed(IncidentSeverity.values)
        errors["min_severity"] = [f"{min_severity!r} is not one of: {choices}, or none."]
    category_errors = _duplicates(categories) + [
        f"{category!r} is not one of: {_listed(IncidentCategory.values)}."
        for category in categories
        if category not in IncidentCategory.values
    ]
    if category_errors:
        errors["categories"] = category_errors
    platform_rows = _by_slug(Platform.objects.all(), platforms, "platform", "platforms", errors)
    incident_rows = _by_slug(Incident.objects.all(), followed, "incident", "followed", errors)
    if incident_rows and not user.has_perm(FOLLOW_PERMISSION):
        # A digest shows what it follows: following is reading, so it needs the right to read.
        errors.setdefault("followed", []).append("You may not read incidents, so none to follow.")
    merged = [
        f"{incident.slug} was merged into another incident: follow that one."
        for incident in incident_rows
        if incident.merged_into_id is not None
    ]
    if merged:
        errors.setdefault("followed", []).extend(merged)
    if errors:
        raise ValidationError(errors)
    return SubscriptionTargets(platforms=platform_rows, followed=incident_rows)


def subscription_update(
    *,
    user: User,
    frequency: str,
    delivery_hour: int,
    delivery_weekday: int,
    time_zone: str,
    platforms: Sequence[str],
    min_severity: str | None,
    categories: Sequence[str],
    followed: Sequence[str],
) -> Subscription:
    """Set ``user``'s whole subscription, creating it the first time. ``platforms`` and
    ``followed`` are slugs; ``min_severity`` None or "" for none. A refusal (see
    ``subscription_check``) writes nothing."""
    targets = subscription_check(
        user=user,
        frequency=frequency,
        delivery_hour=delivery_hour,
        delivery_weekday=delivery_weekday,
        time_zone=time_zone,
        platforms=platforms,
        min_severity=min_severity,
        categories=categories,
        followed=followed,
    )
    with transaction.atomic():
        # Locked: two first saves at once make one row (the loser's insert waits, then reads it).
        subscription, _ = Subscription.objects.select_for_update().get_or_create(user=user)
        subscription.frequency = frequency
        subscription.delivery_hour = delivery_hour
        subscription.delivery_weekday = delivery_weekday
        subscription.time_zone = time_zone
        subscription.min_severity = min_severity or ""
        subscription.categories = list(categories)
        subscription.save()
        subscription.platforms.set(targets.platforms)
        subscription.followed.set(targets.followed)
    return subscription


@dataclass(frozen=True)
class DigestPreview:
    """The digest a subscriber would get next: its window and, unless nothing matched, the
    message (built, never sent)."""

    window_start: dt.datetime
    window_end: dt.datetime
    message: EmailMultiAlternatives | None

    @property
    def html(self) -> str:
        alternatives = self.message.alternatives if self.message else []
        return next((str(content) for content, kind in alternatives if kind == "text/html"), "")


def subscription_preview(*, subscription: Subscription, now: dt.datetime) -> DigestPreview | None:
    """Build and render the next digest of ``subscription`` without sending or recording it;
    None when the subscription is off."""
    if subscription.frequency == DigestFrequency.OFF:
        return None
    start, end = window_next(subscription, now)
    digest = digest_build(subscription, start, end)
    message = None if digest.empty else digest_message(digest, subscription=subscription)
    return DigestPreview(window_start=start, window_end=end, message=message)


def _by_slug(
    queryset: QuerySet, slugs: Sequence[str], noun: str, field: str, errors: dict[str, list[str]]
) -> list:
    """The rows ``slugs`` name, in their order; unknown and repeated slugs go to ``errors``."""
    rows = {row.slug: row for row in queryset.filter(slug__in=set(slugs))}
    problems = _duplicates(slugs) + [
        f"No {noun} with the slug {slug!r}." for slug in dict.fromkeys(slugs) if slug not in rows
    ]
    if problems:
        errors.setdefault(field, []).extend(problems)
    return [rows[slug] for slug in dict.fromkeys(slugs) if slug in rows]


def _duplicates(values: Sequence[str]) -> list[str]:
    return [f"{value!r} is listed more than once." for value, n in Counter(values).items() if n > 1]


def _listed(values: Sequence[str]) -> str:
    return ", ".join(values)
