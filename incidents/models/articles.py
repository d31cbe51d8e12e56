"""Articles: the news reports and documents every claim in the tracker rests on."""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Case, F, Q

from incidents.dates import PartialDate, precision_constraints, refuse_future
from incidents.dates import Precision as DatePrecision
from incidents.limits import (
    ARTICLE_AUTHOR_MAX,
    ARTICLE_PUBLISHER_MAX,
    ARTICLE_TITLE_MAX,
    ARTICLE_URL_MAX,
)
from incidents.models.fields import actor_field
from incidents.models.history import tracked
from incidents.search import language_vector
from incidents.search_phrases import pair_keys
from incidents.search_window import id_blocks


def _search_vector() -> Case:
    return language_vector(language_field="language", fields={"title": "A", "text": "B"})


class ArticleQuerySet(models.QuerySet):
    """Named reads of articles (the API's filters, the admin's, linking)."""

    def relevant(self) -> ArticleQuerySet:
        """Scored at least ``TRACKER_RELEVANCE_MIN``; articles not scored (filed by hand) are
        neither relevant nor irrelevant."""
        return self.filter(relevance__gte=settings.TRACKER_RELEVANCE_MIN)

    def irrelevant(self) -> ArticleQuerySet:
        return self.filter(relevance__lt=settings.TRACKER_RELEVANCE_MIN)

    def linked(self) -> ArticleQuerySet:
        """Sources of at least one incident (a subquery: a join would repeat the article)."""
        return self.filter(pk__in=_links().values("article_id"))

    def unlinked(self) -> ArticleQuerySet:
        return self.exclude(pk__in=_links().values("article_id"))


def _links() -> models.QuerySet:
    return apps.get_model("incidents", "IncidentSource").objects.all()


_ArticleManagerBase = models.Manager.from_queryset(ArticleQuerySet)


class ArticleManager(_ArticleManagerBase):
    """Articles without their search columns, which only PostgreSQL reads: sent to Python, a
    vector is kilobytes of text per row."""

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().defer("search_vector", "search_pairs", "id_blocks")


@tracked(
    exclude=(
        "updated_at",
        "search_vector",
        "search_pairs",
        "id_blocks",
        "signature",
        "signature_bands",
    )
)
class Article(models.Model):
    """A source document, stored once however many incidents it backs."""

    # Canonical http(s) URL, or for a document that has none a stable URN (urn:sha256:<hash>).
    url = models.CharField(max_length=ARTICLE_URL_MAX, unique=True)
    title = models.CharField(max_length=ARTICLE_TITLE_MAX)
    publisher = models.CharField(max_length=ARTICLE_PUBLISHER_MAX, blank=True)
    author = models.CharField(max_length=ARTICLE_AUTHOR_MAX, blank=True)
    language = models.CharField(max_length=2, help_text="ISO 639-1 code, detected from the text")
    published_on = models.DateField(null=True, blank=True)
    published_on_precision = models.CharField(
        max_length=5, choices=DatePrecision.choices, null=True, blank=True
    )
    text = models.TextField()
    # sha256 of the normalised text (see incidents.text): the same document is stored once.
    content_hash = models.CharField(max_length=64, unique=True, editable=False)
    search_vector = models.GeneratedField(
        expression=_search_vector(), output_field=SearchVectorField(), db_persist=True
    )
    # Keys of the vector's adjacent lexemes, for phrase search (incidents.search_phrases).
    search_pairs = models.GeneratedField(
        expression=pair_keys(_search_vector()),
        output_field=ArrayField(models.IntegerField()),
        db_persist=True,
    )
    # The id blocks the article falls in, held by the full-text index beside its vector: a
    # search's newest matches are found without reading every match (incidents.search_window).
    id_blocks = models.GeneratedField(
        expression=id_blocks(), output_field=ArrayField(models.BigIntegerField()), db_persist=True
    )
    # Ingestion: the MinHash signature of the text and its LSH band keys (incidents.ingestion
    # .dedupe); the same story on a second site points at the first as its duplicate.
    signature = ArrayField(models.IntegerField(), null=True, blank=True, editable=False)
    signature_bands = ArrayField(models.IntegerField(), null=True, blank=True, editable=False)
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="duplicates"
    )
    # Video-conferencing security relevance in [0, 1] and the gazetteer terms behind it; null
    # for an article not scored (filed by hand).
    relevance = models.FloatField(null=True, blank=True, editable=False)
    matched_terms = models.JSONField(default=list, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = actor_field()

    objects = ArticleManager()

    class Meta:
        ordering = ["-published_on", "-id"]
        indexes = [
            # The article list, newest first.
            models.Index(fields=["-published_on", "-id"], name="article_published_idx"),
            # The API's orderings (?ordering=), a cursor page at any depth.
            models.Index(fields=["-updated_at", "-id"], name="article_updated_idx"),
            models.Index(fields=["-created_at", "-id"], name="article_created_idx"),
            models.Index(fields=["language"], name="article_language_idx"),
            # Full-text search (`q=`), among all articles or a range of the newest.
            GinIndex(fields=["search_vector", "id_blocks"], name="article_search_idx"),
            # Phrases (`q="waiting room"`): the rows holding a phrase's adjacent word pairs.
            GinIndex(fields=["search_pairs"], name="article_phrase_idx"),
            # Near-duplicates: the articles sharing a band key with a new one (`&&`).
            # Looked up for every new article: no pending list to scan (with fastupdate a
            # lookup read the unmerged list, 12-21 ms, until autovacuum merged it).
            GinIndex(
                fields=["signature_bands"],
                name="article_signature_bands_idx",
                fastupdate=False,
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(url__regex=r"^(https?://[^\s]+|urn:[a-z0-9][a-z0-9-]*:\S+)$"),
                name="article_url_is_url_or_urn",
            ),
            models.CheckConstraint(
                condition=Q(language__regex=r"^[a-z]{2}$"), name="article_language_iso639_1"
            ),
            models.CheckConstraint(
                condition=Q(content_hash__regex=r"^[0-9a-f]{64}$"),
                name="article_content_hash_sha256",
            ),
            *precision_constraints("published_on", nullable=True),
            models.CheckConstraint(
                condition=Q(relevance__isnull=True) | Q(relevance__gte=0, relevance__lte=1),
                name="article_relevance_unit_interval",
            ),
            models.CheckConstraint(
                condition=Q(duplicate_of__isnull=True) | ~Q(duplicate_of=F("pk")),
                name="article_not_own_duplicate",
            ),
            models.CheckConstraint(
                condition=Q(signature__isnull=True, signature_bands__isnull=True)
                | Q(signature__isnull=False, signature_bands__isnull=False),
                name="article_signature_whole",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        refuse_future(published_on=self.published_on)

    @property
    def published(self) -> PartialDate | None:
        return PartialDate.from_db(self.published_on, self.published_on_precision)
