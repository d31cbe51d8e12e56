"""Selectors: the reads of the incident domain, with the joins their callers need."""

from collections import Counter

from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.search import SearchRank
from django.db.models import Count, DecimalField, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Cast, JSONObject

from incidents.models import (
    Article,
    Citation,
    Delivery,
    Feed,
    Incident,
    IncidentOrganization,
    IncidentSource,
    LinkCandidate,
    Platform,
    Tag,
    TimelineEvent,
)
from incidents.models.feeds import FeedHealth
from incidents.search import (
    article_candidates,
    article_matching,
    article_matching_scanned,
    query_all_languages,
)
from incidents.search_window import among, newest_matches, newest_window


def incident_list() -> QuerySet[Incident]:
    """Incidents with the slugs of their platforms, tags, related incidents and organisations.

    The related slugs are array subqueries of the same statement: a page of incidents is one
    query however many incidents and relations it holds.
    """
    related = Incident.related.through.objects.filter(from_incident=OuterRef("pk"))
    roles = IncidentOrganization.objects.filter(incident=OuterRef("pk")).order_by(
        "organization__slug", "role"
    )
    return Incident.objects.annotate(
        platform_slugs=ArraySubquery(
            Platform.objects.filter(incidents=OuterRef("pk")).order_by("slug").values("slug")
        ),
        tag_slugs=ArraySubquery(
            Tag.objects.filter(incidents=OuterRef("pk")).order_by("slug").values("slug")
        ),
        related_slugs=ArraySubquery(
            related.order_by("to_incident__slug").values("to_incident__slug")
        ),
        organization_roles=ArraySubquery(
            roles.values(json=JSONObject(organization="organization__slug", role="role"))
        ),
        # A subquery, not a join: a count or a search over the list's ids never evaluates it.
        merged_into_slug=Subquery(
            Incident.objects.filter(pk=OuterRef("merged_into_id")).values("slug")
        ),
    )


def public_incidents() -> QuerySet[Incident]:
    """What anyone may read: public incidents not merged into another, latest update first."""
    return (
        incident_list().filter(public=True, merged_into__isnull=True).order_by("-updated_at", "-id")
    )


def _timeline_events() -> QuerySet[TimelineEvent]:
    """Timeline events, each with its citations as ``citation_rows`` of the same statement."""
    citations = Citation.objects.filter(event=OuterRef("pk")).order_by("id")
    return TimelineEvent.objects.select_related("created_by").annotate(
        citation_rows=ArraySubquery(
            citations.values(json=JSONObject(article="article_id", quote="quote"))
        )
    )


def incident_detail() -> QuerySet[Incident]:
    """``incident_list`` plus each incident's timeline (with citations) and sources.

    Three statements whatever the size: the incident, its timeline, its sources.
    """
    return incident_list().prefetch_related(
        Prefetch("timeline", queryset=_timeline_events().order_by("date", "id")),
        Prefetch("sources", queryset=Article.objects.order_by("id")),
    )


def incident_export() -> QuerySet[Incident]:
    """``incident_detail`` plus what the STIX and VERIS exports name: platforms, organisations."""
    return incident_detail().prefetch_related(
        "platforms",
        Prefetch(
            "involvements",
            queryset=IncidentOrganization.objects.select_related("organization").order_by("id"),
        ),
    )


def incident_get(*, slug: str) -> Incident:
    """The incident at ``slug``; a merged duplicate's slug resolves to the incident it joined.

    Raises ``Incident.DoesNotExist``.
    """
    incident = Incident.objects.select_related("merged_into").get(slug=slug)
    return incident.merged_into or incident


def incident_timeline(*, incident: Incident) -> QuerySet[TimelineEvent]:
    """An incident's timeline, each event with its citations (``citation_rows``)."""
    return _timeline_events().filter(incident=incident)


# How many of the newest matches a search ranks (see incidents.search_window).
INCIDENT_RANK_WINDOW = 1000
ARTICLE_RANK_WINDOW = 1000


def incidents_search(queryset: QuerySet[Incident], *, text: str) -> QuerySet[Incident]:
    """Incidents whose title, summary or timeline match ``text``, annotated with ``rank``.

    The newest ``INCIDENT_RANK_WINDOW`` incidents matching by title or summary, and those of
    the newest as many matching timeline events, among what the other filters keep.
    """
    query = query_all_languages(text)
    events = TimelineEvent.objects.all()
    if queryset.query.has_filters():
        events = events.filter(incident__in=queryset.values("pk"))
    matching = Q(search_vector=query)
    newest_events = newest_matches(events, matching, limit=INCIDENT_RANK_WINDOW)
    candidates = set(newest_matches(queryset, matching, limit=INCIDENT_RANK_WINDOW))
    # As one list of ids: `pk IN (...) OR pk IN (subquery)` would read every incident.
    candidates.update(
        TimelineEvent.objects.filter(pk__in=newest_events)
        .order_by()
        .values_list("incident_id", flat=True)
    )
    return queryset.filter(among(candidates)).annotate(rank=_rank(query))


def _rank(query) -> Cast:
    # As an exact decimal: ts_rank's float does not survive the round trip through a page
    # cursor's text, and the next page would repeat a row.
    return Cast(
        SearchRank(F("search_vector"), query), DecimalField(max_digits=12, decimal_places=8)
    )


def articles_search(queryset: QuerySet[Article], *, text: str) -> QuerySet[Article]:
    """Articles whose title or text match ``text`` in their own language, with ``rank``.

    Only the newest ``ARTICLE_RANK_WINDOW`` matches are ranked: ranking reads every candidate's
    search vector, and a word such as "zoom" is in a good share of a million articles. Filters
    (language, publication dates) narrow the candidates, and so reach older articles.
    """
    query = query_all_languages(text)
    # The window holds exact matches, each checked in its own language; the plan follows the
    # estimate for the readings of every language together.
    window = newest_window(
        queryset,
        article_matching(text, indexable=False),
        limit=ARTICLE_RANK_WINDOW,
        estimate=article_candidates(text),
        scan=article_matching_scanned(text),
    )
    return queryset.filter(window).annotate(rank=_rank(query))


def articles_matching(queryset: QuerySet[Article], *, text: str) -> QuerySet[Article]:
    """Every article whose title or text match ``text`` in its own language, unranked."""
    return queryset.filter(article_matching(text))


def article_list() -> QuerySet[Article]:
    """Articles with the slugs of the incidents they back (``incident_slugs``) and their queued
    link suggestions (``candidate_rows``), as array subqueries: a page is one query."""
    links = IncidentSource.objects.filter(article=OuterRef("pk")).order_by("incident__slug")
    queued = (
        LinkCandidate.objects.queued().filter(article=OuterRef("pk")).order_by("-confidence", "id")
    )
    return Article.objects.annotate(
        incident_slugs=ArraySubquery(links.values("incident__slug")),
        candidate_rows=ArraySubquery(
            queued.values(
                json=JSONObject(
                    id="id",
                    incident="incident__slug",
                    confidence="confidence",
                    reasons="reasons",
                )
            )
        ),
    )


# An article's columns a candidate in a list does not show: its text is kilobytes.
_ARTICLE_BODY = (
    "text",
    "search_vector",
    "search_pairs",
    "id_blocks",
    "signature",
    "signature_bands",
)


def candidate_list() -> QuerySet[LinkCandidate]:
    """Link candidates with their article (its summary), incident and decider, in one query."""
    return LinkCandidate.objects.select_related("article", "incident", "decided_by").defer(
        *(f"article__{name}" for name in _ARTICLE_BODY), "incident__search_vector"
    )


def feed_list() -> QuerySet[Feed]:
    return Feed.objects.order_by("name", "id")


def feed_health_counts() -> dict[str, int]:
    """How many feeds are in each health state (every state named, zeros included)."""
    # Health is a property of the Python model (one rule, shown by the admin and the command
    # too); feeds number in the hundreds, so reading their few dated columns is cheap.
    fields = ("enabled", "consecutive_failures", "last_success_at", "last_new_item_at")
    counts = Counter(feed.health for feed in Feed.objects.only(*fields, "created_at"))
    return {state.value: counts[state] for state in FeedHealth}


def delivery_status_counts() -> dict[str, int]:
    """How many digest deliveries are in each status (every status named, zeros included)."""
    counts = dict(Delivery.objects.values_list("status").annotate(n=Count("id")).order_by())
    return {status.value: counts.get(status.value, 0) for status in Delivery.Status}
