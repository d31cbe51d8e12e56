"""Article services: store a source document once."""

from __future__ import annotations

import unicodedata

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from incidents.dates import PartialDate
from incidents.ingestion.dedupe import signature_bands, text_signature
from incidents.ingestion.gazetteer import article_relevance, relevance_fields
from incidents.ingestion.language import language_detect
from incidents.models import Article
from incidents.services.common import save_new
from incidents.text import content_hash, normalize_text

# The values article_fields derives from the text rather than reads from the caller.
DERIVED_FIELDS = ("content_hash", "relevance", "matched_terms", "signature", "signature_bands")


def article_fields(
    *,
    title: str,
    text: str,
    url: str | None = None,
    publisher: str = "",
    author: str = "",
    language: str | None = None,
    published: PartialDate | None = None,
    exclude_pk: int | None = None,
) -> dict:
    """Validate and normalise an article's fields, deriving its hash, URN and language.

    Raises ValidationError naming each bad field; ``exclude_pk`` is the article being edited.
    """
    text = unicodedata.normalize("NFC", text or "").strip()
    errors: dict[str, list[str]] = {}
    if not text:
        errors.setdefault("text", []).append("An article needs its text.")
    digest = content_hash(text)
    url = (url or "").strip() or f"urn:sha256:{digest}"
    if not url.startswith(("http://", "https://", "urn:sha256:")):
        errors.setdefault("url", []).append("Give an http(s) URL, or none for a document.")
    language = (language or "").strip().lower() or (language_detect(text) if text else None)
    if not language:
        errors.setdefault("language", []).append(
            "The language could not be detected from the text; give its ISO 639-1 code."
        )
    if text:
        others = Article.objects.all()
        if exclude_pk is not None:
            others = others.exclude(pk=exclude_pk)
        _refuse_taken(others.filter(url=url), "url", "URL", errors)
        _refuse_taken(others.filter(content_hash=digest), "text", "text", errors)
    if errors:
        raise ValidationError(errors)
    signature = text_signature(text)
    return {
        # Derived, not typed in: the relevance score and the near-duplicate signature, as
        # ingestion stores them (see DERIVED_FIELDS).
        **relevance_fields(article_relevance(title=title or "", text=text, language=language)),
        "signature": signature or None,
        "signature_bands": signature_bands(signature) if signature else None,
        "url": url,
        "title": normalize_text(title or ""),
        "text": text,
        "content_hash": digest,
        "publisher": normalize_text(publisher or ""),
        "author": normalize_text(author or ""),
        "language": language,
        "published_on": published.start if published else None,
        "published_on_precision": published.precision if published else None,
    }


def article_create(*, created_by: User | None = None, **fields) -> Article:
    """Store a source document once; see ``article_fields`` for what is checked."""
    article = Article(**article_fields(**fields), created_by=created_by)
    article.full_clean(exclude=["content_hash"], validate_unique=False)
    return save_new(article)


def _refuse_taken(queryset, field: str, label: str, errors: dict[str, list[str]]) -> None:
    existing = queryset.only("id", "title").first()
    if existing is not None:
        errors.setdefault(field, []).append(
            f"An article with this {label} is already stored: #{existing.pk} {existing.title!r}."
        )
