"""Log records carry the request id; the JSON formatter writes one object a line:
``time``, ``level``, ``logger``, ``message``, ``request_id``, then the record's extras."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from tracker.observability.context import request_id_get

# Attributes every LogRecord has: anything else on a record came from ``extra=`` (or a filter).
_STANDARD = frozenset(
    set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__)
    | {"message", "asctime", "request_id", "taskName"}
)


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` (or "-") to every record, for both formats."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            # Django logs a 4xx after the middleware returned: then the request names it.
            request = getattr(record, "request", None)
            record.request_id = request_id_get() or getattr(request, "request_id", None) or "-"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": _request_id(record),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        # default=str: an extra that JSON cannot take (a datetime, a model) is written as text.
        return json.dumps(entry, default=str, ensure_ascii=False)


def _request_id(record: logging.LogRecord) -> str | None:
    value = getattr(record, "request_id", None) or request_id_get()
    return None if value == "-" else value
