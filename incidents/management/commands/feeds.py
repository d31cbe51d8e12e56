"""``manage.py feeds``: add, list and poll news feeds."""

from __future__ import annotations

from collections import Counter

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from incidents.ingestion.entries import entries_process, entry_batches
from incidents.ingestion.feeds import feed_create
from incidents.ingestion.polling import feed_poll
from incidents.ingestion.store import Stored
from incidents.models import Feed


class Command(BaseCommand):
    help = "Add, list and poll the news feeds articles are ingested from."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True)
        add = commands.add_parser("add", help="add a feed (checked as fetching would check it)")
        add.add_argument("url")
        add.add_argument("--name", default="")
        add.add_argument("--language", default="", help="ISO 639-1 hint, e.g. nl")
        commands.add_parser("list", help="every feed with its health")
        poll = commands.add_parser("poll", help="poll feeds now (queued, or --sync in process)")
        which = poll.add_mutually_exclusive_group(required=True)
        which.add_argument("--all", action="store_true", help="every enabled feed")
        which.add_argument("ids", nargs="*", type=int, default=[], metavar="ID")
        poll.add_argument(
            "--sync", action="store_true", help="poll and process here, printing what was done"
        )

    def handle(self, *args, action: str, **options) -> None:
        getattr(self, f"_{action}")(**options)

    def _add(self, *, url: str, name: str, language: str, **options) -> None:
        try:
            feed = feed_create(url=url, name=name, language=language)
        except ValidationError as error:
            raise CommandError(_one_line(error)) from None
        self.stdout.write(f"feed {feed.pk} added: {feed.url}")

    def _list(self, **options) -> None:
        for feed in Feed.objects.order_by("id"):
            failing = (
                f" ({feed.consecutive_failures}x: {feed.last_error})" if feed.last_error else ""
            )
            self.stdout.write(
                f"{feed.pk:>5}  {feed.health.value:<8}  {feed.language or '--'}  "
                f"every {feed.poll_interval // 60} min  {feed.name}  <{feed.url}>{failing}"
            )

    def _poll(self, *, all: bool, ids: list[int], sync: bool, **options) -> None:
        feeds = Feed.objects.filter(enabled=True) if all else Feed.objects.filter(pk__in=ids)
        found = list(feeds.order_by("id").values_list("pk", flat=True))
        missing = sorted(set(ids) - set(found))
        if missing:
            raise CommandError(f"no feed with id {', '.join(map(str, missing))}")
        if not sync:
            from incidents.ingestion.tasks import feed_poll_task

            for feed_id in found:
                feed_poll_task.delay(feed_id)
            self.stdout.write(f"queued {len(found)} feed poll(s)")
            return
        failed = 0
        for feed_id in found:
            report = feed_poll(feed_id=feed_id)
            counts: Counter[str] = Counter()
            errors = [report.error] if report.error else []
            outcomes = [
                outcome
                for batch in entry_batches(report.new_entries)
                for outcome in entries_process(entry_ids=batch)
            ]
            for outcome in outcomes:
                counts[outcome.stored.value if outcome.stored else "pending"] += 1
                counts["linked"] += len(outcome.linked)
                counts["queued"] += len(outcome.queued)
                if outcome.error and not outcome.stored:
                    errors.append(outcome.error)
            failed += bool(report.error)
            state = (
                "held by another poll"
                if report.held
                else ("not modified" if report.not_modified else f"{report.items} items")
            )
            self.stdout.write(
                f"feed {feed_id}: fetched {state}; new {counts[Stored.NEW]}, "
                f"duplicates {counts[Stored.DUPLICATE] + counts[Stored.KNOWN]}, "
                f"linked {counts['linked']}, queued {counts['queued']}, errors {len(errors)}"
            )
            for error in errors:
                self.stdout.write(f"  error: {error}")
        if failed:
            raise CommandError(f"{failed} of {len(found)} feed(s) failed")


def _one_line(error: ValidationError) -> str:
    messages = getattr(error, "message_dict", None) or {"": error.messages}
    return "; ".join(
        f"{field}: {message}" if field else message
        for field, items in messages.items()
        for message in items
    )
