"""/digests/unsubscribe/<token>/: leave the digests without logging in.

GET only shows a confirmation page: mail scanners and link previews fetch every URL in a mail,
and must not unsubscribe anyone. POST unsubscribes, whether from the page's button or from a
mail provider's one-click request (RFC 8058, body ``List-Unsubscribe=One-Click``).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseNotFound
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from incidents.digests.unsubscribe import (
    UnsubscribeTokenInvalid,
    unsubscribe_apply,
    unsubscribe_check,
)
from incidents.models import Subscription

_GONE = "There is no subscription behind this link any more: no digest will be sent.\n"


# A one-click POST comes from the mail provider, which has no CSRF token; the signed token in
# the URL is what a forger cannot make, so CSRF protection adds nothing here.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        if request.method == "POST":
            subscription = unsubscribe_apply(token)
            template = "digests/unsubscribed.html"
        else:
            subscription = unsubscribe_check(token)
            template = "digests/unsubscribe.html"
    except UnsubscribeTokenInvalid as error:
        return _plain(HttpResponseBadRequest(f"{error}\n"))
    except Subscription.DoesNotExist:
        return _plain(HttpResponseNotFound(_GONE))
    response = render(request, template, {"subscription": subscription})
    return _private(response)


def _plain(response: HttpResponse) -> HttpResponse:
    response["Content-Type"] = "text/plain; charset=utf-8"
    return _private(response)


def _private(response: HttpResponse) -> HttpResponse:
    # The URL is a credential of sorts: neither cached on the way nor indexed.
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
