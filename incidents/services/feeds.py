"""Feed services for the API: add, change, remove a feed, and ask for a poll now.

Adding goes through ``incidents.ingestion.feeds.feed_create`` (its URL checked as fetching
checks it); a changed URL is checked the same way.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incidents.ingestion.feeds import feed_create, feed_url_check
from incidents.ingestion.tasks import feed_poll_task
from incidents.models import Feed


def feed_add(
    *,
    url: str,
    created_by: User | None,
    name: str = "",
    language: str = "",
    enabled: bool = True,
    poll_interval: int | None = None,
) -> Feed:
    """Add a feed, due now; see ``feed_create`` for what is refused."""
    with transaction.atomic():
        feed = feed_create(url=url, name=name, language=language, created_by=created_by)
        if not enabled or poll_interval is not None:
            feed = feed_update(feed=feed, enabled=enabled, poll_interval=poll_interval)
    return feed


def feed_update(
    *,
    feed: Feed,
    url: str | None = None,
    name: str | None = None,
    language: str | None = None,
    enabled: bool | None = None,
    poll_interval: int | None = None,
) -> Feed:
    """Change what an admin sets on a feed; ``None`` leaves a field as it is.

    A new URL forgets the old one's validators (ETag, Last-Modified). Enabling a feed makes it
    due now. Raises ``ValidationError`` naming the field.
    """
    if url is not None:
        try:
            url = feed_url_check(url)
        except ValueError as error:
            raise ValidationError({"url": [str(error)]}) from None
        if url != feed.url:
            if Feed.objects.filter(url=url).exclude(pk=feed.pk).exists():
                raise ValidationError({"url": [f"{url} is already a feed."]})
            feed.url, feed.etag, feed.last_modified = url, "", ""
    if name is not None:
        feed.name = name.strip() or feed.url
    if language is not None:
        feed.language = language.strip().lower()
    if enabled is not None:
        if enabled and not feed.enabled:
            feed.next_poll_at = timezone.now()
        feed.enabled = enabled
    if poll_interval is not None:
        feed.poll_interval = poll_interval
    feed.full_clean(validate_unique=False)
    feed.save()
    return feed


def feed_poll_queue(*, feed: Feed) -> None:
    """Queue a poll of ``feed`` now, enabled or not (to try a feed before enabling it); the
    message leaves once the caller's transaction commits. A poll already running is left to
    finish: the queued one then finds the feed held, or polls again."""
    feed_id = feed.pk
    transaction.on_commit(lambda: feed_poll_task.delay(feed_id))


def feed_delete(*, feed: Feed) -> None:
    """Remove a feed with the entries it listed; the articles made from them stay."""
    feed.delete()
