"""VERIS 1.4 incident record (the VERIS Community Database format).

What the tracker knows maps to VERIS as follows; what it does not know is said to be unknown,
never guessed: the timeline keeps the precision of the occurred date (year, month, day), the
status gives ``security_incident``, the source articles the ``reference``, the affected
organisations the ``victim`` and the platforms the asset notes. Threat actions and actors are
recorded as unknown with notes, since the tracker does not classify them.
"""

from __future__ import annotations

import uuid
from typing import Any

from incidents.dates import Precision
from incidents.models import Incident, IncidentOrganization

SCHEMA_VERSION = "1.4.1"
NAMESPACE = uuid.UUID("6f1c7c8e-4f4b-5d8a-9a43-6b1f0c0d7a11")
SECURITY_INCIDENT = {
    Incident.Status.REPORTED: "Suspected",
    Incident.Status.INVESTIGATING: "Suspected",
    Incident.Status.CONFIRMED: "Confirmed",
    Incident.Status.MITIGATED: "Confirmed",
    Incident.Status.RESOLVED: "Confirmed",
    Incident.Status.REJECTED: "False positive",
}


def incident_veris(incident: Incident) -> dict[str, Any]:
    """The VERIS record of ``incident`` (fetched with ``selectors.incident_export``)."""
    record_id = str(uuid.uuid5(NAMESPACE, f"incident:{incident.pk}")).upper()
    platforms = ", ".join(p.name for p in incident.platforms.all()) or "not named"
    record: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "schema_name": "vcdb",
        "incident_id": record_id,
        "source_id": "vcwatch",
        "security_incident": SECURITY_INCIDENT[Incident.Status(incident.status)],
        "summary": incident.summary or incident.title,
        "timeline": {"incident": _partial_date(incident)},
        "actor": {"unknown": {"notes": "The tracker does not record the actor."}},
        "action": {"unknown": {"notes": f"vcwatch category: {incident.category}."}},
        "asset": {
            "assets": [{"variety": "S - Other"}],
            "cloud": ["External Cloud Asset(s)"],
            "notes": f"Video-conferencing platform(s): {platforms}.",
        },
        "discovery_method": {"unknown": True},
        "plus": {"master_id": record_id},
    }
    references = [article.url for article in incident.sources.all()]
    if references:
        record["reference"] = "; ".join(references)
    victims = [
        involvement.organization
        for involvement in incident.involvements.all()
        if involvement.role == IncidentOrganization.Role.AFFECTED_PARTY
    ]
    if victims:
        record["victim"] = {
            "victim_id": "; ".join(v.name for v in victims),
            "country": ["Unknown"],
            "employee_count": "Unknown",
            "industry": "000",
            "government": ["Unknown"],
        }
    return record


def _partial_date(incident: Incident) -> dict[str, int]:
    occurred = incident.occurred
    if occurred is None:
        return {"year": incident.created_at.year}
    when = {"year": occurred.start.year}
    if occurred.precision in (Precision.MONTH, Precision.DAY):
        when["month"] = occurred.start.month
    if occurred.precision == Precision.DAY:
        when["day"] = occurred.start.day
    return when
