"""Linking a new article to the incidents it speaks of, with a confidence and its reasons.

An incident is a candidate when it shares an entity with the article: a platform or an
organisation, as the gazetteer names it (an incident's platforms and organisations are turned
into gazetteer keys through their slugs, names and aliases, so "GoTo Meeting" is the
``platform:gotomeeting`` an article names). Each candidate gets a confidence in [0, 1]:

    confidence = 0.35 E + 0.25 V + 0.2 W + 0.2 D

- E, entities: the share of the incident's entities the article names (platforms count double).
- V, vocabulary: the weight of the incident's vocabulary keys (scored on its title and summary
  with the same gazetteer) that the article also matches, over the weight of all of them.
- W, words: the share of the distinctive words of the incident's title found in the article
  (names and figures carry across languages: "SpaceX", "FBI", "90").
- D, date: 1 when the article appeared within DATE_GRACE of the incident's span (its occurrence
  and timeline), decaying with the distance beyond it; 0.5 when the article has no date.

An article naming none of the incident's platforms while naming another platform is not about it.
At ``TRACKER_LINK_AUTO`` or above, the link is made, by the system user; at
``TRACKER_LINK_SUGGEST`` or above, it is queued for an analyst (LinkCandidate); below, nothing.
An article under ``TRACKER_RELEVANCE_MIN`` is irrelevant: it is kept, and never linked.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from incidents.dates import PartialDate
from incidents.ingestion.gazetteer import gazetteer_current, gazetteer_version
from incidents.ingestion.relevance import Gazetteer, TermKind, relevance_score, words_of
from incidents.models import (
    Article,
    Incident,
    IncidentOrganization,
    IncidentSource,
    LinkCandidate,
    Organization,
    Platform,
    TimelineEvent,
)
from incidents.roles import SYSTEM_USERNAME
from incidents.services.incidents import incident_link_article

WEIGHTS = {"entities": 0.35, "vocabulary": 0.25, "words": 0.2, "date": 0.2}
# An article within this many days after an incident's span (or this many before its start) is
# as close in time as one inside it: reports follow events by days or weeks.
DATE_GRACE = 14
# Beyond the grace, the date part halves every DATE_HALF_LIFE days.
DATE_HALF_LIFE = 45
# At most this many incidents are scored per article (the nearest in time first), and at most
# this many links made or suggested: an article naming a platform is not about every incident.
MAX_SCORED = 300
MAX_LINKS = 10
# Catalogue names are turned into gazetteer keys at most this often (edits show within a minute).
CATALOGUE_TTL = 60.0
# Words of a title that say nothing of which incident it is.
_COMMON_WORDS = (
    "about after against again also been before being between could does from have into more "
    "most much only other over said says some than that their them then there these they "
    "this those through under until very were what when where which while will with would "
    "your users user company platform service services make made work works"
)
_COMMON = frozenset(_COMMON_WORDS.split())


@dataclass(frozen=True)
class Suggestion:
    """One incident an article may speak of, and why."""

    incident_id: int
    slug: str
    confidence: float
    reasons: dict


@dataclass
class LinkReport:
    """What linking an article did: slugs linked by the system and slugs queued for triage."""

    linked: list[str] = field(default_factory=list)
    queued: list[str] = field(default_factory=list)


def article_link(article: Article) -> LinkReport:
    """Link ``article`` to the incidents it most likely speaks of, or queue the suggestions;
    safe to run twice at once (unique links and candidates). An existing link and a decided
    suggestion are left as they are: a dismissal stands."""
    report = LinkReport()
    if (article.relevance or 0.0) < settings.TRACKER_RELEVANCE_MIN:
        return report
    suggestions = article_suggestions(article)
    auto = [s for s in suggestions if s.confidence >= settings.TRACKER_LINK_AUTO][:MAX_LINKS]
    queue = [
        s
        for s in suggestions
        if settings.TRACKER_LINK_SUGGEST <= s.confidence < settings.TRACKER_LINK_AUTO
    ][:MAX_LINKS]
    if not auto and not queue:
        return report
    # Links already there (made by anyone) and suggestions an analyst decided are left alone.
    settled = set(
        LinkCandidate.objects.filter(article=article)
        .exclude(status=LinkCandidate.Status.QUEUED)
        .values_list("incident_id", flat=True)
    ) | set(IncidentSource.objects.filter(article=article).values_list("incident_id", flat=True))
    system = _system_user()
    for suggestion in auto:
        if suggestion.incident_id in settled:
            continue
        with transaction.atomic():
            incident = Incident.objects.get(pk=suggestion.incident_id)
            link = incident_link_article(
                incident=incident,
                article=article,
                linked_by=system,
                confidence=suggestion.confidence,
            )
            # A suggestion queued by an earlier, weaker score is settled by the link.
            LinkCandidate.objects.filter(
                article=article, incident=incident, status=LinkCandidate.Status.QUEUED
            ).update(
                status=LinkCandidate.Status.ACCEPTED, decided_by=system, decided_at=timezone.now()
            )
            if link.linked_by_id == system.pk:
                report.linked.append(suggestion.slug)
    for suggestion in queue:
        if suggestion.incident_id in settled:
            continue
        try:
            with transaction.atomic():
                _, created = LinkCandidate.objects.get_or_create(
                    article=article,
                    incident_id=suggestion.incident_id,
                    defaults={
                        "confidence": suggestion.confidence,
                        "reasons": suggestion.reasons,
                    },
                )
        except IntegrityError:
            # Another worker queued the same suggestion a moment ago.
            created = False
        if created:
            report.queued.append(suggestion.slug)
    return report


def article_suggestions(article: Article) -> list[Suggestion]:
    """Every incident sharing an entity with ``article``, with its confidence, most likely
    first (a read: nothing is stored)."""
    version = gazetteer_version()
    gazetteer = gazetteer_current()
    catalogue = _catalogue(version, gazetteer)
    matched = article.matched_terms or []
    keys = {m["key"] for m in matched if m.get("kind") != TermKind.VOCABULARY}
    if not keys:
        return []
    platform_ids = {pk for key in keys for pk in catalogue.platforms_of.get(key, ())}
    organization_ids = {pk for key in keys for pk in catalogue.organizations_of.get(key, ())}
    if not platform_ids and not organization_ids:
        return []
    published = PartialDate.from_db(article.published_on, article.published_on_precision)
    incidents = _candidates(platform_ids, organization_ids, published)
    if not incidents:
        return []
    article_platforms = {m["key"] for m in matched if m.get("kind") == TermKind.PLATFORM}
    vocabulary = {m["key"] for m in matched if m.get("kind") == TermKind.VOCABULARY}
    words = set(words_of(f"{article.title}\n{article.text}"))
    ids = [incident.pk for incident in incidents]
    platforms_of = _grouped(Incident.platforms.through.objects, "incident_id", "platform_id", ids)
    organizations_of = _grouped(IncidentOrganization.objects, "incident_id", "organization_id", ids)
    spans = _spans(incidents)

    suggestions = []
    for incident in incidents:
        entity_platforms = {
            key for pk in platforms_of[incident.pk] for key in catalogue.keys_of_platform[pk]
        }
        entity_others = {
            key
            for pk in organizations_of[incident.pk]
            for key in catalogue.keys_of_organization[pk]
        } - entity_platforms
        if article_platforms and entity_platforms and not article_platforms & entity_platforms:
            continue  # it names other platforms than the incident's
        shared = (entity_platforms | entity_others) & keys
        if not shared:
            continue
        possible = 2 * len(entity_platforms) + len(entity_others)
        entities = (2 * len(shared & entity_platforms) + len(shared & entity_others)) / possible
        incident_vocabulary = _vocabulary(incident, version, gazetteer)
        total = sum(incident_vocabulary.values())
        vocabulary_share = (
            sum(w for key, w in incident_vocabulary.items() if key in vocabulary) / total
            if total
            else 0.0
        )
        title_words = _distinctive(incident.title)
        words_share = len(title_words & words) / len(title_words) if title_words else 0.0
        days = _distance(published, spans.get(incident.pk))
        date = 0.5 if days is None else 0.5 ** (max(days - DATE_GRACE, 0) / DATE_HALF_LIFE)
        parts = {
            "entities": entities,
            "vocabulary": vocabulary_share,
            "words": words_share,
            "date": date,
        }
        confidence = sum(WEIGHTS[name] * value for name, value in parts.items())
        reasons = {
            "shared_entities": sorted(shared),
            "shared_vocabulary": sorted(set(incident_vocabulary) & vocabulary),
            "shared_words": sorted(title_words & words),
            "days_apart": days,
            "parts": {name: round(value, 3) for name, value in parts.items()},
        }
        suggestions.append(
            Suggestion(incident.pk, incident.slug, round(min(confidence, 1.0), 4), reasons)
        )
    suggestions.sort(key=lambda s: (-s.confidence, s.incident_id))
    return suggestions


def _candidates(
    platform_ids: set[int], organization_ids: set[int], published: PartialDate | None
) -> list[Incident]:
    """Incidents on one of the platforms or involving one of the organisations, not rejected,
    the nearest in time first (the most recent when the article has no date)."""
    queryset = Incident.objects.exclude(status=Incident.Status.REJECTED).filter(
        Q(platforms__in=platform_ids) | Q(involvements__organization__in=organization_ids)
    )
    ids = queryset.values("pk")
    if published is not None:
        # Reports of an incident come after it, or a little before when it is dated by its end.
        queryset = Incident.objects.filter(pk__in=ids).filter(
            Q(occurred_on__isnull=True)
            | Q(occurred_on__lte=published.end + dt.timedelta(days=DATE_GRACE))
        )
        order = ["-occurred_on", "-updated_at"]
    else:
        queryset = Incident.objects.filter(pk__in=ids)
        order = ["-updated_at"]
    return list(
        queryset.order_by(*order).only(
            "pk", "slug", "title", "summary", "occurred_on", "occurred_on_precision", "updated_at"
        )[:MAX_SCORED]
    )


def _grouped(manager, key: str, value: str, ids: list[int]) -> defaultdict[int, set[int]]:
    grouped: defaultdict[int, set[int]] = defaultdict(set)
    for k, v in manager.filter(**{f"{key}__in": ids}).values_list(key, value):
        grouped[k].add(v)
    return grouped


def _spans(incidents: list[Incident]) -> dict[int, tuple[dt.date, dt.date]]:
    """The first and last day of each incident: its occurrence and its timeline's dates."""
    spans: dict[int, tuple[dt.date, dt.date]] = {}

    def widen(pk: int, date: PartialDate | None) -> None:
        if date is None:
            return
        first, last = spans.get(pk, (date.start, date.end))
        spans[pk] = (min(first, date.start), max(last, date.end))

    for incident in incidents:
        widen(incident.pk, incident.occurred)
    # A status change is dated when an analyst made it, not when anything happened.
    events = (
        TimelineEvent.objects.filter(incident__in=[i.pk for i in incidents])
        .exclude(kind=TimelineEvent.Kind.STATUS_CHANGE)
        .values_list("incident_id", "date", "date_precision")
    )
    for pk, date, precision in events:
        widen(pk, PartialDate.from_db(date, precision))
    return spans


def _distance(published: PartialDate | None, span: tuple[dt.date, dt.date] | None) -> int | None:
    """Days between the article's date and the incident's span (0 when they overlap)."""
    if published is None or span is None:
        return None
    first, last = span
    if published.end < first:
        return (first - published.end).days
    if published.start > last:
        return (published.start - last).days
    return 0


_vocabularies: dict[tuple[int, dt.datetime, tuple], dict[str, float]] = {}


def _vocabulary(incident: Incident, version: tuple, gazetteer: Gazetteer) -> dict[str, float]:
    """The incident's vocabulary keys with the weight of the term matched, from its title and
    summary (cached until the incident or the gazetteer changes)."""
    cache_key = (incident.pk, incident.updated_at, version)
    found = _vocabularies.get(cache_key)
    if found is None:
        if len(_vocabularies) > 50_000:
            _vocabularies.clear()
        relevance = relevance_score(
            gazetteer, title=incident.title, text=incident.summary, language=None
        )
        weight = {(term.key, term.text): term.weight for term in gazetteer.terms}
        found = _vocabularies[cache_key] = {
            m.key: weight.get((m.key, m.term), 1.0)
            for m in relevance.matched
            if m.kind == TermKind.VOCABULARY
        }
    return found


def _distinctive(title: str) -> set[str]:
    return {w for w in words_of(title) if (len(w) >= 4 or w.isdigit()) and w not in _COMMON}


@dataclass(frozen=True)
class _Catalogue:
    """Platforms and organisations as gazetteer keys, both ways."""

    keys_of_platform: defaultdict[int, set[str]]
    keys_of_organization: defaultdict[int, set[str]]
    platforms_of: dict[str, set[int]]
    organizations_of: dict[str, set[int]]


_catalogue_built: tuple[float, tuple, _Catalogue] | None = None


def _catalogue(version: tuple, gazetteer: Gazetteer) -> _Catalogue:
    """Each platform's and organisation's gazetteer keys: ``platform:<slug>`` when the gazetteer
    has it, and the keys its name and aliases match ("Zoom Video Communications" names Zoom)."""
    global _catalogue_built
    now = time.monotonic()
    if (
        _catalogue_built is not None
        and _catalogue_built[1] == version
        and now - _catalogue_built[0] < CATALOGUE_TTL
    ):
        return _catalogue_built[2]
    rows = ("pk", "slug", "name", "aliases")
    keys_of_platform = _keys(Platform.objects.values_list(*rows), gazetteer)
    keys_of_organization = _keys(Organization.objects.values_list(*rows), gazetteer)
    catalogue = _Catalogue(
        keys_of_platform=keys_of_platform,
        keys_of_organization=keys_of_organization,
        platforms_of=_inverse(keys_of_platform),
        organizations_of=_inverse(keys_of_organization),
    )
    _catalogue_built = (now, version, catalogue)
    return catalogue


def _keys(rows: Iterable[tuple[int, str, str, list[str]]], gazetteer: Gazetteer) -> defaultdict:
    known = {term.key for term in gazetteer.terms}
    keys: defaultdict[int, set[str]] = defaultdict(set)
    for pk, slug, name, aliases in rows:
        keys[pk] |= {f"{kind}:{slug}" for kind in TermKind} & known
        for text in (name, *aliases):
            relevance = relevance_score(gazetteer, title="", text=text, language=None)
            keys[pk] |= {m.key for m in relevance.matched if m.kind != TermKind.VOCABULARY}
    return keys


def _inverse(keys_of: dict[int, set[str]]) -> dict[str, set[int]]:
    inverse: dict[str, set[int]] = defaultdict(set)
    for pk, keys in keys_of.items():
        for key in keys:
            inverse[key].add(pk)
    return dict(inverse)


def _system_user() -> User:
    return get_user_model().objects.get(username=SYSTEM_USERNAME)


def catalogue_forget() -> None:
    """Drop the cached catalogue keys (tests that edit platforms use it)."""
    global _catalogue_built
    _catalogue_built = None
