"""``manage.py send_digests``: send now every digest due for the current period."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from incidents.digests.content import digests_build
from incidents.digests.render import digest_message
from incidents.digests.sending import (
    deliveries_claim,
    deliveries_send,
    subscriptions_due,
    windows_next,
)
from incidents.models import DigestFrequency


class Command(BaseCommand):
    help = (
        "Send every digest (of one frequency, or of every one) for the period running now, "
        "whatever the subscribers' hour; a digest sent already for the period is not sent again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--frequency", choices=[DigestFrequency.DAILY, DigestFrequency.WEEKLY], default=None
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="print the digests; send and record nothing"
        )
        parser.add_argument("--user", default=None, help="only this user's digest (username)")

    def handle(self, *args, frequency: str | None, dry_run: bool, user: str | None, **options):
        if user is not None and not get_user_model().objects.filter(username=user).exists():
            raise CommandError(f"no user named {user!r}")
        now = timezone.now()
        due = subscriptions_due(
            now=now, frequency=DigestFrequency(frequency) if frequency else None, force=True
        )
        if user is not None:
            due = [(s, p) for s, p in due if s.user.username == user]
        if dry_run:
            self._print(due, now)
            return
        claimed = deliveries_claim(due, now=now)
        report = deliveries_send(claimed, now=now)
        self.stdout.write(
            f"digests: {len(report.sent)} sent, {len(report.empty)} with nothing to send, "
            f"{len(report.retry)} to retry, {len(report.failed)} failed"
        )
        if report.retry or report.failed:
            raise CommandError(
                f"{len(report.retry) + len(report.failed)} digest(s) not sent: "
                "see Deliveries in the admin"
            )

    def _print(self, due, now) -> None:
        subscriptions = [subscription for subscription, _ in due]
        requests = [
            (subscription, start, now)
            for subscription, (start, _end) in zip(
                subscriptions, windows_next(subscriptions, now), strict=True
            )
        ]
        for (subscription, _), digest in zip(due, digests_build(requests), strict=True):
            if digest.empty:
                self.stdout.write(f"{subscription.user.username}: nothing to send")
                continue
            message = digest_message(digest, subscription=subscription)
            self.stdout.write(f"--- {subscription.user.username} <{message.to[0]}>")
            self.stdout.write(f"Subject: {message.subject}\n\n{message.body}")
        if not due:
            self.stdout.write("no digest due")
