"""The courier: digests sent from a forked process while the next ones are rendered, and what
becomes of a batch when that process dies, the connection drops or rendering fails."""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading

import pytest
from django.core import mail
from django.utils import timezone

from incidents.digests import courier as courier_module
from incidents.digests import sending
from incidents.digests.sending import deliveries_overdue, deliveries_send
from incidents.models import Delivery
from tests.digests.test_sending import LATER, _run, _subscriber
from tests.factories import IncidentFactory
from tests.workers import wait_until


def _three_subscribers(now: dt.datetime) -> None:
    IncidentFactory(title="Zoom meetings hijacked")
    for name in ("first", "second", "third"):
        _subscriber(name, now)


def _after_the_lease(now: dt.datetime) -> dt.datetime:
    return now + sending.SEND_LEASE + dt.timedelta(seconds=1)


def _retry_time() -> dt.datetime:
    """When every delivery still to send is due again."""
    pending = Delivery.objects.filter(status=Delivery.Status.SENDING)
    return max(pending.values_list("next_attempt_at", flat=True))


def _message_ids(smtp) -> list[str]:
    return [message["Message-ID"] for message in smtp.accepted]


@pytest.mark.django_db
def test_a_connection_lost_mid_batch_leaves_the_rest_for_a_retry(smtp):
    now = timezone.now() + LATER
    _three_subscribers(now)
    smtp.script = ["accept", "hang"]  # the second times out (EMAIL_TIMEOUT), the third waits

    report = _run(now)

    first, second, third = Delivery.objects.order_by("pk")
    assert report.sent == [first.pk]
    assert report.retry == [second.pk, third.pk]
    assert smtp.attempts == 2  # the third was never offered on the dead connection
    third.refresh_from_db()
    assert "timed out" in third.last_error.lower()
    # The retry sends both, once each, with their own Message-IDs.
    later = _retry_time()
    assert deliveries_send(deliveries_overdue(now=later), now=later).sent == [second.pk, third.pk]
    assert sorted(_message_ids(smtp)) == sorted(d.message_id for d in (first, second, third))


@pytest.mark.django_db
def test_a_courier_killed_mid_batch_is_no_loss_and_no_duplicate(smtp, monkeypatch):
    now = timezone.now() + LATER
    _three_subscribers(now)
    smtp.script = ["accept", "hang"]
    children: list[int] = []

    class Watched(courier_module.Courier):
        def __enter__(self):
            entered = super().__enter__()
            children.append(self._pid)
            return entered

    monkeypatch.setattr(sending, "Courier", Watched)

    def kill_on_the_second_mail() -> None:
        wait_until(lambda: smtp.attempts >= 2, "the second mail at the server")
        os.kill(children[0], signal.SIGKILL)

    killer = threading.Thread(target=kill_on_the_second_mail)
    killer.start()
    report = _run(now)
    killer.join()

    first, second, third = Delivery.objects.order_by("pk")
    assert report.sent == [first.pk]
    # Never reported: taken as not tried, retried (the second's server never said 250).
    assert report.retry == [second.pk, third.pk]
    assert "stopped" in Delivery.objects.get(pk=third.pk).last_error
    later = _retry_time()
    assert deliveries_send(deliveries_overdue(now=later), now=later).sent == [second.pk, third.pk]
    assert sorted(_message_ids(smtp)) == sorted(d.message_id for d in (first, second, third))
    with pytest.raises(ChildProcessError):  # reaped by the courier
        os.waitpid(children[0], os.WNOHANG)


@pytest.mark.django_db
def test_a_courier_dead_before_the_batch_leaves_it_all_for_a_retry(smtp, monkeypatch):
    now = timezone.now() + LATER
    _three_subscribers(now)

    class Dead(courier_module.Courier):
        def __enter__(self):
            entered = super().__enter__()
            os.kill(self._pid, signal.SIGKILL)
            os.waitid(os.P_PID, self._pid, os.WEXITED | os.WNOWAIT)  # dead, not yet reaped
            return entered

    monkeypatch.setattr(sending, "Courier", Dead)
    report = _run(now)  # no exception: the batch is left for the retry

    assert sorted(report.retry) == sorted(Delivery.objects.values_list("pk", flat=True))
    assert smtp.attempts == 0
    monkeypatch.setattr(sending, "Courier", courier_module.Courier)
    later = _retry_time()
    assert len(deliveries_send(deliveries_overdue(now=later), now=later).sent) == 3
    assert len(smtp.accepted) == 3


@pytest.mark.django_db
def test_a_failure_while_rendering_records_what_went_and_leaves_the_rest(smtp, monkeypatch):
    now = timezone.now() + LATER
    _three_subscribers(now)
    render = sending.digest_message
    calls = []

    def failing_on_the_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("template broke")
        return render(*args, **kwargs)

    monkeypatch.setattr(sending, "digest_message", failing_on_the_third)
    with pytest.raises(RuntimeError, match="template broke"):
        _run(now)

    deliveries = list(Delivery.objects.order_by("pk"))
    sent = [d for d in deliveries if d.status == Delivery.Status.SENT]
    # What the server took is recorded as sent; nothing else is (the courier stops at once, so
    # a mail rendered but not yet sent may come back too).
    assert sorted(_message_ids(smtp)) == sorted(d.message_id for d in sent)
    assert all(d.status in (Delivery.Status.SENT, Delivery.Status.SENDING) for d in deliveries)
    monkeypatch.setattr(sending, "digest_message", render)
    # Once the lease lapses, the sweeper's run sends the rest, once each.
    later = _after_the_lease(now)
    deliveries_send(deliveries_overdue(now=later), now=later)
    assert sorted(_message_ids(smtp)) == sorted(d.message_id for d in deliveries)
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.SENT}


@pytest.mark.django_db
def test_other_backends_send_in_this_process():
    # pytest-django's locmem backend: the outbox is this process's, so no child is forked.
    now = timezone.now() + LATER
    _three_subscribers(now)

    report = _run(now)

    assert len(report.sent) == 3
    assert sorted(message.to[0] for message in mail.outbox) == [
        "first@example.org",
        "second@example.org",
        "third@example.org",
    ]


@pytest.mark.django_db
def test_many_batches_go_over_the_pipe_in_order(smtp, monkeypatch):
    # Batches of two: the courier keeps one connection across them and reports each batch's
    # outcomes to the right batch.
    monkeypatch.setattr(sending, "BATCH", 2)
    now = timezone.now() + LATER
    IncidentFactory(title="Zoom meetings hijacked")
    for n in range(7):
        _subscriber(f"reader{n}", now)
    smtp.script = ["accept", "accept", "accept", "550 5.1.1 No such user"]

    report = _run(now)

    deliveries = list(Delivery.objects.order_by("pk"))
    assert report.failed == [deliveries[3].pk]
    assert report.sent == [d.pk for i, d in enumerate(deliveries) if i != 3]
    assert len(smtp.accepted) == 6
