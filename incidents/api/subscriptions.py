"""``/api/v1/me/subscription/``: the caller's email digest subscription, read and set."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from incidents.api import docs
from incidents.models import DigestFrequency
from incidents.models.digests import DeliveryStatus
from incidents.models.incidents import IncidentCategory, IncidentSeverity
from incidents.permissions import acting_user
from incidents.services import subscriptions as subscription_services

# Input bounds: a subscription names a few platforms and follows at most this many incidents.
MAX_LISTED = 500

# Filter choices are labelled by what they let through. That also gives them enums of their own
# in the schema: drf-spectacular warns (and the schema test fails) when one choice set, the
# incident's, gets two names.
MIN_SEVERITY_CHOICES = [
    (value, f"{label} or more severe") for value, label in IncidentSeverity.choices
]
CATEGORY_CHOICES = [(value, f"{label} incidents") for value, label in IncidentCategory.choices]


class ReadsIncidents(BasePermission):
    """Any role: whoever may read incidents may have them mailed (no role: 403)."""

    def has_permission(self, request: Request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm("incidents.view_incident"))


class MinSeverityField(serializers.ChoiceField):
    """A severity, or null for no minimum (stored as "")."""

    def __init__(self, **kwargs) -> None:
        super().__init__(choices=MIN_SEVERITY_CHOICES, allow_null=True, **kwargs)

    def to_representation(self, value: str) -> str | None:
        return value or None


class LastDeliverySerializer(serializers.Serializer):
    period = serializers.DateField(
        help_text="The period, named by its first local day (the delivery day of a week)."
    )
    status = serializers.ChoiceField(choices=DeliveryStatus.choices)
    sent_at = serializers.DateTimeField(allow_null=True)


_HELP = {
    "frequency": "How often a digest comes; off for none.",
    "delivery_hour": "The hour (0-23) the digest goes out, in `time_zone`.",
    "delivery_weekday": "For a weekly digest: the day it goes out, 0 Monday to 6 Sunday.",
    "time_zone": "An IANA time zone name, e.g. Europe/Amsterdam.",
    "platforms": "Platform slugs: only incidents on these (none: all platforms).",
    "min_severity": "Only incidents at least this severe; null for all.",
    "categories": "Only incidents of these categories (none: all categories).",
    "followed": "Incident slugs always in the digest, whatever the filters.",
}


class SubscriptionSerializer(serializers.Serializer):
    """A subscription as ``subscription_get_or_default`` reads it."""

    frequency = serializers.ChoiceField(
        choices=DigestFrequency.choices, help_text=_HELP["frequency"]
    )
    delivery_hour = serializers.IntegerField(help_text=_HELP["delivery_hour"])
    delivery_weekday = serializers.IntegerField(help_text=_HELP["delivery_weekday"])
    time_zone = serializers.CharField(help_text=_HELP["time_zone"])
    platforms = serializers.ListField(
        child=serializers.CharField(), source="platform_slugs", help_text=_HELP["platforms"]
    )
    min_severity = MinSeverityField(help_text=_HELP["min_severity"])
    categories = serializers.ListField(
        child=serializers.ChoiceField(choices=CATEGORY_CHOICES),
        help_text=_HELP["categories"],
    )
    followed = serializers.ListField(
        child=serializers.CharField(), source="followed_slugs", help_text=_HELP["followed"]
    )
    next_digest_at = serializers.DateTimeField(
        allow_null=True,
        help_text="When the next digest falls due (past: due, it leaves within minutes); null "
        "when off or when your account has no email address.",
    )
    last_delivery = LastDeliverySerializer(
        allow_null=True, help_text="The latest digest claimed for you; null before the first."
    )


class SubscriptionWriteSerializer(serializers.Serializer):
    """The whole subscription (PUT), or some of its fields (PATCH)."""

    frequency = serializers.ChoiceField(
        choices=DigestFrequency.choices, help_text=_HELP["frequency"]
    )
    delivery_hour = serializers.IntegerField(
        min_value=0, max_value=23, help_text=_HELP["delivery_hour"]
    )
    delivery_weekday = serializers.IntegerField(
        min_value=0, max_value=6, help_text=_HELP["delivery_weekday"]
    )
    time_zone = serializers.CharField(max_length=64, help_text=_HELP["time_zone"])
    platforms = serializers.ListField(
        child=serializers.CharField(max_length=100),
        max_length=MAX_LISTED,
        help_text=_HELP["platforms"],
    )
    min_severity = MinSeverityField(help_text=_HELP["min_severity"])
    categories = serializers.ListField(
        child=serializers.ChoiceField(choices=CATEGORY_CHOICES),
        max_length=len(CATEGORY_CHOICES),
        help_text=_HELP["categories"],
    )
    followed = serializers.ListField(
        child=serializers.CharField(max_length=100),
        max_length=MAX_LISTED,
        help_text=_HELP["followed"],
    )


SUBSCRIBE = OpenApiExample(
    "Subscribe to a weekly digest",
    value={
        "frequency": "weekly",
        "delivery_hour": 8,
        "delivery_weekday": 0,
        "time_zone": "Europe/Amsterdam",
        "platforms": ["zoom"],
        "min_severity": "high",
        "categories": ["intrusion", "vulnerability"],
        "followed": ["zoombombing-2020"],
    },
    request_only=True,
)
UNSUBSCRIBE = OpenApiExample("Stop the digests", value={"frequency": "off"}, request_only=True)
SUBSCRIBED = OpenApiExample(
    "Subscribed, one digest sent",
    value={
        **SUBSCRIBE.value,
        "next_digest_at": "2026-03-09T07:00:00Z",
        "last_delivery": {
            "period": "2026-03-02",
            "status": "sent",
            "sent_at": "2026-03-02T07:00:41Z",
        },
    },
    response_only=True,
    status_codes=["200"],
)
SUBSCRIPTION_INVALID = docs.error(
    "Invalid fields, each named in `fields`.",
    OpenApiExample(
        "Invalid fields",
        value={
            "error": "invalid",
            "detail": "The request has invalid fields: followed, time_zone.",
            "fields": {
                "followed": ["No incident with the slug 'zoombombing-2021'."],
                "time_zone": [
                    "'Europe/Amsterdan' is not an IANA time zone name (e.g. Europe/Amsterdam)."
                ],
            },
        },
    ),
)


class SubscriptionView(GenericAPIView):
    """Your email digest: how often, when, and about which incidents. Any role may subscribe."""

    serializer_class = SubscriptionSerializer
    permission_classes = [ReadsIncidents]
    pagination_class = None
    filter_backends: list = []

    def _answer(self, request: Request) -> Response:
        subscription = subscription_services.subscription_get_or_default(acting_user(request))
        return Response(SubscriptionSerializer(subscription).data)

    @extend_schema(responses={200: SubscriptionSerializer}, examples=[SUBSCRIBED])
    def get(self, request: Request) -> Response:
        """Your subscription; frequency `off` with the defaults when you never set one."""
        return self._answer(request)

    @extend_schema(
        request=SubscriptionWriteSerializer,
        responses={200: SubscriptionSerializer, 400: SUBSCRIPTION_INVALID},
        examples=[SUBSCRIBE, SUBSCRIBED],
    )
    def put(self, request: Request) -> Response:
        """Set the whole subscription; a refused one changes nothing."""
        return self._write(request, partial=False)

    @extend_schema(
        request=SubscriptionWriteSerializer,
        responses={200: SubscriptionSerializer, 400: SUBSCRIPTION_INVALID},
        examples=[UNSUBSCRIBE, SUBSCRIBED],
    )
    def patch(self, request: Request) -> Response:
        """Change some fields; the others keep their values (or the defaults)."""
        return self._write(request, partial=True)

    def _write(self, request: Request, *, partial: bool) -> Response:
        form = SubscriptionWriteSerializer(data=request.data, partial=partial)
        form.is_valid(raise_exception=True)
        user = acting_user(request)
        values: dict[str, Any] = form.validated_data
        if partial:
            current = subscription_services.subscription_get_or_default(user)
            values = subscription_services.subscription_values(current) | values
        subscription_services.subscription_update(user=user, **values)
        return self._answer(request)
