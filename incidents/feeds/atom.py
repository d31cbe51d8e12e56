"""/feeds/incidents.atom: updates to public incidents, for anyone, without login.

Only incidents marked public appear, and only what a public reader may see: title, summary,
status, platforms and dates. A merged duplicate is left out (its survivor carries the story).
"""

from __future__ import annotations

import datetime as dt

from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.feedgenerator import Atom1Feed

from incidents import selectors
from incidents.models import Incident

FEED_SIZE = 50


class PublicIncidentsFeed(Feed):
    feed_type = Atom1Feed
    title = "vcwatch: video-conferencing security incidents"
    subtitle = "Updates to the public incidents tracked by vcwatch."
    link = "/feeds/incidents.atom"

    def items(self) -> QuerySet[Incident]:
        return selectors.public_incidents()[:FEED_SIZE]

    def item_title(self, item: Incident) -> str:
        return f"[{item.get_status_display()}] {item.title}"

    def item_description(self, item: Incident) -> str:
        # The syndication framework escapes this text; it is never trusted markup.
        occurred = item.occurred.display() if item.occurred else "date unknown"
        platforms = ", ".join(item.platform_slugs) or "no platform named"  # type: ignore[attr-defined]
        facts = f"Occurred: {occurred}. Platforms: {platforms}. Severity: {item.severity}."
        return f"{item.summary}\n\n{facts}"

    def item_link(self, item: Incident) -> str:
        return f"/api/v1/incidents/{item.slug}/"

    def item_guid(self, item: Incident) -> str:
        return f"urn:vcwatch:incident:{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: Incident) -> dt.datetime:
        return item.created_at

    def item_updateddate(self, item: Incident) -> dt.datetime:
        return item.updated_at

    def item_categories(self, item: Incident) -> list[str]:
        return [item.category, *item.platform_slugs]  # type: ignore[attr-defined]

    def __call__(self, request: HttpRequest, *args, **kwargs):
        response = super().__call__(request, *args, **kwargs)
        response["Cache-Control"] = "public, max-age=300"
        return response
