"""The incident domain. Import models from here."""

from incidents.models.articles import Article
from incidents.models.catalog import Organization, Platform, Tag
from incidents.models.digests import Delivery, DigestFrequency, Subscription
from incidents.models.feeds import Feed, FeedEntry
from incidents.models.idempotency import IdempotencyKey
from incidents.models.incidents import Incident, IncidentOrganization, IncidentSource
from incidents.models.seeding import SeedMark
from incidents.models.timeline import Citation, TimelineEvent
from incidents.models.tokens import ApiToken
from incidents.models.triage import GazetteerTerm, LinkCandidate

__all__ = [
    "ApiToken",
    "Article",
    "Citation",
    "Delivery",
    "DigestFrequency",
    "Feed",
    "FeedEntry",
    "GazetteerTerm",
    "IdempotencyKey",
    "Incident",
    "IncidentOrganization",
    "IncidentSource",
    "LinkCandidate",
    "Organization",
    "Platform",
    "SeedMark",
    "Subscription",
    "Tag",
    "TimelineEvent",
]
