"""The admin site: the analysts' workspace. Importing this package registers every admin."""

from incidents.admin import articles, catalog, digests, feeds, incidents, timeline, tokens, triage

__all__ = ["articles", "catalog", "digests", "feeds", "incidents", "timeline", "tokens", "triage"]
