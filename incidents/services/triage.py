"""Triage services: an analyst accepts or dismisses the links the system suggests, or files a
new incident from an article.

Each decision locks the candidate's row and proceeds only while it is queued, so two analysts
deciding the same candidate at once make one decision: the second gets ``AlreadyDecided``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from incidents.dates import PartialDate
from incidents.exceptions import AlreadyDecided
from incidents.models import Article, Incident, LinkCandidate, Platform, Tag
from incidents.services.incidents import incident_create, incident_link_article

Status = LinkCandidate.Status


@dataclass
class TriageReport:
    """What a bulk decision did: the candidates decided now and those skipped, by id."""

    decided: list[int] = field(default_factory=list)
    already_decided: list[int] = field(default_factory=list)
    not_found: list[int] = field(default_factory=list)


def candidate_accept(*, candidate: LinkCandidate, actor: User | None) -> LinkCandidate:
    """Make the candidate's article a source of its incident and mark the candidate accepted.

    An incident merged since the suggestion passes the link to the incident that absorbed it.
    Raises ``AlreadyDecided`` unless the candidate is queued.
    """
    with transaction.atomic():
        locked = _lock_queued(candidate.pk)
        _accept(locked, actor)
    return locked


def candidate_dismiss(
    *, candidate: LinkCandidate, actor: User | None, reason: str
) -> LinkCandidate:
    """Mark the candidate dismissed with ``reason`` (required; it stays on the candidate).

    Raises ``ValidationError`` for a blank reason and ``AlreadyDecided`` unless it is queued.
    """
    reason = _reason_check(reason)
    with transaction.atomic():
        locked = _lock_queued(candidate.pk)
        _dismiss(locked, actor, reason)
    return locked


def candidates_accept(*, ids: Collection[int], actor: User | None) -> TriageReport:
    """Accept each queued candidate of ``ids``; those decided already (or unknown) are skipped
    and reported, not refused."""
    return _decide_many(ids, lambda candidate: _accept(candidate, actor))


def candidates_dismiss(*, ids: Collection[int], actor: User | None, reason: str) -> TriageReport:
    """Dismiss each queued candidate of ``ids`` with ``reason``; see ``candidates_accept``."""
    reason = _reason_check(reason)
    return _decide_many(ids, lambda candidate: _dismiss(candidate, actor, reason))


def incident_from_article(
    *,
    article: Article,
    actor: User | None,
    category: str,
    title: str | None = None,
    severity: str = Incident.Severity.MEDIUM,
    summary: str = "",
    occurred: PartialDate | None = None,
    platforms: Sequence[Platform] | None = None,
    tags: Sequence[Tag] = (),
    public: bool = False,
) -> Incident:
    """File a new incident with ``article`` as its first source.

    The title defaults to the article's; the platforms (when not given) to those its relevance
    score found (``platform:<slug>`` terms naming a platform's slug or alias). The article's
    queued candidates are dismissed: filing a new incident says that the article is not about
    the incidents suggested for it. Candidates decided already are left as they are.
    """
    with transaction.atomic():
        # Serialises two filings from one article: the second finds the candidates decided.
        Article.objects.select_for_update().only("pk").get(pk=article.pk)
        incident = incident_create(
            title=(title or "").strip()
            or article.title[: Incident._meta.get_field("title").max_length],
            category=category,
            severity=severity,
            summary=summary,
            occurred=occurred,
            platforms=article_platforms(article) if platforms is None else platforms,
            tags=tags,
            public=public,
            created_by=actor,
        )
        incident_link_article(incident=incident, article=article, linked_by=actor)
        reason = f"Filed as a new incident instead: {incident.slug}."
        LinkCandidate.objects.queued().filter(article=article).update(
            status=Status.DISMISSED,
            dismiss_reason=reason,
            decided_by=actor,
            decided_at=timezone.now(),
        )
    return incident


def article_platforms(article: Article) -> list[Platform]:
    """The platforms an article's matched terms name (``platform:<key>``), where a platform's
    slug, or one of its aliases written as a slug, is that key ("GoToMeeting": gotomeeting)."""
    keys = {
        term["key"].removeprefix("platform:")
        for term in article.matched_terms or []
        if isinstance(term, dict) and str(term.get("key", "")).startswith("platform:")
    }
    if not keys:
        return []
    # The catalogue is a few dozen rows: matching aliases in Python is simpler than in SQL.
    return [
        platform
        for platform in Platform.objects.order_by("slug")
        if platform.slug in keys or keys & {slugify(alias) for alias in platform.aliases}
    ]


def _lock_queued(pk: int) -> LinkCandidate:
    locked = LinkCandidate.objects.select_for_update().get(pk=pk)
    if locked.status != Status.QUEUED:
        raise AlreadyDecided(locked.pk, locked.status)
    return locked


def _decide_many(ids: Collection[int], decide) -> TriageReport:
    wanted = sorted(set(ids))
    report = TriageReport()
    with transaction.atomic():
        # Locked in id order, so two bulk decisions over overlapping ids cannot deadlock; a row
        # decided by another transaction while we waited no longer matches `queued`.
        queued = list(
            LinkCandidate.objects.select_for_update().queued().filter(pk__in=wanted).order_by("pk")
        )
        for candidate in queued:
            decide(candidate)
            report.decided.append(candidate.pk)
        existing = set(LinkCandidate.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    report.already_decided = [pk for pk in wanted if pk in existing and pk not in report.decided]
    report.not_found = [pk for pk in wanted if pk not in existing]
    return report


def _accept(candidate: LinkCandidate, actor: User | None) -> None:
    incident = Incident.objects.select_related("merged_into").get(pk=candidate.incident_id)
    # Merges point straight at the survivor (incident_merge re-points earlier duplicates).
    incident_link_article(
        incident=incident.merged_into or incident,
        article=Article.objects.only("pk").get(pk=candidate.article_id),
        linked_by=actor,
    )
    _decided(candidate, actor, Status.ACCEPTED)


def _dismiss(candidate: LinkCandidate, actor: User | None, reason: str) -> None:
    candidate.dismiss_reason = reason
    _decided(candidate, actor, Status.DISMISSED)


def _decided(candidate: LinkCandidate, actor: User | None, status: str) -> None:
    candidate.status, candidate.decided_by, candidate.decided_at = status, actor, timezone.now()
    candidate.save(update_fields=["status", "dismiss_reason", "decided_by", "decided_at"])


def _reason_check(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["Say why the suggestion is dismissed."]})
    return reason
