"""CSV export of an incident list, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet
from rest_framework.renderers import BaseRenderer

from incidents.models import Incident

COLUMNS = [
    "slug",
    "title",
    "status",
    "severity",
    "category",
    "occurred_on",
    "platforms",
    "organizations",
    "tags",
    "public",
    "created_at",
    "updated_at",
]
# A cell starting with one of these is read as a formula by spreadsheet programs (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class CSVRenderer(BaseRenderer):
    """Lets ``?format=csv`` and ``Accept: text/csv`` choose the CSV export of a list."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        # Lists are streamed by the view; this only renders errors, as plain text.
        if isinstance(data, dict) and "detail" in data:
            return str(data["detail"]).encode()
        return b""


def neutralise(value: object) -> str:
    """The cell's text, with a leading quote where a spreadsheet would see a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def incidents_csv(incidents: QuerySet[Incident]) -> Iterator[str]:
    """CSV lines for ``incidents`` (annotated by ``selectors.incident_list``), header first."""
    writer = csv.writer(_Echo())
    yield writer.writerow(COLUMNS)
    for incident in incidents.iterator(chunk_size=500):
        yield writer.writerow([neutralise(cell) for cell in _row(incident)])


def _row(incident: Any) -> Iterable[object]:
    # An Incident with the annotations of selectors.incident_list.
    occurred = incident.occurred
    return [
        incident.slug,
        incident.title,
        incident.status,
        incident.severity,
        incident.category,
        occurred.isoformat() if occurred else "",
        " ".join(incident.platform_slugs),
        " ".join(f"{o['organization']}:{o['role']}" for o in incident.organization_roles),
        " ".join(incident.tag_slugs),
        "true" if incident.public else "false",
        incident.created_at.isoformat(),
        incident.updated_at.isoformat(),
    ]
