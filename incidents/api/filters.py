"""Query filters of the API lists (django-filter)."""

import django_filters as filters
from django.db.models import QuerySet

from incidents import selectors
from incidents.models import Article, Incident, IncidentOrganization, Organization, Platform, Tag


class IncidentFilter(filters.FilterSet):
    q = filters.CharFilter(
        method="search",
        max_length=500,
        help_text="Full-text search in title, summary and timeline; results ranked.",
    )
    # The to-many filters test membership in a subquery: a join would repeat an incident per
    # match, and the DISTINCT that undoes it would sort every match before the page is cut.
    platform = filters.ModelMultipleChoiceFilter(
        to_field_name="slug",
        queryset=Platform.objects.all(),
        method="filter_platforms",
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
    organization = filters.ModelMultipleChoiceFilter(
        to_field_name="slug",
        queryset=Organization.objects.all(),
        method="filter_organizations",
        help_text="Organisation slug; repeat for any of several.",
    )
    tag = filters.ModelMultipleChoiceFilter(
        to_field_name="slug",
        queryset=Tag.objects.all(),
        method="filter_tags",
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

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset  # applied last, in filter_queryset

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        # The search goes last: it ranks the newest matches among what the other filters keep.
        queryset = super().filter_queryset(queryset)
        text = self.form.cleaned_data.get("q")
        return selectors.incidents_search(queryset, text=text) if text else queryset

    def filter_platforms(self, queryset: QuerySet, name: str, value: list) -> QuerySet:
        if not value:  # an empty choice arrives as an empty queryset, not as no value
            return queryset
        links = Incident.platforms.through.objects.filter(platform__in=value)
        return queryset.filter(pk__in=links.values("incident_id"))

    def filter_organizations(self, queryset: QuerySet, name: str, value: list) -> QuerySet:
        if not value:
            return queryset
        links = IncidentOrganization.objects.filter(organization__in=value)
        return queryset.filter(pk__in=links.values("incident_id"))

    def filter_tags(self, queryset: QuerySet, name: str, value: list) -> QuerySet:
        if not value:
            return queryset
        links = Incident.tags.through.objects.filter(tag__in=value)
        return queryset.filter(pk__in=links.values("incident_id"))

    def filter_min_severity(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(severity__in=Incident.Severity.at_least(Incident.Severity(value)))


class ArticleFilter(filters.FilterSet):
    q = filters.CharFilter(
        method="search",
        max_length=500,
        help_text="Full-text search in title and text, stemmed in each article's language.",
    )
    language = filters.CharFilter()
    incident = filters.CharFilter(field_name="incidents__slug")
    published_after = filters.DateFilter(field_name="published_on", lookup_expr="gte")
    published_before = filters.DateFilter(field_name="published_on", lookup_expr="lte")

    class Meta:
        model = Article
        fields: list[str] = []

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset  # applied last, in filter_queryset

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        # The search goes last: it ranks the newest matches among what the other filters keep.
        queryset = super().filter_queryset(queryset)
        text = self.form.cleaned_data.get("q")
        return selectors.articles_search(queryset, text=text) if text else queryset
