import random
import re
from dataclasses import dataclass

import pytest

from incidents.ingestion import dedupe
from incidents.ingestion.dedupe import (
    BANDS,
    NEAR_DUPLICATE_SIMILARITY,
    ROWS,
    SIGNATURE_SIZE,
    near_duplicates,
    signature_bands,
    signature_similarity,
    text_signature,
)

# A wire story, a second site's copy of it, another story on the same topic, and an unrelated
# text, in English and in Dutch. The copies are derived by named edits so the difference is plain.

EN_WIRE = """\
Zoom patches flaw that let outsiders slip into private meetings

SAN FRANCISCO (Wire) - Zoom Video Communications has fixed a vulnerability in its meeting
software that allowed an attacker who knew a meeting's numeric ID to join a password-protected
call without the passcode, the company said on Tuesday.

The flaw, found by researchers at the Amsterdam security firm Northgate Labs, sat in the way
Zoom's web client checked passcodes when a participant rejoined after a dropped connection. By
replaying a rejoin request with a forged token, an outsider could skip the passcode prompt and
land directly in the waiting room, or in the meeting itself when the waiting room was switched
off.

Northgate said it reported the problem to Zoom in early March and that the company rolled out a
server-side fix within nine days. Because the check happens on Zoom's servers, users do not need
to update their apps, Zoom said in a security bulletin.

"We have no evidence that this issue was exploited in the wild," a Zoom spokesperson said, adding
that the company had paid Northgate a bounty under its vulnerability disclosure programme. The
spokesperson declined to say how much.

The researchers said about 300 meetings a minute could have been exposed at peak hours if an
attacker had automated the attack, because many organisers rely on passcodes alone and disable
the waiting room to save time.

Security experts said the case showed that meeting IDs should not be treated as secrets. "A
ten-digit number is not a password, and a passcode is only as good as the code that checks it,"
said Maria Jensen, an analyst at the consultancy Fjord Risk.

Zoom has faced scrutiny over meeting security since 2020, when uninvited guests disrupted
classes and church services in a wave of so-called Zoombombing.
"""

EN_SIMILAR = """\
Zoom turns on waiting rooms and passcodes for every meeting after wave of intrusions

SAN JOSE (Wire) - Zoom Video Communications will switch on waiting rooms and require passcodes for
all meetings from next month, the company said on Monday, after a string of incidents in which
uninvited guests disrupted school lessons and council meetings.

Until now, organisers on free and business accounts could turn both settings off, and many did so
to let participants join with a single click. Zoom said that from May a meeting without a
passcode will not start, and that the waiting room can only be disabled by an account
administrator, not by the meeting host.

The company said security complaints about Zoombombing had risen since January, with intruders
sharing meeting IDs on social media and in chat groups and then flooding calls with abusive
images. Several school districts suspended online classes last week.

"Meeting IDs get shared, screenshotted and guessed. Our defaults have to assume that," Zoom's
chief information security officer said in a blog post. The company also plans to show a warning
when a host shares a link that contains an embedded passcode.

Security experts welcomed the change but said it came late. "Passcodes and waiting rooms have
been available for years; the problem was that they were optional," said Tom Okafor, a
researcher at the University of Leeds who studies video-conferencing platforms. He said
organisers should also lock meetings once everyone has arrived.

Zoom has faced scrutiny over privacy and security since 2020, when its rapid growth during the
pandemic exposed weaknesses in its encryption and meeting controls.
"""

EN_UNRELATED = """\
City council approves new cycle lanes along the river

The city council voted on Thursday to build protected cycle lanes along both banks of the river,
ending a two-year dispute between shop owners and cycling groups over the loss of parking spaces.

The plan, approved by 27 votes to 12, will remove about 180 parking spaces and replace them with
lanes separated from traffic by a low kerb. Work is due to start in September and should take
eighteen months, with the busiest stretch near the central station finished first.

Shop owners had argued that fewer parking spaces would drive customers to out-of-town retail
parks. The council said surveys showed that most shoppers in the centre arrive on foot, by bus or
by bike, and promised to add short-stay loading bays for deliveries.

Cycling groups welcomed the vote. "Parents tell us they will let their children ride to school
once there is a kerb between them and the lorries," said the chair of the local cyclists' union.

The council will also plant 140 trees along the route and widen the pavements at four crossings
where pedestrians currently wait on narrow islands. The total cost is estimated at 14 million
euros, of which the regional government will pay about half.

Opposition councillors said the budget did not include maintenance and asked for a yearly report
on how many people use the new lanes.
"""

NL_WIRE = """\
Lek in videobelplatform van gemeenten liet buitenstaanders meekijken

DEN HAAG (ANP) - Door een beveiligingslek in het videobelplatform dat ruim veertig gemeenten
gebruiken voor gesprekken met inwoners, konden buitenstaanders ongemerkt meekijken en meeluisteren.
Dat meldt de leverancier, het Utrechtse bedrijf Beeldlijn, dinsdag.

Het lek zat in de manier waarop het platform uitnodigingslinks controleerde. Wie een link voor een
gesprek had ontvangen, kon door één cijfer in die link te veranderen ook in andere gesprekken
terechtkomen, zonder dat de deelnemers daar een melding van kregen. In die gesprekken ging het
onder meer om aanvragen voor bijstand, schuldhulp en jeugdzorg.

Een ethische hacker ontdekte het probleem begin april en meldde het bij het Nationaal Cyber
Security Centrum, dat de leverancier en de gemeenten waarschuwde. Beeldlijn heeft het lek
inmiddels gedicht. Volgens het bedrijf zijn er geen aanwijzingen dat kwaadwillenden er misbruik
van hebben gemaakt, maar de logbestanden gaan maar dertig dagen terug.

De Vereniging van Nederlandse Gemeenten noemt het voorval ernstig. "Inwoners moeten erop kunnen
vertrouwen dat een gesprek over hun schulden of hun kinderen niet door anderen wordt gevolgd",
zegt een woordvoerder. De vereniging adviseert gemeenten om te controleren welke gesprekken in de
afgelopen maanden via het platform zijn gevoerd.

Meerdere gemeenten hebben het datalek gemeld bij de Autoriteit Persoonsgegevens. De toezichthouder
bevestigt dat er meldingen binnen zijn, maar wil niet zeggen of er een onderzoek komt.

Beeldlijn zegt de controle op uitnodigingslinks volledig te hebben herschreven en een extern
bureau te laten toetsen of het platform nu veilig is.
"""

NL_SIMILAR = """\
Autoriteit Persoonsgegevens onderzoekt videobellen door gemeenten

DEN HAAG (ANP) - De Autoriteit Persoonsgegevens begint een onderzoek naar het gebruik van
videobelplatforms door gemeenten. De toezichthouder wil weten of gesprekken met inwoners over
bijstand, schuldhulp en jeugdzorg voldoende worden beveiligd, zo maakte zij donderdag bekend.

Sinds de coronacrisis voeren veel gemeenten een deel van hun gesprekken met inwoners via een
videoverbinding. Volgens de toezichthouder gebruiken zij daarvoor tientallen verschillende
platforms, van grote Amerikaanse diensten tot kleine Nederlandse leveranciers, en weten
gemeenten vaak niet waar de beelden en opnames worden opgeslagen.

De Autoriteit Persoonsgegevens kreeg het afgelopen jaar meer dan twintig meldingen van datalekken
bij videobellen door gemeenten. Het ging onder meer om opnames die zonder toestemming werden
gemaakt en om uitnodigingslinks die naar de verkeerde inwoner werden gestuurd.

"Een gesprek over schulden of jeugdzorg is net zo gevoelig via een scherm als aan een loket", zegt
een woordvoerder. De toezichthouder vraagt twaalf gemeenten om uitleg over hun afspraken met
leveranciers en over de beveiliging van opnames.

De Vereniging van Nederlandse Gemeenten zegt het onderzoek te steunen. Zij werkt aan een lijst
met eisen waaraan een videobelplatform voor gemeenten moet voldoen, die in het najaar klaar moet
zijn. Het Nationaal Cyber Security Centrum helpt daarbij.

De uitkomsten van het onderzoek worden volgend jaar verwacht.
"""

NL_UNRELATED = """\
Nieuwe fietsbrug over het kanaal gaat in het voorjaar open

De nieuwe fietsbrug over het kanaal tussen de binnenstad en de wijk Oosterpark gaat in april
open, een half jaar later dan gepland. Dat heeft de gemeente woensdag bekendgemaakt.

De vertraging komt door problemen met de fundering aan de oostkant van het kanaal, waar de bodem
slapper bleek dan uit eerder onderzoek naar voren kwam. De aannemer moest daardoor langere palen
slaan. De kosten vallen ongeveer twee miljoen euro hoger uit dan begroot.

De brug is tweehonderd meter lang en krijgt een hellingbaan die geschikt is voor bakfietsen en
scootmobielen. Onder de brug blijft genoeg ruimte over voor de binnenvaart, die het kanaal
dagelijks met tientallen schepen gebruikt.

Bewoners van Oosterpark zijn blij dat de brug er komt. Nu moeten fietsers een omweg van bijna
drie kilometer maken via de drukke ringweg. "Mijn kinderen mogen straks eindelijk zelf naar
school fietsen", zegt een moeder die bij de informatieavond aanwezig was.

De gemeente verwacht dat dagelijks zo'n zesduizend fietsers de brug gaan gebruiken. Bij de opening
is een feestelijke fietstocht gepland langs de nieuwe route.
"""


def _edited(text: str, *edits: tuple[str, str]) -> str:
    """``text`` with each (old, new) replacement made; every old string must be there."""
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    return text


@dataclass(frozen=True)
class SecondSite:
    """How a second site edits its copy of a wire story."""

    headline: tuple[str, str]  # The wire headline, and the site's headline and "Related" line.
    words: tuple[tuple[str, str], ...]  # Three words changed.
    dropped: str  # A sentence left out.
    footer: str  # A copyright line added at the end.


EN_SITE = SecondSite(
    headline=(
        "Zoom patches flaw that let outsiders slip into private meetings\n",
        "Researchers: outsiders could bypass passcodes on Zoom calls\n\n"
        "Related: Five settings that keep strangers out of your video calls\n",
    ),
    words=(
        ("has fixed", "has patched"),
        ("sat in the way", "lay in the way"),
        ("early March", "mid-March"),
    ),
    dropped=" The\nspokesperson declined to say how much.",
    footer="\n(c) 2024 The Daily Ledger. Distributed by Wire News Service; "
    "may not be reproduced without permission.\n",
)

NL_SITE = SecondSite(
    headline=(
        "Lek in videobelplatform van gemeenten liet buitenstaanders meekijken\n",
        "Buitenstaanders konden meekijken bij gesprekken van gemeenten met inwoners\n\n"
        "Lees ook: Zo beveiligt u uw eigen videogesprekken\n",
    ),
    words=(
        ("ruim veertig", "meer dan veertig"),
        ("heeft het lek\ninmiddels gedicht", "heeft het lek\ninmiddels gerepareerd"),
        ("begin april", "half april"),
    ),
    dropped=" De vereniging adviseert gemeenten om te controleren welke gesprekken in de\n"
    "afgelopen maanden via het platform zijn gevoerd.",
    footer="\n(c) ANP/Dagblad van het Oosten. Alle rechten voorbehouden.\n",
)


def _footer(wire: str, site: SecondSite) -> str:
    return wire + site.footer


def _headline_related_and_footer(wire: str, site: SecondSite) -> str:
    return _edited(wire, site.headline) + site.footer


def _three_words(wire: str, site: SecondSite) -> str:
    return _edited(wire, *site.words)


def _every_edit(wire: str, site: SecondSite) -> str:
    return _edited(wire, site.headline, *site.words, (site.dropped, "")) + site.footer


# The second site's copy: its own headline, a "Related" line, three words changed, a sentence
# dropped and a copyright footer.
EN_REPUBLISHED = _every_edit(EN_WIRE, EN_SITE)
NL_REPUBLISHED = _every_edit(NL_WIRE, NL_SITE)

WIRES = [
    pytest.param(EN_WIRE, EN_SITE, id="english"),
    pytest.param(NL_WIRE, NL_SITE, id="dutch"),
]


@dataclass(frozen=True)
class Republishers:
    """What other sites put around, and change in, their copies of a wire story."""

    headlines: tuple[str, ...]
    related: tuple[str, ...]
    footers: tuple[str, ...]
    words: tuple[str, ...]  # Words that replace one of the story's.


EN_REPUBLISHERS = Republishers(
    headlines=(
        "Researchers: outsiders could bypass passcodes on Zoom calls",
        "Zoom fixes bug that let strangers into passcode-protected meetings",
        "Flaw let uninvited guests join Zoom meetings, researchers say",
    ),
    related=(
        "Related: Five settings that keep strangers out of your video calls",
        "Related: How to lock a meeting once everyone has arrived",
        "Read more: Zoombombing, four years on",
    ),
    footers=(
        "(c) 2024 The Daily Ledger. Distributed by Wire News Service; "
        "may not be reproduced without permission.",
        "Copyright 2024 Wire News Service. All rights reserved. This material may not be "
        "published, broadcast, rewritten or redistributed.",
        "This story was first published by Wire and is republished here under licence.",
    ),
    words=("new", "other", "several", "local", "major", "recent"),
)

NL_REPUBLISHERS = Republishers(
    headlines=(
        "Buitenstaanders konden meekijken bij gesprekken van gemeenten met inwoners",
        "Datalek bij videobellen: gesprekken over schulden waren niet afgeschermd",
        "Gemeenten melden lek in videobelplatform Beeldlijn",
    ),
    related=(
        "Lees ook: Zo beveiligt u uw eigen videogesprekken",
        "Lees ook: Wat moet u doen na een datalek?",
        "Meer over: privacy bij de gemeente",
    ),
    footers=(
        "(c) ANP/Dagblad van het Oosten. Alle rechten voorbehouden.",
        "Dit artikel verscheen eerder bij het ANP. Overname zonder toestemming is niet toegestaan.",
        "Bron: ANP. Heeft u een tip? Mail de redactie.",
    ),
    words=("nieuwe", "andere", "enkele", "lokale", "grote", "recente"),
)

_SENTENCE_END = re.compile(r"(?<=[.!?\"])\s+(?=[\"A-Z])")
_WORD = re.compile(r"\w+")


def _heavily_edited(wire: str, republishers: Republishers, rng: random.Random) -> str:
    """A copy with every kind of edit: new headline, "Related" line and footer, a sentence of the
    body dropped and three of its words changed, each picked at random."""
    body = wire.split("\n", 1)[1]
    body = body.replace(rng.choice(_SENTENCE_END.split(body.strip())), "", 1)
    # Right to left, so that the positions of the words still to change stay valid.
    for word in sorted(rng.sample(list(_WORD.finditer(body)), 3), key=lambda m: -m.start()):
        body = body[: word.start()] + rng.choice(republishers.words) + body[word.end() :]
    return (
        f"{rng.choice(republishers.headlines)}\n\n{rng.choice(republishers.related)}\n{body}\n"
        f"{rng.choice(republishers.footers)}\n"
    )


def _share_a_band_key(a: list[int], b: list[int]) -> bool:
    return bool(set(signature_bands(a)) & set(signature_bands(b)))


@pytest.mark.parametrize("edit", [_footer, _headline_related_and_footer, _three_words, _every_edit])
@pytest.mark.parametrize(("wire", "site"), WIRES)
def test_a_republished_copy_is_a_near_duplicate_and_shares_a_band_key(wire, site, edit):
    original = text_signature(wire)
    copy = text_signature(edit(wire, site))
    assert near_duplicates(original, copy)
    assert signature_similarity(original, copy) >= NEAR_DUPLICATE_SIMILARITY
    assert _share_a_band_key(original, copy)


# Measured: all 400 copies (200 of each story) are near-duplicates and share a band key, as did
# 10,000 more (5,000 of each) from another seed. Their Jaccard similarity to the original is
# 0.68-0.82, their estimated similarity 0.57-0.85.
@pytest.mark.parametrize(
    ("wire", "republishers", "seed"),
    [
        pytest.param(EN_WIRE, EN_REPUBLISHERS, 20240601, id="english"),
        pytest.param(NL_WIRE, NL_REPUBLISHERS, 20240602, id="dutch"),
    ],
)
def test_heavily_edited_copies_are_found_and_judged_near_duplicates(wire, republishers, seed):
    rng = random.Random(seed)
    original = text_signature(wire)
    copies = [text_signature(_heavily_edited(wire, republishers, rng)) for _ in range(200)]
    found = [
        copy
        for copy in copies
        if near_duplicates(original, copy) and _share_a_band_key(original, copy)
    ]
    assert len(found) >= 0.99 * len(copies)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        pytest.param(EN_WIRE, EN_SIMILAR, id="english-same-topic"),
        pytest.param(EN_REPUBLISHED, EN_SIMILAR, id="english-copy-same-topic"),
        pytest.param(NL_WIRE, NL_SIMILAR, id="dutch-same-topic"),
        pytest.param(NL_REPUBLISHED, NL_SIMILAR, id="dutch-copy-same-topic"),
        pytest.param(EN_WIRE, EN_UNRELATED, id="english-unrelated"),
        pytest.param(NL_WIRE, NL_UNRELATED, id="dutch-unrelated"),
        pytest.param(EN_WIRE, NL_WIRE, id="english-dutch"),
    ],
)
def test_a_different_story_is_not_a_near_duplicate_and_shares_no_band_key(one, other):
    assert not near_duplicates(text_signature(one), text_signature(other))
    assert not _share_a_band_key(text_signature(one), text_signature(other))


def test_signature_and_band_keys_are_the_same_in_every_process():
    # Fixed values: a salted hash (Python's hash()) would change them from one run to the next,
    # and stored signatures and keys must stay comparable with new ones.
    assert text_signature(EN_WIRE)[:4] == [12934623, 10142602, 14632715, 5235906]
    assert text_signature(NL_WIRE)[:4] == [3582772, 7925130, 7094327, 23826929]
    assert signature_bands(text_signature(EN_WIRE))[:2] == [-1562921128, -500546805]


@pytest.mark.parametrize(
    ("text", "variant"),
    [
        pytest.param(EN_WIRE, " ".join(EN_WIRE.split()), id="whitespace-folded"),
        pytest.param(EN_WIRE, EN_WIRE.upper(), id="upper-case"),
        pytest.param(NL_WIRE, NL_WIRE.replace("één", "e\u0301e\u0301n"), id="decomposed-accents"),
        # Full-width letters, a curly apostrophe, and the "ffi" and "fi" ligatures.
        pytest.param(
            "Zoom's office fixed it",
            "\uff3a\uff2f\uff2f\uff2d\u2019s o\ufb03ce \ufb01xed it",
            id="compatibility-forms",
        ),
        pytest.param("Die Straße ist sicher", "DIE STRASSE IST SICHER", id="case-folded-eszett"),
        pytest.param(
            "a passcode, a waiting room", "a passcode - a waiting room!", id="punctuation"
        ),
    ],
)
def test_layout_case_and_unicode_form_do_not_change_the_signature(text, variant):
    assert variant != text
    assert text_signature(variant) == text_signature(text)


@pytest.mark.parametrize("text", ["", "   \n\t", "— !? …"], ids=["empty", "blank", "punctuation"])
def test_a_text_without_words_has_no_signature(text):
    assert text_signature(text) is None


def test_a_text_shorter_than_a_shingle_is_signed_by_its_words():
    assert len(text_signature("Zoom")) == SIGNATURE_SIZE
    assert len(text_signature("Zoom breach")) == SIGNATURE_SIZE
    assert text_signature("Zoom breach") == text_signature("breach, Zoom")
    assert text_signature("Zoom breach") != text_signature("Zoom")


ALL_TEXTS = [
    EN_WIRE,
    EN_REPUBLISHED,
    EN_SIMILAR,
    EN_UNRELATED,
    NL_WIRE,
    NL_REPUBLISHED,
    NL_SIMILAR,
    NL_UNRELATED,
    "Zoom",
]


def test_signature_values_fit_a_postgresql_integer():
    for text in ALL_TEXTS:
        signature = text_signature(text)
        assert len(signature) == SIGNATURE_SIZE
        assert all(0 <= value < 2**31 - 1 for value in signature)


def test_band_keys_are_distinct_signed_32_bit_integers():
    keys = []
    for text in ALL_TEXTS:
        bands = signature_bands(text_signature(text))
        assert len(bands) == len(set(bands)) == BANDS
        keys.extend(bands)
    assert all(-(2**31) <= key < 2**31 for key in keys)
    # Signed, not unsigned read as signed: about half are negative.
    assert any(key < 0 for key in keys)
    assert any(key >= 0 for key in keys)


def test_a_signature_is_identical_to_itself():
    signature = text_signature(EN_WIRE)
    assert signature_similarity(signature, list(signature)) == 1.0
    assert near_duplicates(signature, list(signature))


@pytest.mark.parametrize("size", [SIGNATURE_SIZE - 1, SIGNATURE_SIZE + 1])
def test_a_signature_of_another_size_is_refused(size):
    signature = text_signature(EN_WIRE)
    with pytest.raises(ValueError, match="values"):
        signature_similarity(signature, [0] * size)
    with pytest.raises(ValueError, match="values"):
        signature_bands([0] * size)


def test_band_layout_separates_copies_from_different_stories():
    # The lowest similarity of a heavily edited copy and the highest of a different story on the
    # same topic, measured (see the comments in dedupe.py).
    def candidate(similarity: float) -> float:
        return 1 - (1 - similarity**ROWS) ** BANDS

    assert BANDS * ROWS == SIGNATURE_SIZE
    assert candidate(0.68) >= 0.99
    assert candidate(0.035) <= 0.05
    # Keys shared by chance with one of a million articles: BANDS**2 comparisons of 32-bit keys.
    assert 10**6 * BANDS**2 / 2**32 < 1


# Speed is not asserted here (timed tests are not allowed). Measured with
#   python -m timeit -s 'from incidents.ingestion.dedupe import text_signature' \
#       -s 'from tests.ingestion.test_dedupe import EN_WIRE' 'text_signature(EN_WIRE)'
# 0.48 ms for the 304-word English story, 0.42 ms for the 248-word Dutch one, 3.5 ms for the
# 6,072-word long article below (1.5 ms of it splitting words and shingles); computing each hash
# function shingle by shingle in Python took 3 ms for the English story. This test checks that the
# fast lane arithmetic computes exactly the textbook formula.
@pytest.mark.parametrize(
    "text",
    [
        pytest.param(EN_WIRE, id="english"),
        pytest.param(NL_WIRE, id="dutch"),
        pytest.param("Zoom", id="one-word"),
        pytest.param("Zoom breach", id="two-words"),
        pytest.param(" ".join(ALL_TEXTS * 3), id="long-article"),
    ],
)
def test_signature_is_the_least_of_each_universal_hash(text):
    hashes = [
        int.from_bytes(dedupe._shingle_hash(shingle), "little")
        for shingle in dedupe._shingles(dedupe._words(text))
    ]
    expected = []
    for i in range(SIGNATURE_SIZE):
        a = (dedupe._MULTIPLIER + i * dedupe._MULTIPLIER_STEP) % dedupe._PRIME
        b = (dedupe._OFFSET + i * dedupe._OFFSET_STEP) % dedupe._PRIME
        assert a != 0
        expected.append(min((a * h + b) % dedupe._PRIME for h in hashes))
    assert text_signature(text) == expected
