"""Query filters of the API lists (django-filter)."""

from collections.abc import Callable

import django_filters as filters
from django.db import models
from django.db.models import QuerySet

from incidents import selectors
from incidents.models import (
    Article,
    Incident,
    IncidentOrganization,
    LinkCandidate,
    Organization,
    Platform,
    Tag,
)
from incidents.models.articles import ArticleQuerySet
from incidents.models.triage import LinkCandidateQuerySet


class LinkedToAny(filters.ModelMultipleChoiceFilter):
    """Incidents linked (in ``links``, by ``link_field``) to any of the chosen objects.

    Tested as membership in a subquery: a join would repeat an incident per match, and the
    DISTINCT that undoes it would sort every match before the page is cut.
    """

    def __init__(self, *, links: type[models.Model], link_field: str, **kwargs) -> None:
        super().__init__(to_field_name="slug", **kwargs)
        self.links, self.link_field = links, link_field

    def filter(self, qs: QuerySet, value) -> QuerySet:
        if not value:  # no choice arrives as an empty queryset, not as None
            return qs
        linked = self.links._default_manager.filter(**{f"{self.link_field}__in": value})
        return qs.filter(pk__in=linked.values("incident_id"))


class SearchLast(filters.FilterSet):
    """``q=`` goes through ``search`` after every other filter: a search ranks the newest
    matches among what the other filters keep.

    Where there is a ``match_selector``, a search asked for in a date order
    (``ordering=-created_at``, say) is not ranked: it is every match in that order, newest or
    oldest first, for a client that follows what matches.
    """

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset  # applied in filter_queryset

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        text = self.form.cleaned_data.get("q")
        if not text:
            return queryset
        unranked = self.match_selector
        if unranked is not None and self._in_date_order():
            return unranked(queryset, text=text)
        return self.search_selector(queryset, text=text)

    def _in_date_order(self) -> bool:
        # Any ordering but -rank: the paginator refuses one it does not know, a q= or not.
        ordering = self.request.query_params.get("ordering") if self.request else None
        return ordering is not None and ordering != "-rank"

    @staticmethod
    def search_selector(queryset: QuerySet, *, text: str) -> QuerySet:
        raise NotImplementedError

    # Every match, unranked; None: a search is ranked in any order.
    match_selector: Callable[..., QuerySet] | None = None


class IncidentFilter(SearchLast):
    q = filters.CharFilter(
        method="search",
        max_length=500,
        help_text="Full-text search in title, summary and timeline; results ranked.",
    )
    platform = LinkedToAny(
        field_name="platforms__slug",  # what the schema names; filter() does the work
        links=Incident.platforms.through,
        link_field="platform",
        queryset=Platform.objects.all(),
        help_text="Platform slug; repeat for any of several.",
    )
    status = filters.MultipleChoiceFilter(
        choices=Incident.Status.choices, distinct=False, help_text="Repeat for any of several."
    )
    category = filters.MultipleChoiceFilter(
        choices=Incident.Category.choices, distinct=False, help_text="Repeat for any of several."
    )
    min_severity = filters.ChoiceFilter(
        choices=Incident.Severity.choices, method="filter_min_severity"
    )
    organization = LinkedToAny(
        field_name="organizations__slug",
        links=IncidentOrganization,
        link_field="organization",
        queryset=Organization.objects.all(),
        help_text="Organisation slug; repeat for any of several.",
    )
    tag = LinkedToAny(
        field_name="tags__slug",
        links=Incident.tags.through,
        link_field="tag",
        queryset=Tag.objects.all(),
        help_text="Tag slug; repeat for any of several.",
    )
    occurred_after = filters.DateFilter(field_name="occurred_on", lookup_expr="gte")
    occurred_before = filters.DateFilter(field_name="occurred_on", lookup_expr="lte")
    updated_since = filters.IsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", help_text="For incremental sync."
    )
    updated_before = filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="lt")
    public = filters.BooleanFilter()

    class Meta:
        model = Incident
        fields: list[str] = []

    # Incidents match by their timeline too: every match in a date order would be a union of
    # two tables, slow for common words and rare alike; the newest window is ordered instead.
    search_selector = staticmethod(selectors.incidents_search)

    def filter_min_severity(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(severity__in=Incident.Severity.at_least(Incident.Severity(value)))


class ArticleFilter(SearchLast):
    q = filters.CharFilter(
        method="search",
        max_length=500,
        help_text="Full-text search in title and text, stemmed in each article's language; "
        "ranked, unless ordered by date.",
    )
    language = filters.CharFilter()
    incident = filters.CharFilter(field_name="incidents__slug")
    published_after = filters.DateFilter(field_name="published_on", lookup_expr="gte")
    published_before = filters.DateFilter(field_name="published_on", lookup_expr="lte")
    relevant = filters.BooleanFilter(
        method="filter_relevant",
        help_text="true: relevance at least TRACKER_RELEVANCE_MIN (0.3 by default); false: "
        "scored under it. Articles not scored match neither.",
    )
    linked = filters.BooleanFilter(
        method="filter_linked", help_text="true: a source of some incident; false: of none."
    )
    duplicate = filters.BooleanFilter(
        field_name="duplicate_of",
        lookup_expr="isnull",
        exclude=True,
        help_text="true: a near-duplicate of an earlier article; false: an original.",
    )

    class Meta:
        model = Article
        fields: list[str] = []

    search_selector = staticmethod(selectors.articles_search)
    match_selector = staticmethod(selectors.articles_matching)

    def filter_relevant(self, queryset: ArticleQuerySet, name: str, value: bool) -> QuerySet:
        return queryset.relevant() if value else queryset.irrelevant()

    def filter_linked(self, queryset: ArticleQuerySet, name: str, value: bool) -> QuerySet:
        return queryset.linked() if value else queryset.unlinked()


class CandidateFilter(filters.FilterSet):
    status = filters.MultipleChoiceFilter(
        choices=LinkCandidate.Status.choices,
        distinct=False,
        help_text="Repeat for any of several; default: queued only.",
    )
    incident = filters.CharFilter(field_name="incident__slug", help_text="The incident's slug.")
    article = filters.NumberFilter(field_name="article_id", help_text="The article's id.")
    min_confidence = filters.NumberFilter(
        field_name="confidence", lookup_expr="gte", help_text="From 0 to 1."
    )

    class Meta:
        model = LinkCandidate
        fields: list[str] = []

    def filter_queryset(self, queryset: LinkCandidateQuerySet) -> QuerySet:
        # The queue by default: what waits for a decision.
        if not self.form.cleaned_data.get("status"):
            queryset = queryset.queued()
        return super().filter_queryset(queryset)
