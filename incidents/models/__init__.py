"""The incident domain. Import models from here."""

from incidents.models.articles import Article
from incidents.models.catalog import Organization, Platform, Tag
from incidents.models.feeds import Feed, FeedEntry
from incidents.models.idempotency import IdempotencyKey
from incidents.models.incidents import Incident, IncidentOrganization, IncidentSource
from incidents.models.seeding import SeedMark
from incidents.models.timeline import Citation, TimelineEvent
from incidents.models.tokens import ApiToken

__all__ = [
    "ApiToken",
    "Article",
    "Citation",
    "Feed",
    "FeedEntry",
    "IdempotencyKey",
    "Incident",
    "IncidentOrganization",
    "IncidentSource",
    "Organization",
    "Platform",
    "SeedMark",
    "Tag",
    "TimelineEvent",
]
