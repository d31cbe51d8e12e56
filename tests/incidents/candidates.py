"""Link candidates for the triage tests: what incidents.ingestion.linking queues."""

import factory

from incidents.models import LinkCandidate
from tests.factories import ArticleFactory, IncidentFactory


class LinkCandidateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LinkCandidate

    article = factory.SubFactory(ArticleFactory)
    incident = factory.SubFactory(IncidentFactory)
    confidence = 0.5
    reasons = factory.LazyFunction(
        lambda: {"shared_entities": ["platform:zoom"], "days_apart": 2, "parts": {"entities": 1}}
    )


def zoom_terms(count: int = 2) -> list[dict]:
    """Matched terms as ingestion stores them (incidents.ingestion.gazetteer.relevance_fields)."""
    return [
        {
            "key": "platform:zoom",
            "term": "Zoom",
            "kind": "platform",
            "count": count,
            "in_title": True,
        },
        {
            "key": "vocabulary:intrusion",
            "term": "intruders",
            "kind": "vocabulary",
            "count": 1,
            "in_title": False,
        },
    ]
