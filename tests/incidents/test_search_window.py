"""The newest matches of a search, by each of the two plans, equal the plain answer."""

import pytest
from django.db import connection, transaction
from django.db.models import Q

from incidents import search_window
from incidents.models import Article
from incidents.search import (
    article_candidates,
    article_matching,
    article_matching_scanned,
    query_all_languages,
)
from incidents.search_window import newest_matches, newest_window
from tests.factories import ArticleFactory


def _plain(queryset, text: str, limit: int) -> list[int]:
    matching = queryset.filter(search_vector=query_all_languages(text)).order_by("-pk")
    return list(matching.values_list("pk", flat=True)[:limit])


@pytest.fixture
def articles(db):
    for n in range(40):
        words = ("zoom encryption", "teams outage", "zoom outage")[n % 3]
        ArticleFactory(language="nl" if n % 2 else "en", title=f"Story {n}", text=f"{words} {n}")


@pytest.mark.django_db
@pytest.mark.parametrize("common", [0.0, 1.01], ids=["walk the newest rows", "bitmap ranges"])
@pytest.mark.parametrize("limit", [1, 5, 100])
@pytest.mark.parametrize(
    "text", ["zoom", "teams outage", "zoom -encryption", "outage -teams", "-zoom", "nothing"]
)
def test_both_plans_find_the_newest_matches(articles, monkeypatch, common, limit, text):
    monkeypatch.setattr(search_window, "COMMON", common)
    for queryset in (Article.objects.all(), Article.objects.filter(language="nl")):
        matching = Q(search_vector=query_all_languages(text))
        found = newest_matches(queryset, matching, limit=limit)
        assert found == _plain(queryset, text, limit)
        # As a condition (a subquery when walking, the ids otherwise), the same rows.
        window = queryset.filter(newest_window(queryset, matching, limit=limit))
        assert sorted(window.values_list("pk", flat=True), reverse=True) == found
        # As an article search asks: exact in each article's language, the index scanned for
        # the positive part, the plan chosen by the estimate for every reading.
        exact = queryset.filter(article_matching(text)).order_by("-pk")
        window = queryset.filter(
            newest_window(
                queryset,
                article_matching(text, indexable=False),
                limit=limit,
                estimate=article_candidates(text),
                scan=article_matching_scanned(text),
            )
        )
        assert sorted(window.values_list("pk", flat=True), reverse=True) == list(
            exact.values_list("pk", flat=True)[:limit]
        )


@pytest.mark.django_db
def test_the_range_widens_until_it_reaches_the_oldest_match(articles, monkeypatch):
    monkeypatch.setattr(search_window, "COMMON", 1.01)
    oldest = Article.objects.order_by("pk").first()
    Article.objects.filter(pk=oldest.pk).update(text="webex")
    found = newest_matches(
        Article.objects.all(), Q(search_vector=query_all_languages("webex")), limit=10
    )
    assert found == [oldest.pk]


@pytest.mark.django_db
def test_no_rows_no_matches():
    assert (
        newest_matches(
            Article.objects.all(), Q(search_vector=query_all_languages("zoom")), limit=10
        )
        == []
    )


@pytest.mark.django_db
def test_the_planner_settings_are_restored(articles, monkeypatch):
    monkeypatch.setattr(search_window, "COMMON", 1.01)
    with transaction.atomic(), connection.cursor() as cursor:
        newest_matches(Article.objects.all(), Q(search_vector=query_all_languages("zoom")), limit=3)
        cursor.execute(
            "SELECT current_setting('enable_indexscan'), current_setting('enable_seqscan')"
        )
        assert cursor.fetchone() == ("on", "on")


@pytest.mark.django_db
@pytest.mark.parametrize("limit", [3, 7, 14])
def test_matches_found_across_several_ranges_come_newest_first_once(articles, monkeypatch, limit):
    # An estimate that every row matches makes the first range narrow: the rest come from older
    # ranges, each read once.
    monkeypatch.setattr(search_window, "COMMON", 1.01)
    monkeypatch.setattr(search_window, "_estimated_rows", lambda queryset: 40.0)
    found = newest_matches(
        Article.objects.all(), Q(search_vector=query_all_languages("zoom")), limit=limit
    )
    assert found == _plain(Article.objects.all(), "zoom", limit)
    assert len(found) == len(set(found)) == limit
