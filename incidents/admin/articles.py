"""Admin for articles, the sources behind every claim."""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from incidents import services
from incidents.admin.history import HistoryAdmin
from incidents.dates import PartialDate
from incidents.forms import IncidentFromArticleForm, PartialDateModelForm
from incidents.models import Article, IncidentSource
from incidents.models.articles import ArticleQuerySet
from incidents.permissions import acting_user

# Filing an incident from an article also links it and dismisses its queued suggestions.
CREATE_INCIDENT_PERMISSIONS = (
    "incidents.add_incident",
    "incidents.add_incidentsource",
    "incidents.change_linkcandidate",
)


class ArticleForm(PartialDateModelForm):
    partial_dates = ("published_on",)

    class Meta:
        model = Article
        fields = ["url", "title", "publisher", "author", "language", "published_on", "text"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        hints = {
            "url": "Canonical URL; leave empty for a document without one.",
            "language": "ISO 639-1; leave empty to detect it from the text.",
        }
        for name, hint in hints.items():
            if name in self.fields:  # a read-only view has no form fields
                self.fields[name].required = False
                self.fields[name].help_text = hint

    def clean(self) -> dict:
        super().clean()
        cleaned = self.cleaned_data
        if self.errors:
            return cleaned
        published = PartialDate.from_db(
            cleaned.get("published_on"), self.instance.published_on_precision
        )
        try:
            values = services.article_fields(
                title=cleaned.get("title", ""),
                text=cleaned.get("text", ""),
                url=cleaned.get("url"),
                publisher=cleaned.get("publisher", ""),
                author=cleaned.get("author", ""),
                language=cleaned.get("language"),
                published=published,
                exclude_pk=self.instance.pk,
            )
        except ValidationError as error:
            raise ValidationError(error.message_dict) from None
        # The model form copies cleaned_data onto the instance after clean(); derived values
        # that are not form fields (the content hash, the relevance) go onto the instance.
        for name in services.DERIVED_FIELDS:
            setattr(self.instance, name, values.pop(name))
        cleaned.update(values)
        return cleaned


class BacksIncidentsInline(admin.TabularInline):
    """The incidents this article is a source of (linked from the incident's page)."""

    model = IncidentSource
    fields = readonly_fields = ("incident", "linked_by", "linked_at")
    extra = 0
    can_delete = False
    verbose_name = "incident it backs"
    verbose_name_plural = "incidents it backs"

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class RelevanceFilter(admin.SimpleListFilter):
    title = "relevance"
    parameter_name = "relevance"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        threshold = settings.TRACKER_RELEVANCE_MIN
        return [
            ("relevant", f"Relevant ({threshold} and over)"),
            ("irrelevant", f"Irrelevant (under {threshold})"),
            ("unscored", "Not scored (filed by hand)"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        articles = cast(ArticleQuerySet, queryset)  # the admin's queryset is Article.objects'
        if self.value() == "relevant":
            return articles.relevant()
        if self.value() == "irrelevant":
            return articles.irrelevant()
        if self.value() == "unscored":
            return queryset.filter(relevance__isnull=True)
        return queryset


@admin.register(Article)
class ArticleAdmin(HistoryAdmin):
    form = ArticleForm
    inlines = [BacksIncidentsInline]
    list_display = [
        "title",
        "publisher",
        "language",
        "relevance_shown",
        "duplicate",
        "published",
        "created_at",
    ]
    list_filter = [RelevanceFilter, "language", "publisher"]
    search_fields = ["title", "url", "publisher", "author"]
    readonly_fields = [
        "content_hash",
        "relevance",
        "matched_terms_shown",
        "duplicate_of",
        "created_by",
        "created_at",
        "updated_at",
    ]
    date_hierarchy = "published_on"

    @admin.display(ordering="published_on")
    def published(self, article: Article) -> str:
        return article.published.isoformat() if article.published else "—"

    @admin.display(description="relevance", ordering="relevance")
    def relevance_shown(self, article: Article) -> str:
        return "—" if article.relevance is None else f"{article.relevance:.2f}"

    @admin.display(description="duplicate of", ordering="duplicate_of")
    def duplicate(self, article: Article) -> str:
        if article.duplicate_of_id is None:
            return "—"
        url = reverse("admin:incidents_article_change", args=[article.duplicate_of_id])
        return format_html('<a href="{}">#{}</a>', url, article.duplicate_of_id)

    @admin.display(description="matched terms")
    def matched_terms_shown(self, article: Article) -> str:
        terms = [t for t in article.matched_terms or [] if isinstance(t, dict)]
        return (
            ", ".join(f"{t.get('term')} ({t.get('key')}) x{t.get('count', 1)}" for t in terms)
            or "—"
        )

    def save_model(self, request, obj: Article, form, change: bool) -> None:
        if not change:
            obj.created_by = acting_user(request)
        super().save_model(request, obj, form, change)

    # --- A new incident from the article's page ------------------------------------------------

    def get_urls(self):
        create_incident = self.admin_site.admin_view(self.create_incident_view)
        return [
            path(
                "<path:object_id>/create-incident/",
                create_incident,
                name="incidents_article_create_incident",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        extra_context["can_create_incident"] = request.user.has_perms(CREATE_INCIDENT_PERMISSIONS)
        return super().change_view(request, object_id, form_url, extra_context)

    def create_incident_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        article = self.get_object(request, unquote(object_id))
        if article is None:
            raise Http404(f"No article with ID {object_id!r}.")
        if not request.user.has_perms(CREATE_INCIDENT_PERMISSIONS):
            raise PermissionDenied
        change_url = reverse("admin:incidents_article_change", args=[article.pk])
        if request.method == "POST":
            form = IncidentFromArticleForm(request.POST)
            if form.is_valid():
                incident = self._create_incident(request, article, form)
                if incident is not None:
                    self.message_user(request, f"Filed {incident.slug} from this article.")
                    return HttpResponseRedirect(
                        reverse("admin:incidents_incident_change", args=[incident.pk])
                    )
        else:
            form = IncidentFromArticleForm(
                initial={
                    "title": article.title[:200],
                    "platforms": services.article_platforms(article),
                }
            )
        context = {
            **self.admin_site.each_context(request),
            "title": f"New incident from: {article}",
            "opts": self.opts,
            "original": article,
            "form": form,
            "queued": article.candidates.queued().select_related("incident"),
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/incidents/article/create_incident.html", context)

    def _create_incident(self, request: HttpRequest, article: Article, form):
        data = form.cleaned_data
        try:
            return services.incident_from_article(
                article=article,
                actor=acting_user(request),
                title=data["title"],
                category=data["category"],
                severity=data["severity"],
                summary=data["summary"],
                occurred=data["occurred_on"],
                platforms=list(data["platforms"]),
                tags=list(data["tags"]),
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, error)
            return None
