"""Feeds: adding one (its URL checked as fetching would check it), and their health."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from incidents.ingestion.canonical import url_canonical
from incidents.ingestion.fetch import FetchError, url_check
from incidents.models import Feed
from incidents.services.common import save_new


def feed_url_check(url: str) -> str:
    """The canonical form of a feed URL; ValueError (one line) when it is not http(s) or when
    fetching would refuse it (a private address, credentials...), its host resolved now."""
    try:
        url = url_canonical(url.strip())
        url_check(url)
    except FetchError as error:
        raise ValueError(str(error)) from None
    return url


def feed_create(
    *, url: str, name: str = "", language: str = "", created_by: User | None = None
) -> Feed:
    """Add a feed, enabled and due now. Raises ValidationError naming the field: a URL that
    is not http(s), that fetching would refuse (a private address, credentials...), or that is
    already a feed."""
    try:
        url = feed_url_check(url)
    except ValueError as error:
        raise ValidationError({"url": [str(error)]}) from None
    language = language.strip().lower()
    if language and not (len(language) == 2 and language.isascii() and language.isalpha()):
        raise ValidationError({"language": ["Give an ISO 639-1 code, such as en or nl."]})
    if Feed.objects.filter(url=url).exists():
        raise ValidationError({"url": [f"{url} is already a feed."]})
    feed = Feed(url=url, name=name.strip() or url, language=language, created_by=created_by)
    feed.full_clean(validate_unique=False)
    return save_new(feed)
