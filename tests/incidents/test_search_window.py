"""The newest matches of a search, by each of the two plans, equal the plain answer."""

import pytest
from django.db import connection, transaction
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

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


def _assert_article_window_is_exact(queryset, text: str, limit: int) -> None:
    """The window as an article search asks for it (exact in each article's language, the index
    scanned for the positive part, the plan chosen by the estimate for every reading) holds the
    newest exact matches."""
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
        _assert_article_window_is_exact(queryset, text, limit)


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


# Ids on either side of the edges of blocks of every size, and far apart: a range of the window
# is then several blocks of different sizes.
SPREAD_IDS = [
    3,
    4095,
    4096,
    8191,
    61440,
    65535,
    65536,
    69632,
    1048575,
    1048576,
    1052672,
    1114112,
    16777215,
    16777216,
    16781312,
    20000000,
]


@pytest.fixture
def spread(db):
    for n, id_ in enumerate(SPREAD_IDS):
        words = ("zoom encryption", "teams outage", "zoom outage")[n % 3]
        ArticleFactory(id=id_, language="nl" if n % 2 else "en", text=f"{words} {n}")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "stop"),
    [(0, 4096), (4096, 69632), (61440, 1052672), (0, 2**25), (1048576, 16781312 + 4096)],
)
def test_blocks_covering_a_range_hold_exactly_its_ids(spread, start, stop):
    # The stored column (SQL) and the keys asked for (Python) agree on every edge.
    blocks = search_window.blocks_covering(start, stop)
    held = Article.objects.filter(id_blocks__overlap=blocks).values_list("pk", flat=True)
    assert sorted(held) == [id_ for id_ in SPREAD_IDS if start <= id_ < stop]
    assert len(blocks) == len(set(blocks))


def test_blocks_are_few_for_a_wide_range():
    # The largest block that fits at each step: from 4,096 to 2^24 + 4,096 takes 15 blocks of
    # each of the three smaller sizes, then one of 2^24 ids (the other sizes' edges).
    blocks = search_window.blocks_covering(4096, 2**24 + 4096)
    assert len(blocks) == 15 + 15 + 15 + 1


@pytest.mark.parametrize(("start", "stop"), [(1, 4096), (0, 4097)])
def test_blocks_need_aligned_ranges(start, stop):
    with pytest.raises(ValueError, match="not aligned"):
        search_window.blocks_covering(start, stop)


@pytest.mark.django_db
@pytest.mark.parametrize("limit", [1, 2, 4, 7, 20])
@pytest.mark.parametrize("text", ["zoom", "outage -teams", "teams", "nothing"])
def test_the_window_over_blocks_finds_the_newest_matches(spread, monkeypatch, limit, text):
    # An estimate that every row matches makes each range narrow: the window goes back through
    # many ranges, each asked of the index as blocks.
    monkeypatch.setattr(search_window, "COMMON", 1.01)
    monkeypatch.setattr(search_window, "_estimated_rows", lambda queryset: 2e7)
    queryset = Article.objects.all()
    assert newest_matches(queryset, Q(search_vector=query_all_languages(text)), limit=limit) == (
        _plain(queryset, text, limit)
    )
    _assert_article_window_is_exact(queryset, text, limit)


def _zoom_scans(monkeypatch, estimate: float | None = None) -> list[str]:
    """The full-text scans that find the 2 newest "zoom" articles by ranges, with ``estimate``
    as the planner's count of matches (or the planner's own)."""
    monkeypatch.setattr(search_window, "COMMON", 1.01)
    if estimate is not None:
        monkeypatch.setattr(search_window, "_estimated_rows", lambda queryset: estimate)
    with CaptureQueriesContext(connection) as captured:
        newest_matches(Article.objects.all(), Q(search_vector=query_all_languages("zoom")), limit=2)
    return [q["sql"] for q in captured if "@@" in q["sql"] and "EXPLAIN" not in q["sql"]]


@pytest.mark.django_db
def test_a_range_of_newest_ids_is_asked_as_blocks(spread, monkeypatch):
    scans = _zoom_scans(monkeypatch, estimate=2e7)
    # The newest block (one match: 20000000), the next, then the rest: each as blocks.
    assert [sql[sql.index('"id" >') :] for sql in scans] == [
        '"id" > 19996671 AND "incidents_article"."id" <= 20000000 AND "incidents_article".'
        '"id_blocks" && (ARRAY[19528])::bigint[]) ORDER BY 1 DESC LIMIT 2',
        '"id" > 19988479 AND "incidents_article"."id" <= 19996671 AND "incidents_article".'
        '"id_blocks" && (ARRAY[19520, 19524])::bigint[]) ORDER BY 1 DESC LIMIT 1',
        # 0 to 2^24, 2^24 to 2^24 + 3 * 2^20 by 2^20, then 2^16 ids.
        '"id" > 2 AND "incidents_article"."id" <= 19988479 AND "incidents_article".'
        '"id_blocks" && (ARRAY[3, 66, 70, 74, 1217])::bigint[]) ORDER BY 1 DESC LIMIT 1',
    ]


@pytest.mark.django_db
def test_a_range_wider_than_the_matches_expected_is_asked_without_blocks(spread, monkeypatch):
    # Reading the blocks' entries would cost more than reading the query's own.
    scans = _zoom_scans(monkeypatch, estimate=5000.0)
    assert len(scans) > 1
    assert not any('"id_blocks"' in sql for sql in scans)


@pytest.mark.django_db
def test_a_range_of_every_row_is_asked_without_blocks(spread, monkeypatch):
    scans = _zoom_scans(monkeypatch)
    assert len(scans) == 1
    assert '"id_blocks"' not in scans[0]
