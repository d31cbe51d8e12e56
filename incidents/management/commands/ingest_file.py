"""``manage.py ingest_file``: a document (plain text or HTML) through the ingestion pipeline."""

from __future__ import annotations

import re
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from incidents.dates import PartialDate
from incidents.ingestion.canonical import url_canonical
from incidents.ingestion.documents import DocumentRefused, document_ingest


class Command(BaseCommand):
    help = (
        "Ingest a plain-text or HTML document as an article: language detected, relevance "
        "scored, linked to the incidents it speaks of (or queued for triage)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--language", default="auto", help="ISO 639-1 code, or auto to detect (default)"
        )
        parser.add_argument("--title", default="", help="default: the first line or the HTML's")
        parser.add_argument("--url", default="", help="where the document was published")
        parser.add_argument(
            "--published", default="", help="YYYY, YYYY-MM or YYYY-MM-DD, at its precision"
        )

    def handle(
        self, *args, path: Path, language: str, title: str, url: str, published: str, **options
    ) -> None:
        language = language.strip().lower()
        if language != "auto" and not re.fullmatch(r"[a-z]{2}", language):
            raise CommandError(f"--language: give an ISO 639-1 code or auto, not {language!r}")
        try:
            url = url_canonical(url) if url else ""
        except ValueError as error:
            raise CommandError(f"--url: {error}") from None
        try:
            date = PartialDate.parse(published) if published else None
        except ValueError as error:
            raise CommandError(f"--published: {error}") from None
        try:
            done = document_ingest(
                path,
                language=None if language == "auto" else language,
                title=title,
                url=url,
                published=date,
            )
        except DocumentRefused as error:
            raise CommandError(str(error)) from None
        article, links = done.ingested.article, done.links
        self.stdout.write(
            f"article {article.pk} ({article.language}, relevance {article.relevance:.2f}): "
            f"{done.ingested.stored.value}; linked {len(links.linked)}"
            f"{': ' + ', '.join(links.linked) if links.linked else ''}; "
            f"queued {len(links.queued)}{': ' + ', '.join(links.queued) if links.queued else ''}"
        )
