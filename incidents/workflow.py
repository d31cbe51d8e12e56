"""The status workflow: the one table of allowed transitions.

The service, the admin, the API (``allowed_transitions``) and the README all read this table.
"""

from incidents.models import Incident

Status = Incident.Status

TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.REPORTED: (Status.INVESTIGATING, Status.CONFIRMED, Status.REJECTED),
    Status.INVESTIGATING: (Status.CONFIRMED, Status.REJECTED),
    # A confirmed incident can still be rejected, e.g. when its source retracts the story.
    Status.CONFIRMED: (Status.MITIGATED, Status.RESOLVED, Status.REJECTED),
    # A mitigation that does not hold sends the incident back to confirmed.
    Status.MITIGATED: (Status.RESOLVED, Status.CONFIRMED),
    # Reopening: new facts about a closed or rejected incident.
    Status.RESOLVED: (Status.INVESTIGATING,),
    Status.REJECTED: (Status.INVESTIGATING,),
}


def allowed_transitions(status: str) -> tuple[str, ...]:
    """The statuses an incident in ``status`` may move to."""
    return TRANSITIONS[Status(status)]


def is_allowed(from_status: str, to_status: str) -> bool:
    return to_status in allowed_transitions(from_status)


def workflow_table_markdown() -> str:
    """The workflow as the Markdown table the README shows (a test keeps them equal)."""
    rows = ["| from | may move to |", "| --- | --- |"]
    for status in Status:
        targets = ", ".join(f"`{target}`" for target in TRANSITIONS[status])
        rows.append(f"| `{status.value}` | {targets} |")
    return "\n".join(rows)
