"""The admin site: the analysts' workspace. Importing this package registers every admin."""

from incidents.admin import articles, catalog, incidents, timeline, tokens

__all__ = ["articles", "catalog", "incidents", "timeline", "tokens"]
