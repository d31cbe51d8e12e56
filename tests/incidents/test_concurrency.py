"""Analysts moving the same incident at once: the row lock lets exactly one move apply."""

import threading

import pytest
from django.db import connection

from incidents import services
from incidents.exceptions import InvalidTransition
from incidents.models import Incident, TimelineEvent
from tests.factories import IncidentFactory


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_identical_moves_apply_once(analyst):
    incident = IncidentFactory()
    barrier = threading.Barrier(3)
    outcomes: list[str] = []

    def move() -> None:
        try:
            barrier.wait(timeout=10)
            services.incident_transition(
                incident=Incident.objects.get(pk=incident.pk), to_status="confirmed", actor=analyst
            )
            outcomes.append("moved")
        except InvalidTransition:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=move) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["moved", "refused", "refused"]
    assert incident.timeline.filter(kind=TimelineEvent.Kind.STATUS_CHANGE).count() == 1
