"""The database holds every invariant, whatever writes the row."""

from contextlib import contextmanager

import pytest
from django.db import IntegrityError, transaction

from incidents.models import Article, Incident, IncidentOrganization, TimelineEvent
from tests.factories import (
    ArticleFactory,
    IncidentFactory,
    OrganizationFactory,
    TimelineEventFactory,
)


@contextmanager
def refused_by(constraint: str):
    """The write inside is refused by ``constraint``; the test's transaction stays usable."""
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        yield


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"status": "closed"}, "incident_status_valid"),
        ({"severity": "extreme"}, "incident_severity_valid"),
        ({"category": "gossip"}, "incident_category_valid"),
        ({"slug": "Not A Slug"}, "incident_slug_format"),
        ({"status": "rejected"}, "incident_rejection_has_reason"),
        ({"rejection_reason": "duplicate"}, "incident_rejection_has_reason"),
    ],
)
def test_incident_constraints(fields, constraint):
    with refused_by(constraint):
        IncidentFactory(**fields)


@pytest.mark.django_db
def test_only_a_rejected_duplicate_points_at_a_survivor():
    survivor = IncidentFactory()
    with refused_by("incident_merged_is_rejected_duplicate"):
        IncidentFactory(merged_into=survivor)


@pytest.mark.django_db
def test_an_incident_is_not_merged_into_itself():
    incident = IncidentFactory(status="rejected", rejection_reason="duplicate")
    with refused_by("incident_not_merged_into_self"):
        Incident.objects.filter(pk=incident.pk).update(merged_into=incident)


@pytest.mark.django_db
def test_slugs_urls_and_hashes_are_unique():
    incident, article = IncidentFactory(), ArticleFactory()
    with refused_by("slug"):
        IncidentFactory(slug=incident.slug)
    with refused_by("url"):
        ArticleFactory(url=article.url)


@pytest.mark.django_db
def test_same_content_hash_is_refused():
    article = ArticleFactory()
    with refused_by("content_hash"):
        ArticleFactory(text=article.text)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"url": "file:///etc/passwd"}, "article_url_is_url_or_urn"),
        ({"language": "EN"}, "article_language_iso639_1"),
        ({"content_hash": "abc"}, "article_content_hash_sha256"),
    ],
)
def test_article_constraints(fields, constraint):
    with refused_by(constraint):
        ArticleFactory(**fields)
    assert not Article.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"kind": "status_change"}, "timeline_status_change_has_statuses"),
        (
            {"from_status": "reported", "to_status": "confirmed"},
            "timeline_status_change_has_statuses",
        ),
        (
            {"kind": "status_change", "from_status": "confirmed", "to_status": "confirmed"},
            "timeline_status_change_has_statuses",
        ),
        ({"kind": "gossip"}, "timeline_kind_valid"),
    ],
)
def test_timeline_constraints(fields, constraint):
    with refused_by(constraint):
        TimelineEventFactory(**fields)
    assert not TimelineEvent.objects.exists()


@pytest.mark.django_db
def test_an_organisation_has_a_role_once_per_incident():
    incident, org = IncidentFactory(), OrganizationFactory()
    IncidentOrganization.objects.create(incident=incident, organization=org, role="reporter")
    with refused_by("incident_org_role_unique"):
        IncidentOrganization.objects.create(incident=incident, organization=org, role="reporter")


@pytest.mark.django_db
def test_an_organisation_role_must_be_known():
    with refused_by("incident_org_role_valid"):
        IncidentOrganization.objects.create(
            incident=IncidentFactory(), organization=OrganizationFactory(), role="villain"
        )
