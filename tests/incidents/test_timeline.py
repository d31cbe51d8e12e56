import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from incidents import selectors, services
from incidents.dates import PartialDate
from incidents.models import Citation, TimelineEvent
from tests.factories import ArticleFactory, IncidentFactory, TimelineEventFactory


@pytest.mark.django_db
def test_event_with_citations_makes_the_articles_sources(analyst):
    incident, article = IncidentFactory(), ArticleFactory(text="Intruders shared images. More.")
    event = services.timeline_event_create(
        incident=incident,
        when=PartialDate.parse("2020-03"),
        kind=TimelineEvent.Kind.REPORT,
        description="Intruders shared images.",
        citations=[services.CitationInput(article, "Intruders   shared\nimages.")],
        created_by=analyst,
    )
    assert event.when.isoformat() == "2020-03"
    citation = event.citations.get()
    assert (citation.article, citation.quote) == (article, "Intruders shared images.")
    assert list(incident.sources.all()) == [article]


@pytest.mark.django_db
def test_a_quote_not_in_the_article_is_refused_and_nothing_is_written(analyst):
    incident, article = IncidentFactory(), ArticleFactory(text="Intruders shared images.")
    with pytest.raises(ValidationError) as error:
        services.timeline_event_create(
            incident=incident,
            when=PartialDate.parse("2020-03"),
            kind=TimelineEvent.Kind.REPORT,
            description="Claim",
            citations=[services.CitationInput(article, "Nobody was harmed.")],
            created_by=analyst,
        )
    assert "quote" in error.value.message_dict
    assert not TimelineEvent.objects.exists()
    assert not incident.sources.exists()


@pytest.mark.django_db
def test_the_database_refuses_a_quote_not_in_the_article_whatever_writes_it():
    event, article = TimelineEventFactory(), ArticleFactory(text="Intruders shared images.")
    with pytest.raises(IntegrityError, match="citation quote does not occur"):
        Citation.objects.bulk_create([Citation(event=event, article=article, quote="Invented.")])


@pytest.mark.django_db
def test_citation_model_validation_names_the_quote():
    citation = Citation(
        event=TimelineEventFactory(), article=ArticleFactory(text="Real words."), quote="Fake."
    )
    with pytest.raises(ValidationError) as error:
        citation.full_clean()
    assert "quote" in error.value.message_dict


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "when", "field"),
    [
        (TimelineEvent.Kind.STATUS_CHANGE, "2020-03", "kind"),
        ("rumour", "2020-03", "kind"),
        (
            TimelineEvent.Kind.REPORT,
            (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=2)).isoformat(),
            "date",
        ),
    ],
)
def test_bad_events_are_refused_naming_the_field(kind, when, field, analyst):
    incident = IncidentFactory()
    with pytest.raises(ValidationError) as error:
        services.timeline_event_create(
            incident=incident,
            when=PartialDate.parse(when),
            kind=kind,
            description="Something",
            created_by=analyst,
        )
    assert field in error.value.message_dict
    assert not incident.timeline.exists()


@pytest.mark.django_db
def test_timeline_selector_reads_events_in_date_order_in_constant_queries(
    analyst, django_assert_num_queries
):
    incident = IncidentFactory()
    for date, n in (("2020-05", 3), ("2020", 2), ("2020-03-30", 1)):
        article = ArticleFactory()
        services.timeline_event_create(
            incident=incident,
            when=PartialDate.parse(date),
            kind=TimelineEvent.Kind.REPORT,
            description=f"event {n}",
            citations=[services.CitationInput(article)],
            created_by=analyst,
        )
    with django_assert_num_queries(1):
        events = list(selectors.incident_timeline(incident=incident))
        cited = [row["article"] for e in events for row in e.citation_rows]
    assert [e.when.isoformat() for e in events] == ["2020", "2020-03-30", "2020-05"]
    assert cited == [c.article_id for e in events for c in e.citations.all()]
    assert len(cited) == 3
