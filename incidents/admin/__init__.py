"""The admin site: the analysts' workspace. Importing this package registers every admin."""

from incidents.admin import articles, catalog, feeds, incidents, timeline, tokens, triage

__all__ = ["articles", "catalog", "feeds", "incidents", "timeline", "tokens", "triage"]
