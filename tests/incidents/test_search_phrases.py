"""Phrase search through the pair index finds exactly what the tsquery alone finds."""

import pytest
from django.db import connection, transaction

from incidents.models import Article
from incidents.search import (
    _positive_part,
    _query_text,
    _readings,
    article_matching,
    article_matching_scanned,
    exclusions_in_own_language,
    query_all_languages,
)
from incidents.search_phrases import _needed_pairs, _parse, phrase_narrowing
from tests.factories import ArticleFactory


def _pairs(tsquery: str):
    needed = _needed_pairs(_parse(tsquery))
    return None if needed is None else sorted(sorted(alternative) for alternative in needed)


@pytest.mark.parametrize(
    ("tsquery", "pairs"),
    [
        ("'wait' <-> 'room'", [[("wait", "room")]]),
        ("'wait' <-> 'room' <-> 'door'", [[("room", "door"), ("wait", "room")]]),
        # A stop word between: 'wait' <2> 'room' needs no adjacent pair, 'room' <-> 'door' does.
        ("'wait' <2> 'room' <-> 'door'", [[("room", "door")]]),
        ("'wait' <3> 'room'", None),
        ("'zoom' & 'wait' <-> 'room'", [[("wait", "room")]]),
        ("'wait' <-> 'room' & !'teams'", [[("wait", "room")]]),
        ("'wait' <-> 'room' | 'lobby'", None),  # "lobby" alone matches without any pair
        ("'wait' <-> 'room' | 'host' <-> 'key'", [[("host", "key")], [("wait", "room")]]),
        (
            "( 'a' <-> 'b' | 'c' <-> 'd' ) & 'e' <-> 'f'",
            [[("a", "b"), ("e", "f")], [("c", "d"), ("e", "f")]],
        ),
        ("!( 'wait' <-> 'room' )", None),
        ("'wait':* <-> 'room'", None),  # a prefix is not one lexeme
        ("'wait':A <-> 'room'", None),
        ("'it''s' <-> 'a\\\\b'", [[("it's", "a\\b")]]),
        ("'zoom' & 'teams'", None),
    ],
)
def test_a_query_needs_the_pairs_of_its_phrases(tsquery, pairs):
    assert _pairs(tsquery) == pairs


@pytest.mark.parametrize("tsquery", ["'a' <->", "( 'a'", "'a' 'b'", "'a' ?"])
def test_a_tsquery_that_cannot_be_read_is_an_error(tsquery):
    with pytest.raises(ValueError, match="tsquery"):
        _parse(tsquery)


@pytest.mark.django_db
def test_every_reading_postgres_writes_is_read():
    texts = ['"waiting room" -teams', '"zoom-bombing" or "meeting id"', '"waiting for the host"']
    for text in texts:
        for reading in _readings(text):
            _parse(reading)  # raises if a form PostgreSQL writes is not understood


@pytest.mark.django_db
def test_the_index_keys_of_a_vector_are_its_adjacent_pairs():
    with connection.cursor() as cursor:
        cursor.execute(
            # "the" and "was" are stop words: they hold a position and make no pair.
            "SELECT tsvector_pair_keys(to_tsvector('english', 'the waiting room was open door')),"
            " ARRAY[tsvector_pair_key('wait', 'room'), tsvector_pair_key('open', 'door')],"
            " tsvector_pair_keys(strip(to_tsvector('english', 'waiting room')))"
        )
        keys, adjacent, stripped = cursor.fetchone()
    assert sorted(keys) == sorted(adjacent)
    assert all(0 <= key < 2**18 for key in keys)
    assert stripped == []  # a vector without positions has no pairs


STORIES = [
    ("en", "Zoom adds a waiting room", "Hosts can now hold guests in a waiting room."),
    ("en", "Rooms", "The room was waiting for hosts; Teams waiting room too."),
    ("en", "Waiting rooms in Teams", "Teams waiting rooms keep zoom-bombing out."),
    ("en", "Zoom-bombing", "Zoom bombing: share the meeting id with care."),
    ("en", "Waiting for the room", "Users kept waiting for the room to open."),
    ("nl", "Wachtkamer", "De wachtkamer open voor iedereen, zegt Zoom."),
    ("fr", "Salle d'attente", "Zoom active la salle d'attente par défaut."),
    ("en", "Unrelated", "The room is quiet. Nobody is waiting."),
]
WAITING_ROOM = ["Rooms", "Waiting rooms in Teams", "Zoom adds a waiting room"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "titles", "narrowed"),
    [
        ('"waiting room"', WAITING_ROOM, True),
        ('"waiting rooms" zoom', ["Waiting rooms in Teams", "Zoom adds a waiting room"], True),
        ('"wachtkamer open"', ["Wachtkamer"], True),
        ('"zoom-bombing"', ["Waiting rooms in Teams", "Zoom-bombing"], True),
        ('"waiting room" -teams', ["Zoom adds a waiting room"], True),
        ('"waiting room" or "meeting id"', sorted([*WAITING_ROOM, "Zoom-bombing"]), True),
        ('"salle d\'attente"', ["Salle d'attente"], False),
        ('"waiting for the room"', ["Waiting for the room"], False),
        ("waiting room", sorted([*WAITING_ROOM, "Unrelated", "Waiting for the room"]), False),
    ],
)
def test_phrase_search_through_the_index_finds_what_the_tsquery_finds(text, titles, narrowed):
    for language, title, body in STORIES:
        ArticleFactory(language=language, title=title, text=body)
    assert (phrase_narrowing(_readings(text)) is not None) == narrowed
    found = Article.objects.filter(article_matching(text)).order_by("title")
    assert list(found.values_list("title", flat=True)) == titles
    # The same rows as the tsquery alone, read in each article's own language.
    exact = Article.objects.filter(search_vector=query_all_languages(text))
    own_language = exclusions_in_own_language(text)
    if own_language is not None:
        exact = exact.filter(own_language)
    assert list(exact.order_by("title").values_list("title", flat=True)) == titles
    # So do the forms a window walks with and scans the index with.
    for form in (article_matching(text, indexable=False), article_matching_scanned(text)):
        rows = Article.objects.filter(form).order_by("title")
        assert list(rows.values_list("title", flat=True)) == titles


@pytest.mark.django_db
def test_the_phrase_condition_is_one_the_pair_index_answers():
    ArticleFactory(language="en", title="Zoom adds a waiting room", text="A waiting room.")
    narrowing = phrase_narrowing(_readings('"waiting room"'))
    with transaction.atomic(), connection.cursor() as cursor:
        # A table of one row is read whole, or in the order of an ordering index.
        cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off")
        plan = Article.objects.filter(narrowing).order_by().values("pk").explain()
    assert "article_phrase_idx" in plan


@pytest.mark.django_db
def test_with_an_exclusion_the_index_is_asked_for_the_positive_part_alone():
    ArticleFactory(language="en", title="Phishing", text="A phishing wave hit Teams users.")
    ArticleFactory(language="en", title="Phishing mail", text="Phishing mail, nothing else.")
    scanned = Article.objects.filter(article_matching_scanned("phishing -teams")).order_by()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off")
        plan = scanned.values("pk").explain()
    index_condition = next(line for line in plan.splitlines() if "Index Cond" in line)
    assert "phish" in index_condition
    assert "team" not in index_condition
    assert list(scanned.values_list("title", flat=True)) == ["Phishing mail"]
    # A query of exclusions alone has no positive part: the exact condition stands.
    assert _positive_part(_query_text("-teams")) is None
    assert _positive_part(_query_text("phishing")) is None
