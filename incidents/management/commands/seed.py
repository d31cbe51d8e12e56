"""``manage.py seed``: load the curated incidents built from the source documents."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from incidents.seeding import SEED_DIR, SeedError, seed_apply


class Command(BaseCommand):
    help = "Seed the incidents, timelines and articles built from fixtures/seed (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dir", type=Path, default=SEED_DIR, help="a seed folder (default: fixtures/seed)"
        )

    def handle(self, *args, dir: Path, **options) -> None:
        try:
            report = seed_apply(seed_dir=dir)
        except SeedError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"seed: {report}")
