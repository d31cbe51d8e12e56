"""Who is acting: the one way views, the admin and the API name the user behind a request."""

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest


def acting_user(request: HttpRequest) -> User:
    """The authenticated user of ``request``; refused (403) for anyone else.

    Views that write require a login before they get here, so this only narrows the type.
    """
    user = getattr(request, "user", None)
    if not isinstance(user, User):
        raise PermissionDenied
    return user
