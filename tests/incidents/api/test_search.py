"""Full-text search, stemmed in each article's language, ranked."""

import pytest

from incidents import selectors
from incidents.tokens import api_token_issue
from tests.factories import ArticleFactory, IncidentFactory, TimelineEventFactory


def _titles(client, url: str, q: str) -> list[str]:
    response = client.get(url, {"q": q})
    assert response.status_code == 200, response.json()
    return [row.get("title") for row in response.json()["results"]]


@pytest.mark.django_db
def test_dutch_search_is_stemmed(as_viewer):
    ArticleFactory(
        language="nl", title="Gebruikers", text="Het aantal dagelijkse gebruikers stijgt."
    )
    ArticleFactory(language="en", title="Other", text="Nothing about that here.")
    # "gebruiker" only matches "gebruikers" through the Dutch stemmer.
    assert _titles(as_viewer, "/api/v1/articles/", "gebruiker") == ["Gebruikers"]


@pytest.mark.django_db
def test_french_search_is_stemmed(as_viewer):
    ArticleFactory(
        language="fr", title="Réunions", text="Les réunions publiques ont été perturbées."
    )
    assert _titles(as_viewer, "/api/v1/articles/", "réunion perturbée") == ["Réunions"]


@pytest.mark.django_db
def test_german_and_english_search_are_stemmed(as_viewer):
    ArticleFactory(
        language="de", title="Sicherheit", text="Die Sicherheitslücken wurden geschlossen."
    )
    ArticleFactory(language="en", title="Meetings", text="Attackers joined the meetings uninvited.")
    assert _titles(as_viewer, "/api/v1/articles/", "Sicherheitslücke") == ["Sicherheit"]
    assert _titles(as_viewer, "/api/v1/articles/", "meeting attacker") == ["Meetings"]


@pytest.mark.django_db
def test_search_is_ranked_title_above_text(as_viewer):
    ArticleFactory(
        language="en", title="Weekly roundup", text="Also: a zoombombing wave hit schools."
    )
    ArticleFactory(
        language="en", title="Zoombombing hits schools", text="Schools report intruders."
    )
    response = as_viewer.get("/api/v1/articles/", {"q": "zoombombing"})
    rows = response.json()["results"]
    assert [r["title"] for r in rows] == ["Zoombombing hits schools", "Weekly roundup"]
    assert rows[0]["rank"] > rows[1]["rank"]


@pytest.mark.django_db
def test_incident_search_looks_in_title_summary_and_timeline(as_viewer):
    in_title = IncidentFactory(title="Classroom intrusions", summary="x")
    in_timeline = IncidentFactory(title="Other", summary="y")
    TimelineEventFactory(incident=in_timeline, description="Intruders disrupted a classroom.")
    IncidentFactory(title="Unrelated", summary="Nothing.")
    response = as_viewer.get("/api/v1/incidents/", {"q": "classroom"})
    slugs = [row["slug"] for row in response.json()["results"]]
    assert slugs == [in_title.slug, in_timeline.slug]


@pytest.mark.django_db
def test_search_syntax_never_fails(as_viewer):
    ArticleFactory(language="en", title="Zoom", text="Zoom meetings.")
    for q in ['"unclosed', "a & | ! (", "-", "::", "'; drop table", "\u00e9\u00e8"]:
        assert as_viewer.get("/api/v1/articles/", {"q": q}).status_code == 200, q
        assert as_viewer.get("/api/v1/incidents/", {"q": q}).status_code == 200, q


@pytest.mark.django_db
def test_search_pages_walk_every_match_once(as_viewer):
    for n in range(7):
        ArticleFactory(language="en", title=f"Zoom story {n}", text="Zoom " * (n + 1))
    seen, url = [], "/api/v1/articles/?q=zoom&page_size=3"
    while url:
        page = as_viewer.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == 7


@pytest.mark.django_db
def test_search_ranks_the_newest_matches_and_filters_narrow_them_first(as_viewer, monkeypatch):
    monkeypatch.setattr(selectors, "ARTICLE_RANK_WINDOW", 2)
    old = ArticleFactory(language="nl", title="Zoom oud", text="zoom oud")
    ArticleFactory(language="en", title="Zoom new", text="zoom new")
    ArticleFactory(language="en", title="Zoom newest", text="zoom newest")
    assert set(_titles(as_viewer, "/api/v1/articles/", "zoom")) == {"Zoom new", "Zoom newest"}
    # A filter is applied before the window: the old Dutch article is reachable.
    response = as_viewer.get("/api/v1/articles/", {"q": "zoom", "language": "nl"})
    assert [row["id"] for row in response.json()["results"]] == [old.id]


@pytest.mark.django_db
def test_a_blank_query_is_no_search_and_a_query_without_words_matches_nothing(as_viewer):
    ArticleFactory(language="en", title="Teams", text="Teams meetings.")
    ArticleFactory(language="en", title="Zoom", text="Zoom meetings.")
    assert set(_titles(as_viewer, "/api/v1/articles/", "   ")) == {"Teams", "Zoom"}
    assert _titles(as_viewer, "/api/v1/articles/", "- ::") == []


@pytest.mark.django_db
def test_incident_search_ranks_the_newest_matches_among_the_filtered(as_viewer, monkeypatch):
    monkeypatch.setattr(selectors, "INCIDENT_RANK_WINDOW", 1)
    old = IncidentFactory(title="Classroom intrusions", summary="x", status="confirmed")
    new = IncidentFactory(title="Classroom outage", summary="y")
    in_timeline = IncidentFactory(title="Other", summary="z", status="confirmed")
    TimelineEventFactory(incident=in_timeline, description="Intruders disrupted a classroom.")
    TimelineEventFactory(incident=new, description="A classroom again.")

    def slugs(**params) -> set[str]:
        response = as_viewer.get("/api/v1/incidents/", {"q": "classroom", **params})
        return {row["slug"] for row in response.json()["results"]}

    # The newest by title or summary, and the incident of the newest matching event.
    assert slugs() == {new.slug}
    # Filters apply first: the window then holds older matches.
    assert slugs(status="confirmed") == {old.slug, in_timeline.slug}


@pytest.mark.django_db
def test_a_phrase_matches_the_words_together_not_apart(as_viewer):
    ArticleFactory(language="en", title="Together", text="Hosts should enable the waiting room.")
    ArticleFactory(language="en", title="Apart", text="The room was full of people waiting.")
    ArticleFactory(language="nl", title="Dutch", text="Gebruik de wachtkamer en een waiting room.")
    assert set(_titles(as_viewer, "/api/v1/articles/", '"waiting room"')) == {"Together", "Dutch"}
    # Stemmed as words are: "waiting rooms" is the same phrase in English.
    assert "Together" in _titles(as_viewer, "/api/v1/articles/", '"waiting rooms"')
    # Across a stop word, and beside other words.
    assert _titles(as_viewer, "/api/v1/articles/", '"enable the waiting"') == ["Together"]
    assert _titles(as_viewer, "/api/v1/articles/", '"waiting room" hosts') == ["Together"]
    assert set(_titles(as_viewer, "/api/v1/articles/", '"waiting room" or full')) == {
        "Together",
        "Apart",
        "Dutch",
    }
    assert _titles(as_viewer, "/api/v1/articles/", 'room -"waiting room"') == ["Apart"]


@pytest.mark.django_db
def test_an_excluded_word_is_excluded_as_each_article_s_language_stems_it(as_viewer):
    ArticleFactory(language="en", title="Both", text="Phishing mails aimed at Teams users.")
    ArticleFactory(language="nl", title="Alleen", text="Phishing via e-mail.")
    ArticleFactory(language="pl", title="Polish", text="Phishing teams spotkanie.")
    # "teams" is 'team' in English: the English article holds it and is left out.
    assert set(_titles(as_viewer, "/api/v1/articles/", "phishing -teams")) == {"Alleen"}


@pytest.mark.django_db
def test_an_article_search_in_a_date_order_lists_every_match_unranked(as_viewer, monkeypatch):
    monkeypatch.setattr(selectors, "ARTICLE_RANK_WINDOW", 2)
    monkeypatch.setattr(selectors, "INCIDENT_RANK_WINDOW", 1)
    articles = [
        ArticleFactory(language="en", title=f"Zoom {n}", text=f"zoom meetings {n}")
        for n in range(3)
    ]
    ArticleFactory(language="en", title="Teams", text="teams meetings")
    # English stems "teams" to 'team', which the unstemmed reading does not exclude: unranked
    # too, each article is read in its own language.
    ArticleFactory(language="en", title="Zoom and Teams", text="zoom with teams")
    newest = as_viewer.get("/api/v1/articles/", {"q": "zoom -teams", "ordering": "-created_at"})
    assert newest.status_code == 200, newest.json()
    rows = newest.json()["results"]
    assert [row["id"] for row in rows] == [a.id for a in reversed(articles)]
    assert all("rank" not in row for row in rows)
    oldest = as_viewer.get("/api/v1/articles/", {"q": "zoom -teams", "ordering": "created_at"})
    assert [row["id"] for row in oldest.json()["results"]] == [a.id for a in articles]
    # Ranked, the same search reads the window alone.
    assert len(_titles(as_viewer, "/api/v1/articles/", "zoom -teams")) == 2

    # Incidents match by their timeline too: in any order, a search reads the window.
    by_title = [IncidentFactory(title=f"Classroom intrusions {n}", summary="x") for n in range(2)]
    in_timeline = IncidentFactory(title="Other", summary="y")
    TimelineEventFactory(incident=in_timeline, description="Intruders disrupted a classroom.")
    response = as_viewer.get("/api/v1/incidents/", {"q": "classroom", "ordering": "created_at"})
    slugs = [row["slug"] for row in response.json()["results"]]
    assert slugs == [by_title[1].slug, in_timeline.slug]
    assert all("rank" in row for row in response.json()["results"])


@pytest.mark.django_db
def test_a_search_in_an_unknown_order_is_a_400_naming_rank_among_the_choices(as_viewer):
    ArticleFactory(language="en", title="Zoom", text="zoom")
    response = as_viewer.get("/api/v1/articles/", {"q": "zoom", "ordering": "title"})
    assert response.status_code == 400
    assert response.json()["fields"]["ordering"] == [
        "Choose one of: -updated_at, updated_at, -created_at, created_at, -rank."
    ]
    # Without q= there is no rank to order by.
    response = as_viewer.get("/api/v1/articles/", {"ordering": "-rank"})
    assert response.json()["fields"]["ordering"] == [
        "Choose one of: -updated_at, updated_at, -created_at, created_at."
    ]


@pytest.mark.django_db
def test_q_on_a_list_that_does_not_search_changes_nothing(as_analyst, analyst):
    api_token_issue(user=analyst, name="zoom")
    plain = as_analyst.get("/api/v1/auth/tokens/")
    response = as_analyst.get("/api/v1/auth/tokens/", {"q": "other"})
    assert response.status_code == 200, response.json()
    assert response.json()["results"] == plain.json()["results"] != []
