"""Digests through a real Celery worker on Redis: the dispatch task claims, queues once its claims
are committed, and the worker sends through a real SMTP server; dispatching again sends nothing,
and two dispatches at once send each digest once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from incidents.models import Delivery, DigestFrequency, Incident, Subscription
from incidents.roles import Role
from tests.digests.smtp import smtp_server
from tests.factories import IncidentFactory
from tests.workers import wait_until

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _subscriber(username: str) -> Subscription:
    user = get_user_model().objects.create_user(username=username, email=f"{username}@example.org")
    user.groups.add(Group.objects.get(name=Role.VIEWER))
    now = timezone.now()
    subscription = Subscription.objects.create(
        user=user, frequency=DigestFrequency.DAILY, delivery_hour=now.hour, time_zone="UTC"
    )
    # Subscribed a while ago, so the hour that has just come is their first digest's.
    Subscription.objects.filter(pk=subscription.pk).update(created_at=now - dt.timedelta(days=2))
    return subscription


def test_a_worker_sends_each_due_digest_once(broker, workers):
    IncidentFactory(title="Zoom meetings hijacked")
    # Filed before the hour came: inside the first window.
    Incident.objects.update(created_at=timezone.now() - dt.timedelta(hours=2))
    subscribers = [_subscriber(name) for name in ("ada", "bob", "cy")]

    with smtp_server() as (recorder, port):
        worker = workers(
            "digests", concurrency=2, env_extra={"EMAIL_URL": f"smtp://127.0.0.1:{port}"}
        )
        broker.send("digests.dispatch")
        broker.send("digests.dispatch")  # a second dispatch at once claims nothing more

        wait_until(
            lambda: Delivery.objects.filter(status=Delivery.Status.SENT).count() == 3,
            "three digests sent",
            workers=(worker,),
        )
        broker.send("digests.dispatch")
        broker.send("digests.sweep")
        wait_until(lambda: broker.queued() == 0 and broker.unacked() == 0, "the queue drained")

    assert sorted(m["To"] for m in recorder.accepted) == sorted(s.user.email for s in subscribers)
    assert Delivery.objects.count() == 3
    assert len({m["Message-ID"] for m in recorder.accepted}) == 3
