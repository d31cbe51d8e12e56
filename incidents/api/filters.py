"""Query filters of the API lists (django-filter)."""

import django_filters as filters
from django.db.models import QuerySet

from incidents import selectors
from incidents.models import Article, Incident, Organization, Platform, Tag


class IncidentFilter(filters.FilterSet):
    q = filters.CharFilter(
        method="search",
        max_length=500,
        help_text="Full-text search in title, summary and timeline; results ranked.",
    )
    platform = filters.ModelMultipleChoiceFilter(
        field_name="platforms__slug",
        to_field_name="slug",
        queryset=Platform.objects.all(),
        help_text="Platform slug; repeat for any of several.",
    )
    status = filters.MultipleChoiceFilter(
        choices=Incident.Status.choices, help_text="Repeat for any of several."
    )
    category = filters.MultipleChoiceFilter(
        choices=Incident.Category.choices, help_text="Repeat for any of several."
    )
    min_severity = filters.ChoiceFilter(
        choices=Incident.Severity.choices, method="filter_min_severity"
    )
    organization = filters.ModelMultipleChoiceFilter(
        field_name="organizations__slug",
        to_field_name="slug",
        queryset=Organization.objects.all(),
        distinct=True,
    )
    tag = filters.ModelMultipleChoiceFilter(
        field_name="tags__slug", to_field_name="slug", queryset=Tag.objects.all()
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
        return selectors.incidents_search(queryset, text=value)

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
        return selectors.articles_search(queryset, text=value)
