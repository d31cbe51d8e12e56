import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from incidents import services
from incidents.dates import PartialDate
from incidents.models import Article
from incidents.services.common import save_new
from incidents.text import content_hash

DUTCH = (
    "De FBI waarschuwde gebruikers onlangs dat ze vergaderingen niet openbaar moeten maken "
    "en links naar hun vergaderingen niet breed moeten verspreiden."
)
FRENCH = (
    "Le FBI a averti les utilisateurs de ne pas rendre leurs réunions publiques et de ne pas "
    "partager largement les liens de leurs réunions en ligne."
)
ENGLISH = (
    "The FBI warned users not to make their meetings public and not to share the links to "
    "their online meetings widely."
)


@pytest.mark.django_db
@pytest.mark.parametrize(("text", "language"), [(DUTCH, "nl"), (FRENCH, "fr"), (ENGLISH, "en")])
def test_article_language_is_detected_from_its_text(text, language):
    article = services.article_create(title="FBI warning", text=text)
    assert article.language == language


@pytest.mark.django_db
def test_a_document_without_url_is_named_by_its_content_hash():
    article = services.article_create(title="Memo", text=ENGLISH)
    assert article.url == f"urn:sha256:{content_hash(ENGLISH)}"
    assert article.content_hash == content_hash(ENGLISH)


@pytest.mark.django_db
def test_article_keeps_its_published_date_at_its_precision():
    article = services.article_create(
        title="FBI warning",
        text=ENGLISH,
        url="https://news.example.org/fbi",
        published=PartialDate.parse("2020-04"),
    )
    assert Article.objects.get(pk=article.pk).published.isoformat() == "2020-04"


@pytest.mark.django_db
def test_duplicate_url_is_refused_with_a_clear_error_and_nothing_else_is_lost():
    with transaction.atomic():
        first = services.article_create(title="One", text=ENGLISH, url="https://e.org/a")
        second = services.article_create(title="Two", text=DUTCH, url="https://e.org/b")
        with pytest.raises(ValidationError) as error:
            services.article_create(title="Three", text=FRENCH, url="https://e.org/a")
        # The caller's transaction is still usable after the refusal.
        assert Article.objects.count() == 2
    assert error.value.message_dict["url"] == [
        f"An article with this URL is already stored: #{first.pk} 'One'."
    ]
    assert set(Article.objects.values_list("pk", flat=True)) == {first.pk, second.pk}


@pytest.mark.django_db
def test_the_same_text_under_another_url_is_refused():
    services.article_create(title="One", text=ENGLISH, url="https://e.org/a")
    with pytest.raises(ValidationError) as error:
        services.article_create(title="Copy", text=f"  {ENGLISH}\n", url="https://e.org/copy")
    assert "text" in error.value.message_dict
    assert Article.objects.count() == 1


@pytest.mark.django_db
def test_a_lost_race_on_the_url_is_a_field_error_not_a_crash():
    services.article_create(title="One", text=ENGLISH, url="https://e.org/a")
    article = Article(
        url="https://e.org/a",
        title="Racer",
        text=DUTCH,
        content_hash=content_hash(DUTCH),
        language="nl",
    )
    with pytest.raises(ValidationError) as error:
        save_new(article)
    assert error.value.message_dict == {"url": ["This url is already stored."]}
    assert Article.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"text": "   "}, "text"),
        ({"text": ENGLISH, "url": "ftp://e.org/file"}, "url"),
        ({"text": ENGLISH, "url": "javascript:alert(1)"}, "url"),
        ({"text": "12345 67890"}, "language"),
        ({"text": ENGLISH, "language": "english"}, "language"),
        (
            {
                "text": ENGLISH,
                "published": PartialDate.day(dt.datetime.now(dt.UTC).date() + dt.timedelta(days=3)),
            },
            "published_on",
        ),
    ],
)
def test_bad_article_input_is_refused_naming_the_field(fields, field):
    with pytest.raises(ValidationError) as error:
        services.article_create(title="Bad", **fields)
    assert field in error.value.message_dict
    assert not Article.objects.exists()
