"""API token services: issue, authenticate, revoke."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import OuterRef, Q, Value
from django.db.models.functions import Concat
from django.utils import timezone

from incidents.models import ApiToken

# Refresh last_used_at at most this often, so that reads do not write on every request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=5)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_issue(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """A new token for ``user``; the clear key is returned once and never stored."""
    key = secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        key_hash=_hash(key),
        prefix=key[:8],
        expires_at=now + dt.timedelta(days=settings.API_TOKEN_TTL_DAYS),
    )
    return token, key


def api_token_authenticate(*, key: str) -> ApiToken | None:
    """The live token with this key (not expired, not revoked, its user active), else None."""
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash(key), revoked_at__isnull=True, expires_at__gt=now)
        .annotate(permissions=_permissions_of(OuterRef("user")))
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    # The user's permissions came with the token: filling ModelBackend's per-user cache spares
    # every request its two permission queries (the user's own and their groups').
    token.user._perm_cache = set(token.permissions)  # type: ignore[attr-defined]
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def _permissions_of(user: OuterRef) -> ArraySubquery:
    """``app_label.codename`` of every permission the user holds, directly or by group."""
    held = Permission.objects.filter(Q(user=user) | Q(group__user=user)).order_by()
    return ArraySubquery(
        held.values(perm=Concat("content_type__app_label", Value("."), "codename")).distinct()
    )


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke a token; revoking twice keeps the first time."""
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token.refresh_from_db()
    return token
