from __future__ import annotations

import pytest

from tests.digests.smtp import smtp_server


@pytest.fixture
def smtp(settings):
    """A real SMTP server on a local port, and Django's SMTP backend pointed at it."""
    with smtp_server() as (recorder, port):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 2
        yield recorder
