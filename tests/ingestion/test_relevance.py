import random
import re
from dataclasses import dataclass
from itertools import pairwise

import pytest

from incidents.ingestion.default_terms import DEFAULT_TERMS
from incidents.ingestion.relevance import (
    Gazetteer,
    Match,
    Relevance,
    Term,
    TermKind,
    gazetteer_build,
    relevance_score,
)

PLATFORM, ORG, VOCAB = TermKind.PLATFORM, TermKind.ORGANIZATION, TermKind.VOCABULARY
# The explanation's sign between a key and its count.
TIMES = "\N{MULTIPLICATION SIGN}"


@dataclass(frozen=True)
class Article:
    language: str
    title: str
    text: str


# Short news stories, written for these tests, in the shapes the feeds bring.

EN_ZOOMBOMBING = Article(
    "en",
    "FBI warns of Zoom-bombing as classes and meetings move online",
    "The FBI's Boston field office has warned teachers and businesses about a wave of "
    "Zoom-bombing, in which intruders hijack video calls to shout abuse or share offensive "
    "images. Two Massachusetts schools reported that an unidentified person dialled into online "
    "classes held on Zoom and shouted profanities. The bureau urged users to keep meetings "
    "private, to require a password and not to share links on social media. Zoom said it had "
    "changed its default settings so that new meetings start in a waiting room.",
)
NL_ZOOM = Article(
    "nl",
    "Zoom kampt met reeks kwetsbaarheden",
    "Beveiligingsonderzoekers hebben opnieuw kwetsbaarheden gevonden in de videobeldienst Zoom. "
    "Via een fout in de Windows-app konden aanvallers wachtwoorden van gebruikers buitmaken. "
    "Ook blijkt de versleuteling minder sterk dan Zoom beloofde: gesprekken zijn niet "
    "end-to-end versleuteld. Het Nationaal Cyber Security Centrum raadt organisaties aan de "
    "software bij te werken. Zoom belooft de komende negentig dagen alleen aan beveiliging te "
    "werken.",
)
FR_ZOOM = Article(
    "fr",
    "Une faille de sécurité dans Zoom expose les mots de passe Windows",
    "Des chercheurs ont découvert une faille de sécurité dans le logiciel de visioconférence "
    "Zoom. En envoyant un lien piégé dans la messagerie, un attaquant peut récupérer les "
    "identifiants Windows des participants. Zoom affirme avoir corrigé le problème dans une mise "
    "à jour publiée mercredi. La CNIL rappelle que la vie privée des utilisateurs doit être "
    "protégée. Plusieurs entreprises ont déjà interdit l'usage de l'application.",
)
DE_TEAMS = Article(
    "de",
    "Sicherheitslücke in Microsoft Teams: BSI warnt Unternehmen",
    "Eine kritische Sicherheitslücke in Microsoft Teams ermöglicht es Angreifern, über ein "
    "manipuliertes GIF-Bild Benutzerkonten zu übernehmen. Das Bundesamt für Sicherheit in der "
    "Informationstechnik (BSI) rät, die Anwendung umgehend zu aktualisieren. Microsoft hat die "
    "Schwachstelle nach eigenen Angaben inzwischen geschlossen. Betroffen waren sowohl die "
    "Desktop-Version als auch die Web-App von Teams. Hinweise auf Angriffe gebe es bislang "
    "nicht.",
)
EN_EARNINGS = Article(
    "en",
    "Zoom shares jump after revenue beats forecasts",
    "Zoom Video Communications reported quarterly revenue of $1.18 billion on Monday, ahead of "
    "analysts' expectations, and raised its full-year outlook. Shares of the San Jose company "
    "rose 8% in extended trading. Chief executive Eric Yuan said enterprise customers were "
    "signing longer contracts and that Zoom Phone had passed seven million seats. The company "
    "also announced a $1 billion share buyback. Growth has slowed since the pandemic, when Zoom "
    "became a household name.",
)
EN_BANK = Article(
    "en",
    "Bank confirms data breach affecting 200,000 customers",
    "Northfield Bank said on Thursday that hackers had gained access to a database holding "
    "names, account numbers and passwords of about 200,000 customers. The breach was found "
    "during a routine audit and has been reported to regulators. The bank is working with "
    "outside investigators and has reset the affected credentials. Customers have been warned to "
    "watch for phishing emails. The state attorney general has opened an investigation.",
)
EN_SPORTS = Article(
    "en",
    "Twelve teams set for the regional football finals",
    "Twelve teams will compete in this weekend's regional football finals in Leeds. The "
    "organisers said all teams had confirmed their squads by Friday. Last year's champions are "
    "expected to field a young side after several players moved on. Tickets for the final on "
    "Sunday are still available. Both teams in the opening match trained indoors on Thursday.",
)
ARTICLES = (EN_ZOOMBOMBING, NL_ZOOM, FR_ZOOM, DE_TEAMS, EN_EARNINGS, EN_BANK, EN_SPORTS)


@pytest.fixture(scope="module")
def default_gazetteer() -> Gazetteer:
    return gazetteer_build(DEFAULT_TERMS)


def score(gazetteer: Gazetteer, article: Article) -> Relevance:
    return relevance_score(
        gazetteer, title=article.title, text=article.text, language=article.language
    )


def keys(relevance: Relevance) -> dict[str, int]:
    return {match.key: match.count for match in relevance.matched}


def gazetteer_of(*terms: tuple[str, TermKind, str, str]) -> Gazetteer:
    """A gazetteer of (text, kind, language, key) terms, all of weight 1."""
    return gazetteer_build(
        [Term(text=t, kind=k, weight=1.0, language=lang, key=key) for t, k, lang, key in terms]
    )


def test_english_zoombombing_story_is_relevant(default_gazetteer):
    relevance = score(default_gazetteer, EN_ZOOMBOMBING)

    assert relevance.score >= 0.6
    found = keys(relevance)
    # "Zoom-bombing" names both the platform and the incident.
    assert found["platform:zoom"] == 4
    assert found["vocabulary:zoombombing"] == 2
    assert found["organization:fbi"] == 2
    assert {"vocabulary:intrusion", "vocabulary:hijack", "vocabulary:password"} <= found.keys()
    top = relevance.matched[0]
    assert top == Match("platform:zoom", "Zoom", PLATFORM, 4, in_title=True)


def test_dutch_story_about_zoom_vulnerabilities_is_relevant(default_gazetteer):
    relevance = score(default_gazetteer, NL_ZOOM)

    assert relevance.score >= 0.6
    found = keys(relevance)
    assert found["platform:zoom"] == 4
    assert found["vocabulary:vulnerability"] == 2  # kwetsbaarheden, in the title and the text
    assert found["vocabulary:encryption"] == 2  # versleuteling, versleuteld
    assert found["vocabulary:end-to-end-encryption"] == 1
    assert found["organization:ncsc"] == 1
    assert found["vocabulary:password"] == 1  # wachtwoorden


def test_french_story_about_a_flaw_in_zoom_is_relevant(default_gazetteer):
    relevance = score(default_gazetteer, FR_ZOOM)

    assert relevance.score >= 0.6
    found = keys(relevance)
    assert found["platform:zoom"] == 3
    # "faille de sécurité" twice, each counted once, not also as "faille".
    assert found["vocabulary:vulnerability"] == 2
    shown = {match.key: match.term for match in relevance.matched}
    assert shown["vocabulary:vulnerability"] == "faille de sécurité"
    assert {"vocabulary:privacy", "organization:cnil", "vocabulary:credentials"} <= found.keys()


def test_german_story_about_a_teams_vulnerability_is_relevant(default_gazetteer):
    relevance = score(default_gazetteer, DE_TEAMS)

    assert relevance.score >= 0.6
    found = keys(relevance)
    # "Microsoft Teams" twice, not also "Teams"; the bare word once more at the end.
    assert found["platform:microsoft-teams"] == 3
    shown = {match.key: match.term for match in relevance.matched}
    assert shown["platform:microsoft-teams"] == "Microsoft Teams"
    assert found["vocabulary:vulnerability"] == 3  # Sicherheitslücke twice, Schwachstelle
    assert found["organization:bsi"] == 3


def test_zoom_earnings_story_scores_middle_low(default_gazetteer):
    relevance = score(default_gazetteer, EN_EARNINGS)

    assert 0.15 <= relevance.score <= 0.45
    assert keys(relevance) == {"platform:zoom": 4}


def test_bank_breach_without_a_platform_scores_low(default_gazetteer):
    relevance = score(default_gazetteer, EN_BANK)

    assert relevance.score < 0.2
    assert "vocabulary:breach" in keys(relevance)
    assert not [m for m in relevance.matched if m.kind == PLATFORM]


def test_sports_story_about_teams_is_not_relevant(default_gazetteer):
    relevance = score(default_gazetteer, EN_SPORTS)

    assert relevance.score < 0.1
    assert relevance.matched == ()
    assert relevance.explanation == "no term matched → 0.00"


def test_bare_teams_counts_in_languages_that_do_not_use_the_word(default_gazetteer):
    relevance = relevance_score(
        default_gazetteer,
        title="Teams : une faille permet de lire les messages",
        text="Microsoft corrige Teams.",
        language="fr",
    )

    assert keys(relevance)["platform:microsoft-teams"] == 2


def test_accents_case_and_compatibility_forms_match_alike():
    gazetteer = gazetteer_of(
        ("faille de sécurité", VOCAB, "", "vocabulary:vulnerability"),
        ("Zoom", PLATFORM, "", "platform:zoom"),
        ("Straße", ORG, "", "organization:street"),
    )
    text = (
        "FAILLE DE SECURITE, faille de sécurité, Faille De Se\u0301curite\u0301. "
        "\uff3a\uff2f\uff2f\uff2d and zoom. STRASSE."  # full-width ZOOM
    )

    relevance = relevance_score(gazetteer, title="", text=text, language=None)

    assert keys(relevance) == {
        "vocabulary:vulnerability": 3,
        "platform:zoom": 2,
        "organization:street": 1,
    }
    # The term is shown as written, not as matched.
    assert {m.term for m in relevance.matched} == {"faille de sécurité", "Zoom", "Straße"}


def test_prefix_terms_match_longer_words_and_exact_terms_do_not():
    gazetteer = gazetteer_of(
        ("kwetsbaarhe*", VOCAB, "", "vocabulary:vulnerability"),
        ("Zoom", PLATFORM, "", "platform:zoom"),
        ("security flaw*", VOCAB, "", "vocabulary:flaw"),
    )
    text = (
        "Kwetsbaarheid, kwetsbaarheden, kwetsbaar. Zoomer zooms Zoom's zoom. "
        "Security flaws, security flaw, security flow."
    )

    relevance = relevance_score(gazetteer, title="", text=text, language=None)

    assert keys(relevance) == {
        "vocabulary:vulnerability": 2,
        "platform:zoom": 2,
        "vocabulary:flaw": 2,
    }


def test_multi_word_terms_match_only_consecutive_words():
    gazetteer = gazetteer_of(("Microsoft Teams", PLATFORM, "", "platform:microsoft-teams"))

    apart = relevance_score(
        gazetteer,
        title="",
        text="Microsoft said its teams work. Teams Microsoft. Microsoft and Teams.",
        language=None,
    )
    together = relevance_score(
        gazetteer, title="", text="Microsoft-Teams, microsoft\nteams.", language=None
    )

    assert apart.matched == ()
    assert keys(together) == {"platform:microsoft-teams": 2}


def test_language_specific_terms_apply_only_to_their_language():
    gazetteer = gazetteer_of(
        ("lek", VOCAB, "nl", "vocabulary:leak"), ("Zoom", PLATFORM, "", "platform:zoom")
    )
    text = "Zoom lek."

    english = relevance_score(gazetteer, title="", text=text, language="en")
    dutch = relevance_score(gazetteer, title="", text=text, language="nl-BE")
    unknown = relevance_score(gazetteer, title="", text=text, language=None)

    assert keys(english) == {"platform:zoom": 1}
    assert keys(dutch) == keys(unknown) == {"platform:zoom": 1, "vocabulary:leak": 1}


def test_explanation_names_each_key_with_its_count(default_gazetteer):
    for article in ARTICLES:
        relevance = score(default_gazetteer, article)

        for match in relevance.matched:
            title = " (title)" if match.in_title else ""
            assert f"{match.key} {TIMES}{match.count}{title}" in relevance.explanation
        assert relevance.explanation.endswith(f"→ {relevance.score:.2f}")
    assert (
        score(default_gazetteer, EN_EARNINGS).explanation
        == f"platform:zoom {TIMES}4 (title) → 0.39"
    )


def test_score_grows_with_distinct_keys_platform_and_context():
    gazetteer = gazetteer_of(
        ("Zoom", PLATFORM, "", "platform:zoom"),
        ("breach", VOCAB, "", "vocabulary:breach"),
        ("FBI", ORG, "", "organization:fbi"),
    )

    def of(text: str) -> float:
        return relevance_score(gazetteer, title="", text=text, language=None).score

    assert of("nothing here") == 0
    assert 0 < of("breach") < of("breach FBI") < 0.1
    assert 0.15 < of("Zoom") < 0.4
    assert of("Zoom") < of("Zoom breach") < of("Zoom breach FBI")
    assert of("Zoom breach") > 0.5


def test_repeats_count_with_diminishing_returns():
    gazetteer = gazetteer_of(
        ("Zoom", PLATFORM, "", "platform:zoom"), ("breach", VOCAB, "", "vocab:breach")
    )
    scores = [
        relevance_score(gazetteer, title="", text="breach " + "Zoom " * n, language=None).score
        for n in range(1, 6)
    ]

    steps = [b - a for a, b in pairwise(scores)]
    assert all(step > 0 for step in steps)
    assert steps == sorted(steps, reverse=True)


def test_adding_a_term_to_the_title_or_text_never_lowers_the_score(default_gazetteer):
    for article in ARTICLES:
        before = score(default_gazetteer, article).score
        for term in DEFAULT_TERMS:
            added = term.text.rstrip("*")
            in_title = Article(article.language, f"{article.title} {added}", article.text)
            in_text = Article(article.language, article.title, f"{article.text} {added}")

            assert score(default_gazetteer, in_title).score >= before, term
            assert score(default_gazetteer, in_text).score >= before, term


def test_a_title_match_raises_the_score_above_the_same_match_in_the_text():
    gazetteer = gazetteer_of(
        ("Zoom", PLATFORM, "", "platform:zoom"), ("breach", VOCAB, "", "vocab:breach")
    )

    in_text = relevance_score(gazetteer, title="News", text="Zoom breach", language=None)
    in_title = relevance_score(gazetteer, title="Zoom", text="breach", language=None)

    assert in_title.score > in_text.score
    assert in_title.matched[0] == Match("platform:zoom", "Zoom", PLATFORM, 1, in_title=True)


def test_matched_list_is_deterministic(default_gazetteer):
    rebuilt = gazetteer_build(list(DEFAULT_TERMS))
    for article in ARTICLES:
        assert score(default_gazetteer, article) == score(rebuilt, article)
    # Equal contributions are ordered by key.
    gazetteer = gazetteer_of(
        ("beta", VOCAB, "", "vocabulary:b"), ("alpha", VOCAB, "", "vocabulary:a")
    )
    relevance = relevance_score(gazetteer, title="", text="beta alpha", language=None)
    assert [m.key for m in relevance.matched] == ["vocabulary:a", "vocabulary:b"]


def test_key_takes_its_heaviest_matched_term():
    gazetteer = gazetteer_build(
        [
            Term(text="flaw", kind=VOCAB, weight=0.5, language="", key="vocabulary:vulnerability"),
            Term(
                text="zero-day", kind=VOCAB, weight=1.5, language="", key="vocabulary:vulnerability"
            ),
        ]
    )

    relevance = relevance_score(gazetteer, title="", text="flaw flaw zero-day", language=None)

    assert relevance.matched == (Match("vocabulary:vulnerability", "zero-day", VOCAB, 3, False),)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"weight": 0}, "positive"),
        ({"language": "eng"}, "ISO 639-1"),
        ({"key": ""}, "no key"),
        ({"text": "vul*nerable"}, "only end"),
        ({"text": "ban*"}, "prefix needs"),
        ({"text": "--"}, "no word"),
    ],
)
def test_invalid_terms_are_refused(fields, message):
    values = {
        "text": "Zoom",
        "kind": PLATFORM,
        "weight": 1.0,
        "language": "",
        "key": "platform:zoom",
    }

    with pytest.raises(ValueError, match=message):
        Term(**(values | fields))


def test_a_kind_given_as_a_string_becomes_a_term_kind():
    term = Term(text="Zoom", kind="platform", weight=1.0, language="", key="platform:zoom")  # type: ignore[arg-type]

    assert term.kind is PLATFORM
    with pytest.raises(ValueError, match="'product'"):
        Term(text="Zoom", kind="product", weight=1.0, language="", key="platform:zoom")  # type: ignore[arg-type]


def test_a_key_of_two_kinds_is_refused():
    with pytest.raises(ValueError, match="is both"):
        gazetteer_of(("Zoom", PLATFORM, "", "zoom"), ("zoombombing", VOCAB, "", "zoom"))


def test_default_terms_are_valid_and_keyed_by_kind():
    gazetteer_build(DEFAULT_TERMS)
    for term in DEFAULT_TERMS:
        assert term.key.startswith(f"{term.kind}:")
    assert not [t for t in DEFAULT_TERMS if t.text.casefold() == "teams" and t.language == "en"]


def test_thousands_of_terms_match_as_a_plain_scan_does():
    rng = random.Random(20240611)
    vocabulary = sorted({"".join(rng.choices("abcdefghij", k=6)) for _ in range(3000)})
    terms = []
    for i in range(5000):
        size = rng.choices((1, 2, 3), weights=(6, 3, 1))[0]
        words = rng.sample(vocabulary, size)
        star = "*" if rng.random() < 0.2 else ""
        kind = rng.choice(list(TermKind))
        text = " ".join(words) + star
        terms.append(Term(text=text, kind=kind, weight=1 + i % 3, language="", key=f"{kind}:{i}"))
    words = []
    while len(words) < 3000:
        roll = rng.random()
        if roll < 0.1:
            words += rng.choice(terms).text.rstrip("*").split()
        elif roll < 0.6:
            words.append(rng.choice(vocabulary))
        elif roll < 0.8:
            words.append(rng.choice(vocabulary) + rng.choice(("s", "ing", "ed")))
        else:
            words.append("".join(rng.choices("klmnop", k=5)))
    text = " ".join(word.upper() if rng.random() < 0.1 else word for word in words[:3000])

    relevance = relevance_score(gazetteer_build(terms), title="", text=text, language=None)

    expected = _plain_scan(terms, text.lower().split())
    assert keys(relevance) == expected
    # The text exercises every way of matching.
    found = {int(key.split(":")[1]) for key in expected}
    assert len([i for i in found if " " in terms[i].text]) > 50
    assert len([i for i in found if terms[i].text.endswith("*")]) > 50


def _plain_scan(terms: list[Term], words: list[str]) -> dict[str, int]:
    """Occurrences per key: every term tried at every word, then leftmost-longest per kind."""
    at: dict[int, list[tuple[tuple[int, bool, int, float, int], int, Term]]] = {}
    positions: dict[str, list[int]] = {}
    for position, word in enumerate(words):
        positions.setdefault(word, []).append(position)
    for order, term in enumerate(terms):
        parts = re.findall(r"\w+", term.text)
        prefix = term.text.endswith("*")
        starts = range(len(words)) if prefix and len(parts) == 1 else positions.get(parts[0], [])
        for start in starts:
            window = words[start : start + len(parts)]
            if len(window) < len(parts) or window[:-1] != parts[:-1]:
                continue
            last_ok = window[-1].startswith(parts[-1]) if prefix else window[-1] == parts[-1]
            if last_ok:
                rank = (len(parts), not prefix, len(parts[-1]), term.weight, -order)
                at.setdefault(start, []).append((rank, len(parts), term))
    counts: dict[str, int] = {}
    covered = dict.fromkeys(TermKind, 0)
    for start in sorted(at):
        for kind in TermKind:
            options = [o for o in at[start] if o[2].kind == kind and covered[kind] <= start]
            if options:
                _, size, term = max(options, key=lambda o: o[0])
                covered[kind] = start + size
                counts[term.key] = counts.get(term.key, 0) + 1
    return counts
