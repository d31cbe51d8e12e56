"""Admin for articles, the sources behind every claim."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import ValidationError

from incidents import services
from incidents.admin.history import HistoryAdmin
from incidents.dates import PartialDate
from incidents.forms import PartialDateModelForm
from incidents.models import Article, IncidentSource
from incidents.permissions import acting_user


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
        # that are not form fields (the content hash) go straight onto the instance.
        self.instance.content_hash = values.pop("content_hash")
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


@admin.register(Article)
class ArticleAdmin(HistoryAdmin):
    form = ArticleForm
    inlines = [BacksIncidentsInline]
    list_display = ["title", "publisher", "language", "published", "created_at"]
    list_filter = ["language", "publisher"]
    search_fields = ["title", "url", "publisher", "author"]
    readonly_fields = ["content_hash", "created_by", "created_at", "updated_at"]
    date_hierarchy = "published_on"

    @admin.display(ordering="published_on")
    def published(self, article: Article) -> str:
        return article.published.isoformat() if article.published else "—"

    def save_model(self, request, obj: Article, form, change: bool) -> None:
        if not change:
            obj.created_by = acting_user(request)
        super().save_model(request, obj, form, change)
