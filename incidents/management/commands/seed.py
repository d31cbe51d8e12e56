"""``manage.py seed``: load the curated incidents built from the source documents."""

from django.core.management.base import BaseCommand, CommandError

from incidents.seeding import SeedError, seed_apply


class Command(BaseCommand):
    help = "Seed the incidents, timelines and articles built from fixtures/seed (idempotent)."

    def handle(self, *args, **options) -> None:
        try:
            report = seed_apply()
        except SeedError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"seed: {report}")
