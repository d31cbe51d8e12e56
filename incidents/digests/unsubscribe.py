"""One-click unsubscribe (RFC 8058): a signed link in every digest that turns digests off.

The token is the subscription and user ids signed with ``SECRET_KEY`` under a salt of its own,
so it is worth nothing anywhere else. It does not expire: a link in a digest read months later
must still work. It also stays valid after the subscriber turns digests back on, which is
harmless, since all it can do is turn them off again. Rotating ``SECRET_KEY`` breaks old links
unless the old key stays in ``SECRET_KEY_FALLBACKS``.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from incidents.models import DigestFrequency, Subscription

_SALT = "incidents.digests.unsubscribe"


class UnsubscribeTokenInvalid(ValueError):
    """The link was altered, truncated or signed with another key."""


def unsubscribe_token(subscription: Subscription) -> str:
    """URL-safe: base64 characters and one colon."""
    return signing.Signer(salt=_SALT).sign_object([subscription.pk, subscription.user_id])


def unsubscribe_url(subscription: Subscription) -> str:
    """The absolute one-click URL, for the mail's List-Unsubscribe header and footer."""
    path = reverse("digests:unsubscribe", kwargs={"token": unsubscribe_token(subscription)})
    return settings.TRACKER_BASE_URL + path


def unsubscribe_check(token: str) -> Subscription:
    """The subscription ``token`` names, changing nothing (the confirmation page).

    Raises ``UnsubscribeTokenInvalid``, or ``Subscription.DoesNotExist`` when the user or their
    subscription was deleted since.
    """
    subscription_id, user_id = _ids(token)
    return Subscription.objects.select_related("user").get(pk=subscription_id, user_id=user_id)


def unsubscribe_apply(token: str) -> Subscription:
    """Turn off the digests of the subscription ``token`` names; again changes nothing.

    Raises as ``unsubscribe_check``.
    """
    subscription_id, user_id = _ids(token)
    # A conditional update: a second click (or a mail provider's retry) writes nothing.
    Subscription.objects.filter(pk=subscription_id, user_id=user_id).exclude(
        frequency=DigestFrequency.OFF
    ).update(frequency=DigestFrequency.OFF, updated_at=timezone.now())
    return Subscription.objects.select_related("user").get(pk=subscription_id, user_id=user_id)


def _ids(token: str) -> tuple[int, int]:
    try:
        value = signing.Signer(salt=_SALT).unsign_object(token)
    except signing.BadSignature as error:
        raise UnsubscribeTokenInvalid("This unsubscribe link is not valid.") from error
    # Signed by us, so well formed; checked all the same rather than trusted into a query.
    if not (isinstance(value, list) and len(value) == 2 and all(type(v) is int for v in value)):
        raise UnsubscribeTokenInvalid("This unsubscribe link is not valid.")
    return value[0], value[1]
