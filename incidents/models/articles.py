"""Articles: the news reports and documents every claim in the tracker rests on."""

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Case

from incidents.dates import PartialDate, precision_constraints, refuse_future
from incidents.dates import Precision as DatePrecision
from incidents.models.fields import actor_field
from incidents.models.history import tracked
from incidents.search import language_vector
from incidents.search_phrases import pair_keys


def _search_vector() -> Case:
    return language_vector(language_field="language", fields={"title": "A", "text": "B"})


class ArticleManager(models.Manager):
    """Articles without their search columns, which only PostgreSQL reads: sent to Python, a
    vector is kilobytes of text per row."""

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().defer("search_vector", "search_pairs")


@tracked(exclude=("updated_at", "search_vector", "search_pairs"))
class Article(models.Model):
    """A source document, stored once however many incidents it backs."""

    # Canonical http(s) URL, or for a document that has none a stable URN (urn:sha256:<hash>).
    url = models.CharField(max_length=2048, unique=True)
    title = models.CharField(max_length=500)
    publisher = models.CharField(max_length=200, blank=True)
    author = models.CharField(max_length=300, blank=True)
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
            # Full-text search (`q=`).
            GinIndex(fields=["search_vector"], name="article_search_idx"),
            # Phrases (`q="waiting room"`): the rows holding a phrase's adjacent word pairs.
            GinIndex(fields=["search_pairs"], name="article_phrase_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(url__regex=r"^(https?://[^\s]+|urn:[a-z0-9][a-z0-9-]*:\S+)$"),
                name="article_url_is_url_or_urn",
            ),
            models.CheckConstraint(
                condition=models.Q(language__regex=r"^[a-z]{2}$"), name="article_language_iso639_1"
            ),
            models.CheckConstraint(
                condition=models.Q(content_hash__regex=r"^[0-9a-f]{64}$"),
                name="article_content_hash_sha256",
            ),
            *precision_constraints("published_on", nullable=True),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        refuse_future(published_on=self.published_on)

    @property
    def published(self) -> PartialDate | None:
        return PartialDate.from_db(self.published_on, self.published_on_precision)
