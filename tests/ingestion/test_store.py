"""Storing ingested articles: once, scored by the gazetteer the database holds."""

import pytest

from incidents.ingestion.store import NotStorable, Stored, article_ingest
from incidents.models import Article, GazetteerTerm

STORY = (
    "Zoom said intruders had hijacked meetings in schools. The FBI issued a warning about "
    "zoombombing and urged hosts to use passwords and waiting rooms for every class."
)
SPORTS = (
    "Both teams played hard on Saturday. The home side scored twice in the second half and "
    "the coach praised the teams for their spirit in a match watched by thousands of fans."
)


@pytest.mark.django_db
def test_an_ingested_article_carries_its_relevance_and_the_terms_behind_it():
    article = article_ingest(url="https://news.example.org/a", title="Zoombombing", text=STORY)
    stored = Article.objects.get(pk=article.article.pk)
    assert article.stored == Stored.NEW
    assert stored.relevance >= 0.6
    keys = {term["key"] for term in stored.matched_terms}
    assert {"platform:zoom", "organization:fbi"} <= keys


@pytest.mark.django_db
def test_an_irrelevant_article_is_kept_with_a_low_score():
    article = article_ingest(url="https://news.example.org/b", title="Derby day", text=SPORTS)
    assert Article.objects.filter(pk=article.article.pk, relevance__lt=0.1).exists()
    assert article.article.matched_terms == []


@pytest.mark.django_db
def test_a_term_an_admin_adds_counts_from_the_next_article():
    text = SPORTS.replace("match", "Jitsiflux match")
    before = article_ingest(url="https://news.example.org/c", title="Derby", text=text)
    GazetteerTerm.objects.create(
        text="Jitsiflux", kind=GazetteerTerm.Kind.PLATFORM, key="platform:jitsiflux", weight=1.0
    )
    after = article_ingest(url="https://news.example.org/d", title="Derby", text=text + " Again.")
    assert before.article.relevance < after.article.relevance
    assert after.article.matched_terms[0]["key"] == "platform:jitsiflux"


@pytest.mark.django_db
def test_the_same_url_or_text_is_stored_once():
    first = article_ingest(url="https://news.example.org/e", title="Zoom", text=STORY)
    same_url = article_ingest(url="https://news.example.org/e", title="Zoom", text=SPORTS)
    same_text = article_ingest(url="https://other.example.org/e", title="Zoom", text=STORY)
    assert same_url.stored == same_text.stored == Stored.KNOWN
    assert same_url.article.pk == same_text.article.pk == first.article.pk
    assert Article.objects.count() == 1


@pytest.mark.django_db
def test_a_document_without_a_url_is_known_by_its_text():
    article = article_ingest(url="", title="Zoom", text=STORY)
    assert article.article.url.startswith("urn:sha256:")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "hint", "reason"),
    [("  \x00 ", None, "no text"), ("1234 5678", None, "language")],
)
def test_what_cannot_be_an_article_is_refused_and_nothing_stored(text, hint, reason):
    with pytest.raises(NotStorable, match=reason):
        article_ingest(url="https://news.example.org/f", title="", text=text, language_hint=hint)
    assert Article.objects.count() == 0


@pytest.mark.django_db
def test_nul_bytes_and_lone_surrogates_never_reach_postgresql():
    article = article_ingest(
        url="https://news.example.org/g", title="Zoom\x00 \ud800flaw", text=STORY + "\x00\udfff"
    )
    stored = Article.objects.get(pk=article.article.pk)
    assert "\x00" not in stored.title + stored.text


@pytest.mark.django_db
def test_a_known_url_is_known_even_when_this_listing_has_no_text():
    first = article_ingest(
        url="https://news.example.org/zoom-flaw",
        title="Zoom flaw",
        text="Zoom patched a flaw that let intruders join meetings without a password.",
    )
    again = article_ingest(url="https://news.example.org/zoom-flaw", title="", text="")
    assert again.stored == Stored.KNOWN
    assert again.article.pk == first.article.pk
