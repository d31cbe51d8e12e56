"""The Celery application: configured from Django settings (``CELERY_*``), tasks autodiscovered."""

import logging.config
import os
from typing import Any

from celery import Celery
from celery.signals import setup_logging

# Connects the signal handlers that carry request ids into tasks and count task runs.
import tracker.observability.tasks  # noqa: F401

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")

app = Celery("tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["incidents.ingestion", "incidents.digests"])


@setup_logging.connect
def _logging_from_django(**kwargs: Any) -> None:
    """Workers and beat log as the web does (LOG_FORMAT, LOG_LEVEL, the request id), not in
    Celery's own format: a receiver here stops Celery from configuring logging itself."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
