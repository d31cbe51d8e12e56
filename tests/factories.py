"""factory_boy factories for the incident domain."""

import datetime as dt

import factory

from incidents.dates import Precision
from incidents.models import (
    Article,
    Citation,
    Incident,
    Organization,
    Platform,
    Tag,
    TimelineEvent,
)
from incidents.text import content_hash


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"organisation-{n}")
    kind = Organization.Kind.COMPANY


class PlatformFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Platform

    name = factory.Sequence(lambda n: f"Platform {n}")
    slug = factory.Sequence(lambda n: f"platform-{n}")


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag

    name = factory.Sequence(lambda n: f"Tag {n}")
    slug = factory.Sequence(lambda n: f"tag-{n}")


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Article

    url = factory.Sequence(lambda n: f"https://news.example.org/story-{n}")
    title = factory.Sequence(lambda n: f"Meeting intruders strike again, part {n}")
    language = "en"
    text = factory.Sequence(
        lambda n: f"Story {n}. Uninvited guests joined a video call and shared offensive images."
    )
    content_hash = factory.LazyAttribute(lambda article: content_hash(article.text))
    published_on = dt.date(2020, 4, 1)
    published_on_precision = Precision.MONTH


class IncidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Incident
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Meeting intrusion wave {n}")
    slug = factory.Sequence(lambda n: f"meeting-intrusion-wave-{n}")
    summary = "Intruders joined meetings whose links were public."
    category = Incident.Category.INTRUSION
    severity = Incident.Severity.HIGH
    occurred_on = dt.date(2020, 3, 1)
    occurred_on_precision = Precision.MONTH

    @factory.post_generation
    def platforms(self, create: bool, platforms, **kwargs) -> None:
        if create and platforms:
            self.platforms.set(platforms)

    @factory.post_generation
    def tags(self, create: bool, tags, **kwargs) -> None:
        if create and tags:
            self.tags.set(tags)


class TimelineEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimelineEvent

    incident = factory.SubFactory(IncidentFactory)
    date = dt.date(2020, 3, 30)
    date_precision = Precision.DAY
    kind = TimelineEvent.Kind.REPORT
    description = "Schools report intruders in online classes."


class CitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Citation

    event = factory.SubFactory(TimelineEventFactory)
    article = factory.SubFactory(ArticleFactory)
    quote = ""


# A whole subscription as subscription_update takes it: daily at 07:00 in Amsterdam, no filters.
DAILY_SUBSCRIPTION = {
    "frequency": "daily",
    "delivery_hour": 7,
    "delivery_weekday": 0,
    "time_zone": "Europe/Amsterdam",
    "platforms": [],
    "min_severity": None,
    "categories": [],
    "followed": [],
}
