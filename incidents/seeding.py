"""Seeding: the curated incidents built from the source documents (fixtures/seed/).

Every record in the data set has a key. ``seed_apply`` writes a record only when its key is not
yet in the ``SeedMark`` ledger, then marks it, all in one transaction: running it twice changes
nothing, and an analyst's later edit or deletion of a seeded record is never undone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pghistory
import yaml
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from incidents import services
from incidents.dates import PartialDate
from incidents.models import Article, Incident, Organization, Platform, SeedMark, Tag
from incidents.roles import SYSTEM_USERNAME
from incidents.text import content_hash
from incidents.workflow import is_allowed

SEED_DIR = Path(settings.BASE_DIR) / "fixtures" / "seed"


class SeedError(Exception):
    """The seed data set is malformed; the message names the record."""


@dataclass
class SeedReport:
    """What one run wrote, per kind of record."""

    created: dict[str, int] = field(default_factory=dict)
    skipped: int = 0

    def count(self, kind: str) -> None:
        self.created[kind] = self.created.get(kind, 0) + 1

    def __str__(self) -> str:
        made = ", ".join(f"{n} {kind}" for kind, n in sorted(self.created.items())) or "nothing"
        return f"created {made}; {self.skipped} already seeded"


def seed_apply(*, seed_dir: Path = SEED_DIR) -> SeedReport:
    """Apply the seed data set in ``seed_dir``; see the module docstring."""
    data = _load(seed_dir / "seed.yaml")
    system_user = get_user_model().objects.get(username=SYSTEM_USERNAME)
    run = _SeedRun(seed_dir=seed_dir, actor=system_user)
    with transaction.atomic(), pghistory.context(source="seed", user=system_user.pk):
        run.apply(data)
    return run.report


def _load(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise SeedError(f"cannot read {path}: {error}") from None
    if not isinstance(data, dict):
        raise SeedError(f"{path} does not hold a mapping of record lists")
    return data


class _SeedRun:
    def __init__(self, *, seed_dir: Path, actor) -> None:
        self.seed_dir, self.actor = seed_dir, actor
        self.report = SeedReport()
        self.marked = set(SeedMark.objects.values_list("key", flat=True))
        self.articles: dict[str, Article] = {}

    def apply(self, data: dict[str, Any]) -> None:
        for record in data.get("organizations", []):
            self._once(
                f"organization:{record['slug']}", "organizations", self._organization, record
            )
        for record in data.get("platforms", []):
            self._once(f"platform:{record['slug']}", "platforms", self._platform, record)
        for record in data.get("tags", []):
            self._once(f"tag:{record['slug']}", "tags", self._tag, record)
        for record in data.get("articles", []):
            self._once(f"article:{record['key']}", "articles", self._article, record)
            article = self._find_article(record)
            if article is None:
                raise SeedError(f"seed article {record['key']} was seeded before and is gone")
            self.articles[record["key"]] = article
        for record in data.get("incidents", []):
            self._incident(record)
        for first, second in data.get("related", []):
            self._once(f"related:{first}:{second}", "relations", self._relate, first, second)

    def _once(self, key: str, kind: str, write, *args) -> None:
        if key in self.marked:
            self.report.skipped += 1
            return
        try:
            write(*args)
        except (KeyError, ValueError, ValidationError, ObjectMissing) as error:
            raise SeedError(f"seed record {key}: {_describe(error)}") from None
        SeedMark.objects.create(key=key)
        self.marked.add(key)
        self.report.count(kind)

    # Catalogue records are adopted as they stand when an analyst created them first.
    def _organization(self, record: dict) -> None:
        Organization.objects.get_or_create(
            slug=record["slug"],
            defaults={
                "name": record["name"],
                "kind": Organization.Kind(record["kind"]),
                "aliases": record.get("aliases", []),
            },
        )

    def _platform(self, record: dict) -> None:
        vendor = _get(Organization, record["vendor"]) if record.get("vendor") else None
        Platform.objects.get_or_create(
            slug=record["slug"],
            defaults={
                "name": record["name"],
                "vendor": vendor,
                "aliases": record.get("aliases", []),
            },
        )

    def _tag(self, record: dict) -> None:
        Tag.objects.get_or_create(slug=record["slug"], defaults={"name": record["name"]})

    def _article(self, record: dict) -> None:
        if self._find_article(record) is not None:
            return
        services.article_create(
            title=record["title"],
            text=self._document(record),
            url=record.get("url"),
            published=PartialDate.parse(record["published"]) if record.get("published") else None,
            created_by=self.actor,
        )

    def _find_article(self, record: dict) -> Article | None:
        article = Article.objects.filter(content_hash=content_hash(self._document(record))).first()
        if article is None and record.get("url"):
            article = Article.objects.filter(url=record["url"]).first()
        return article

    def _document(self, record: dict) -> str:
        path = (self.seed_dir / record["file"]).resolve()
        if self.seed_dir.resolve() not in path.parents:
            raise SeedError(f"seed article {record['key']}: {record['file']} is outside the seed")
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise SeedError(f"seed article {record['key']}: cannot read {path}: {error}") from None

    def _incident(self, record: dict) -> None:
        slug = record["slug"]
        self._once(f"incident:{slug}", "incidents", self._incident_create, record)
        incident = Incident.objects.filter(slug=slug).first()
        if incident is None:  # deleted by an admin after an earlier seed: leave it deleted
            return
        for involvement in record.get("organizations", []):
            key = f"involvement:{slug}:{involvement['organization']}:{involvement['role']}"
            self._once(key, "involvements", self._involve, incident, involvement)
        for event in record.get("timeline", []):
            self._once(f"event:{slug}:{event['key']}", "events", self._event, incident, event)
        for status in record.get("status", []):
            self._once(f"status:{slug}:{status}", "transitions", self._move, incident, status)

    def _incident_create(self, record: dict) -> None:
        if Incident.objects.filter(slug=record["slug"]).exists():
            return
        services.incident_create(
            slug=record["slug"],
            title=record["title"],
            summary=record["summary"],
            category=Incident.Category(record["category"]),
            severity=Incident.Severity(record["severity"]),
            occurred=PartialDate.parse(record["occurred"]) if record.get("occurred") else None,
            platforms=[_get(Platform, slug) for slug in record.get("platforms", [])],
            tags=[_get(Tag, slug) for slug in record.get("tags", [])],
            public=bool(record.get("public", False)),
            created_by=self.actor,
        )

    def _involve(self, incident: Incident, involvement: dict) -> None:
        services.incident_add_organization(
            incident=incident,
            organization=_get(Organization, involvement["organization"]),
            role=involvement["role"],
            actor=self.actor,
        )

    def _event(self, incident: Incident, event: dict) -> None:
        citations = [
            services.CitationInput(self._seeded_article(c["article"]), c.get("quote", ""))
            for c in event.get("citations", [])
        ]
        if not citations:
            raise ValueError("every seeded event cites a document")
        services.timeline_event_create(
            incident=incident,
            when=PartialDate.parse(event["date"]),
            kind=event["kind"],
            description=event["description"],
            citations=citations,
            created_by=self.actor,
        )

    def _seeded_article(self, key: str) -> Article:
        if key not in self.articles:
            raise ObjectMissing(f"article {key} is not in the data set")
        return self.articles[key]

    def _move(self, incident: Incident, status: str) -> None:
        incident.refresh_from_db()
        if not is_allowed(incident.status, status):  # an analyst has moved it on since
            return
        services.incident_transition(
            incident=incident,
            to_status=status,
            actor=self.actor,
            note=f"Set to {status} from the seed documents cited on this timeline.",
        )

    def _relate(self, first: str, second: str) -> None:
        incidents = {i.slug: i for i in Incident.objects.filter(slug__in=[first, second])}
        if len(incidents) == 2:  # an admin may have deleted one since
            services.incidents_relate(
                incident=incidents[first], others=[incidents[second]], actor=self.actor
            )


class ObjectMissing(Exception):
    """A record names another that the data set or the database does not hold."""


def _get(model, slug: str):
    try:
        return model.objects.get(slug=slug)
    except model.DoesNotExist:
        raise ObjectMissing(f"{model._meta.verbose_name} {slug!r} does not exist") from None


def _describe(error: Exception) -> str:
    if isinstance(error, ValidationError) and hasattr(error, "message_dict"):
        return "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in error.message_dict.items())
    if isinstance(error, KeyError):
        return f"missing field {error}"
    return str(error)
