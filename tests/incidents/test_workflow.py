import datetime as dt
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from incidents import services
from incidents.exceptions import InvalidTransition
from incidents.models import Incident, TimelineEvent
from incidents.workflow import TRANSITIONS, workflow_table_markdown
from tests.factories import IncidentFactory

Status = Incident.Status
ALLOWED = [(source, target) for source, targets in TRANSITIONS.items() for target in targets]
REFUSED = [
    (source, target)
    for source in Status.values
    for target in Status.values
    if target not in TRANSITIONS[source]
]


def _incident_in(status: str) -> Incident:
    reason = Incident.RejectionReason.NOT_SECURITY if status == Status.REJECTED else None
    return IncidentFactory(status=status, rejection_reason=reason)


def _reason_for(target: str) -> str | None:
    return Incident.RejectionReason.RETRACTED if target == Status.REJECTED else None


@pytest.mark.django_db
@pytest.mark.parametrize(("source", "target"), ALLOWED)
def test_every_allowed_transition_moves_and_is_recorded_on_the_timeline(source, target, analyst):
    incident = _incident_in(source)
    services.incident_transition(
        incident=incident,
        to_status=target,
        actor=analyst,
        note="Checked against two sources.",
        rejection_reason=_reason_for(target),
    )
    incident.refresh_from_db()
    assert incident.status == target
    assert incident.updated_by == analyst
    assert incident.rejection_reason == _reason_for(target)
    event = incident.timeline.get(kind=TimelineEvent.Kind.STATUS_CHANGE)
    assert (event.from_status, event.to_status) == (source, target)
    assert event.created_by == analyst
    assert event.date == dt.datetime.now(dt.UTC).date()
    assert event.description == "Checked against two sources."


@pytest.mark.django_db
@pytest.mark.parametrize(("source", "target"), REFUSED)
def test_every_other_transition_is_refused_and_changes_nothing(source, target, analyst):
    incident = _incident_in(source)
    with pytest.raises(InvalidTransition) as error:
        services.incident_transition(
            incident=incident, to_status=target, actor=analyst, rejection_reason=_reason_for(target)
        )
    assert error.value.allowed == TRANSITIONS[source]
    assert f"cannot move from {source} to {target}" in str(error.value)
    incident.refresh_from_db()
    assert incident.status == source
    assert not incident.timeline.exists()


@pytest.mark.django_db
def test_rejecting_needs_a_reason(analyst):
    incident = _incident_in(Status.REPORTED)
    with pytest.raises(ValidationError) as error:
        services.incident_transition(incident=incident, to_status=Status.REJECTED, actor=analyst)
    assert "rejection_reason" in error.value.message_dict
    incident.refresh_from_db()
    assert incident.status == Status.REPORTED
    assert not incident.timeline.exists()


@pytest.mark.django_db
def test_a_reason_is_refused_on_a_move_that_is_not_a_rejection(analyst):
    incident = _incident_in(Status.REPORTED)
    with pytest.raises(ValidationError):
        services.incident_transition(
            incident=incident,
            to_status=Status.CONFIRMED,
            rejection_reason=Incident.RejectionReason.RETRACTED,
            actor=analyst,
        )
    incident.refresh_from_db()
    assert incident.status == Status.REPORTED


@pytest.mark.django_db
def test_reopening_a_rejected_incident_clears_its_reason(analyst):
    incident = _incident_in(Status.REJECTED)
    services.incident_transition(incident=incident, to_status=Status.INVESTIGATING, actor=analyst)
    incident.refresh_from_db()
    assert (incident.status, incident.rejection_reason) == (Status.INVESTIGATING, None)


@pytest.mark.django_db
def test_transition_from_a_stale_copy_uses_the_stored_status(analyst):
    incident = _incident_in(Status.REPORTED)
    stale = Incident.objects.get(pk=incident.pk)
    services.incident_transition(incident=incident, to_status=Status.CONFIRMED, actor=analyst)
    # The stale copy still says "reported", but the row is locked and re-read: the stored status
    # (confirmed) decides, and confirmed -> investigating is not allowed.
    with pytest.raises(InvalidTransition, match="from confirmed"):
        services.incident_transition(incident=stale, to_status=Status.INVESTIGATING, actor=analyst)


def test_readme_shows_the_workflow_table():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert workflow_table_markdown() in readme
