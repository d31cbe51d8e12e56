"""A digest as a mail: multipart text and HTML from templates, with RFC 8058 unsubscribe headers.

Everything from the database is escaped in the HTML part (Django's autoescape). Anything that
reaches a header is first stripped of line breaks and other control characters: Django refuses
a header with a newline (BadHeaderError), and a refused digest would be retried forever.
"""

from __future__ import annotations

import datetime as dt
import functools
import unicodedata
import zoneinfo
from email.charset import Charset
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import (
    RFC5322_EMAIL_LINE_LENGTH_LIMIT,
    utf8_charset,
    utf8_charset_qp,
)
from django.template.loader import render_to_string
from django.utils import dateformat, timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from incidents.digests.content import Digest, Section
from incidents.digests.unsubscribe import unsubscribe_url
from incidents.models import DigestFrequency, Subscription

# A subject names the most severe incident, cut so that the count and date stay visible.
SUBJECT_TITLE_LIMIT = 80
_COUNT_WORDS = (
    ("incidents", "incident", "incidents"),
    ("new_incidents", "new", "new"),
    ("status_changes", "status change", "status changes"),
    ("timeline_events", "timeline event", "timeline events"),
    ("articles", "article", "articles"),
)


def digest_message(
    digest: Digest,
    *,
    subscription: Subscription,
    message_id: str | None = None,
    connection=None,
) -> EmailMultiAlternatives:
    """The mail of ``digest`` to the subscriber (``subscription.user`` is read: select it).

    ``message_id`` (from ``message_id_for``) makes every attempt at this digest the same
    message; without it Django makes a new one.
    """
    unsubscribe = unsubscribe_url(subscription)
    parts = [_section_parts(section, subscription.time_zone) for section in digest.sections]
    day, window_start, window_end = _window_labels(
        digest.window_start, digest.window_end, subscription.time_zone
    )
    context = {
        "digest": digest,
        "name": _name(subscription),
        "counts": counts_line(digest.counts),
        "day": day,
        "window_start": window_start,
        "window_end": window_end,
        "time_zone": subscription.time_zone,
        "unsubscribe_url": unsubscribe,
        "base_url": settings.TRACKER_BASE_URL,
    }
    headers = {
        "List-Unsubscribe": f"<{unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        # RFC 3834: no vacation replies to a digest.
        "Auto-Submitted": "auto-generated",
    }
    if message_id:
        headers["Message-ID"] = header_safe(message_id)
    # The sections are joined here, not looped over in the templates: they are most of a digest.
    text = _tidy(
        render_to_string(
            "digests/digest.txt", context | {"sections": "".join("\n" + t for t, _ in parts)}
        )
    )
    html = render_to_string(
        "digests/digest.html",
        context | {"sections": mark_safe("".join(h + "\n" for _, h in parts))},  # noqa: S308  # escaped by the section template
    )
    message = EmailMultiAlternatives(
        subject=digest_subject(digest, subscription=subscription),
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[header_safe(subscription.user.email)],
        headers=headers,
        connection=connection,
    )
    message.attach_alternative(html, "text/html")
    # Chosen here for both parts at once; named by a string, Django would check every line of
    # each part again, a fifth of the cost of building the mail.
    message.encoding = body_charset(text, html)
    return message


def body_charset(*parts: str) -> Charset:
    """UTF-8 sent as 8bit, or as quoted-printable when a line is longer than SMTP allows (998
    bytes): what Django picks for a part, decided by whole-string operations."""
    for part in parts:
        lines = part.encode("utf-8", "surrogateescape").splitlines()
        if max(map(len, lines), default=0) > RFC5322_EMAIL_LINE_LENGTH_LIMIT:
            return utf8_charset_qp
    return utf8_charset


# The subscribers of a batch share most sections (same window, same incidents): each is rendered
# once per time zone, which keeps rendering a small share of the cost of sending a batch. A
# Section is a frozen value, so a cached rendering is never stale.
@functools.lru_cache(maxsize=4096)
def _section_parts(section: Section, time_zone: str) -> tuple[str, SafeString]:
    """The section as text and as HTML (escaped by its template), times in ``time_zone``."""
    context = {"section": section}
    with timezone.override(time_zone):
        text = render_to_string("digests/section.txt", context)
        html = render_to_string("digests/section.html", context)
    return text, mark_safe(html)  # noqa: S308  # the template escaped every value


# A batch's subscribers share a window: its dates are written once per time zone.
@functools.lru_cache(maxsize=1024)
def _window_labels(start: dt.datetime, end: dt.datetime, time_zone: str) -> tuple[str, str, str]:
    """The digest's day (``25 November 2026``) and its window (``24 Nov 08:00``), local."""
    zone = zoneinfo.ZoneInfo(time_zone)
    start, end = start.astimezone(zone), end.astimezone(zone)
    return (
        dateformat.format(end.date(), "j F Y"),
        dateformat.format(start, "j M H:i"),
        dateformat.format(end, "j M H:i"),
    )


def digest_subject(digest: Digest, *, subscription: Subscription) -> str:
    """``vcwatch daily digest: 3 incidents, 2026-11-25 - <most severe title>``, one line."""
    day = digest.window_end.astimezone(zoneinfo.ZoneInfo(subscription.time_zone)).date()
    count = len(digest.sections)
    subject = f"{_name(subscription)}: {count} incident{'s' if count != 1 else ''}, {day}"
    if digest.sections:
        title = Truncator(header_safe(digest.sections[0].title)).chars(SUBJECT_TITLE_LIMIT)
        # An ASCII separator: a subject that is all ASCII needs no RFC 2047 encoding (which cost
        # more than a millisecond a mail).
        subject += f" - {title}"
    return header_safe(subject)


def message_id_for(subscription_id: int, period: dt.date, frequency: str) -> str:
    """The Message-ID of one subscriber's digest for one period, the same on every attempt."""
    host = urlsplit(settings.TRACKER_BASE_URL).hostname or "localhost"
    domain = f"[{host}]" if ":" in host else host  # an IPv6 address is a domain literal
    return f"<digest-{frequency}-{period.isoformat()}-{subscription_id}@{domain}>"


def header_safe(text: str) -> str:
    """``text`` on one line: control characters and line or paragraph separators become spaces
    (a CR LF could otherwise start a header of its own), runs of spaces one."""
    if not (text.isascii() and text.isprintable()):  # else there is nothing to replace
        text = "".join(
            " " if unicodedata.category(char) in ("Cc", "Zl", "Zp") else char for char in text
        )
    return " ".join(text.split())


def counts_line(counts: dict[str, int]) -> str:
    """``3 incidents · 1 new · 2 status changes``: the non-zero counts, incidents always."""
    parts = []
    for key, one, many in _COUNT_WORDS:
        value = counts.get(key, 0)
        if value or key == "incidents":
            parts.append(f"{value} {one if value == 1 else many}")
    return " · ".join(parts)


def _name(subscription: Subscription) -> str:
    if subscription.frequency == DigestFrequency.OFF:
        return "vcwatch digest"  # a preview of a subscription turned off
    return f"vcwatch {subscription.frequency} digest"


def _tidy(text: str) -> str:
    # Template tags on lines of their own leave blank lines behind: at most one in a row.
    text = "\n".join([line.rstrip() for line in text.strip().splitlines()])
    # What re.sub(r"\n{3,}", "\n\n", text) does, several times faster on a long digest.
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text + "\n"
