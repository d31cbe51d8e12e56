"""Services: every write to the incident domain goes through one of these functions.

Views, the admin, commands and tasks parse input, call a service and shape its output. Services
validate fully before writing and raise ``ValidationError`` (field -> messages) or a
``DomainError``; a refused call writes nothing.
"""

from incidents.services.articles import DERIVED_FIELDS, article_create, article_fields
from incidents.services.incidents import (
    INCIDENT_EDITABLE_FIELDS,
    incident_add_organization,
    incident_create,
    incident_delete,
    incident_link_article,
    incident_merge,
    incident_move,
    incident_transition,
    incident_unlink_article,
    incident_update,
    incidents_relate,
)
from incidents.services.timeline import (
    CitationInput,
    citation_add,
    citation_remove,
    timeline_event_create,
    timeline_event_delete,
    timeline_event_update,
)
from incidents.services.triage import (
    TriageReport,
    article_platforms,
    candidate_accept,
    candidate_dismiss,
    candidates_accept,
    candidates_dismiss,
    incident_from_article,
)

__all__ = [
    "DERIVED_FIELDS",
    "INCIDENT_EDITABLE_FIELDS",
    "CitationInput",
    "TriageReport",
    "article_create",
    "article_fields",
    "article_platforms",
    "candidate_accept",
    "candidate_dismiss",
    "candidates_accept",
    "candidates_dismiss",
    "citation_add",
    "citation_remove",
    "incident_add_organization",
    "incident_create",
    "incident_delete",
    "incident_from_article",
    "incident_link_article",
    "incident_merge",
    "incident_move",
    "incident_transition",
    "incident_unlink_article",
    "incident_update",
    "incidents_relate",
    "timeline_event_create",
    "timeline_event_delete",
    "timeline_event_update",
]
