"""History: database triggers (django-pghistory) record every insert, update and delete.

Triggers catch what model signals miss: bulk updates, raw SQL and data migrations. The acting
user and URL come from the request (pghistory's middleware) or a ``pghistory.context``.
"""

import pghistory


def tracked(*, exclude: tuple[str, ...] = ()):
    """Track inserts, updates and deletes; a change to ``exclude`` fields alone is no event."""
    return pghistory.track(
        pghistory.InsertEvent(),
        pghistory.UpdateEvent(),
        pghistory.DeleteEvent(),
        exclude=list(exclude) or None,
    )
