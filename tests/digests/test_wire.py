"""``wire.mail_bytes`` writes what the email package writes, and the body charset Django would
pick: the shortcuts change the speed, never the bytes."""

from __future__ import annotations

import email
import re
from email import policy

import pytest
from django.core.mail import EmailMultiAlternatives

from incidents.digests import wire
from incidents.digests.render import body_charset

FIXED = {"Date": "Wed, 25 Nov 2026 08:00:00 -0000", "Message-ID": "<digest-1@example.org>"}
LONG_LINE = "word " * 400  # 2,000 bytes on one line: more than SMTP allows

SUBJECTS = [
    "vcwatch daily digest: 3 incidents, 2026-11-25 - Zoom meetings hijacked",
    "Zoom-Ärger: Behörden warnen vor Zoombombing",  # encoded words
    "x" * 200,  # one word too long for a line
    ("Zoom settles with New York over security and privacy failures " * 3).strip(),  # folded
    "double  spaces and a\ttab",  # not plain: the stdlib path
    "a vertical\x0btab",  # the stdlib breaks the line there (render.header_safe removes it)
    "",
]
BODIES = [
    "Plain text.\nSecond line.\n",
    "Windows line ends\r\nand a lone\rcarriage return\r\n",
    "Ünïcödé and emoji 🎥 and Chinese 视频会议\n",
    f"A long line follows\n{LONG_LINE}\nthen a short one\n",
    "--===============1234567890==\nlooks like a boundary\n",
    "",
]


def _message(subject: str, body: str, html: str) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email="vcwatch <vcwatch@example.org>",
        to=["Reader Ünï <reader@example.org>"],
        headers={
            **FIXED,
            "List-Unsubscribe": "<https://vcwatch.example.org/digests/unsubscribe/"
            + "a" * 90
            + "/>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(html, "text/html")
    message.encoding = body_charset(body, html)
    return message


def _text_of(data: bytes) -> str:
    """The text/plain part as a mail reader decodes it ("" without one: Django leaves an empty
    body out)."""
    parsed = email.message_from_bytes(data, policy=policy.default)
    parts = [p for p in parsed.walk() if p.get_content_type() == "text/plain"]
    return parts[0].get_content() if parts else ""


def _boundaries_named(data: bytes) -> bytes:
    """Each multipart boundary (random per serialisation) replaced by one name."""
    for boundary in set(re.findall(rb'boundary="([^"]+)"', data)):
        data = data.replace(boundary, b"BOUNDARY")
    return data


@pytest.mark.parametrize("subject", SUBJECTS)
@pytest.mark.parametrize("body", BODIES)
def test_the_bytes_are_the_email_packages(subject, body):
    message = _message(subject, body, f"<p>{body}</p>")

    ours = wire.mail_bytes(message)
    stdlib = message.message().as_bytes(linesep="\r\n")

    assert _boundaries_named(ours) == _boundaries_named(stdlib)
    # And a mail reader gets the text back (line ends as the wire has them).
    assert _text_of(ours).splitlines() == body.splitlines()


def test_a_line_longer_than_smtp_allows_is_sent_quoted_printable():
    assert body_charset("short\nlines\n", "<p>fine</p>").body_encoding is None  # 8bit
    message = _message("Long", f"intro\n{LONG_LINE}\n", "<p>short</p>")

    data = wire.mail_bytes(message)

    assert b"Content-Transfer-Encoding: quoted-printable" in data
    assert max(len(line) for line in data.split(b"\r\n")) <= 998
    assert _text_of(data).splitlines() == ["intro", LONG_LINE]


def test_a_line_long_in_bytes_but_not_in_characters_counts_in_bytes():
    # 400 characters, 1,600 bytes in UTF-8: Django counts bytes, and so does body_charset.
    assert body_charset("🎥" * 400).body_encoding is not None


def test_the_boundary_is_found_nowhere_in_the_parts(monkeypatch):
    candidates = iter(["=====first==", "=====second=="])
    monkeypatch.setattr(
        wire.BytesGenerator, "_make_boundary", classmethod(lambda cls, text=None: next(candidates))
    )

    chosen = wire._Generator._make_boundary(b"text\n--=====first== not alone on its line\n")

    assert chosen == "=====second=="
