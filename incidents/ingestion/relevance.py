"""How relevant an article is to video-conferencing security: a score in [0, 1] and its reasons.

The reasons are terms of a multilingual gazetteer (``Term``): platforms, organisations and
incident vocabulary, each standing for a ``key`` that terms in several languages share. Terms and
texts are compared as ``\\w+`` words after NFKC, casefolding and accent stripping, so "Sécurité"
matches "securite"; a term ending in ``*`` also matches words that its last word begins.

Each word counts at most once per kind: the leftmost, then longest, term of that kind that
covers it ("Microsoft Teams" is not also "Teams", "fuite de données" not also "fuite"), while
"Zoom-bombing" is both a platform and an incident.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum

# A prefix term needs this many letters before its "*": "ban*" would match "bank" and "band".
MIN_PREFIX_LENGTH = 4
# Each key contributes weight * (1 + ln count), times TITLE_BOOST when the title names it.
TITLE_BOOST = 1.5
# The score's three parts (they sum to 1): a platform alone, incident context alone, and both.
# With the default terms, a platform named a few times, title included, reaches 0.35-0.39 (an
# earnings story); vocabulary and organisations without a platform stay under 0.1 (a bank breach).
PLATFORM_ALONE = 0.4
CONTEXT_ALONE = 0.1
TOGETHER = 0.5

# Measured with timeit (Python 3.11, one core of a Xeon development VM), best of five. 5,000
# synthetic terms (two in five of several words, one in five a prefix) against 3,000 words of the
# news stories in tests/ingestion/test_relevance.py: 1.2 ms a text, of which 0.58 ms normalising
# and splitting it; against a synthetic text of 3,000 words where 1,848 start a match: 7.2 ms.
# The default terms against the 3,000 words: 1.7 ms; against one 64-word story: 0.12 ms.
# Building the 5,000-term gazetteer: 8 ms. With half the time spent before matching starts, and
# the rest one dict lookup per distinct word (plus one per prefix length), an Aho-Corasick
# automaton over words would save little of it.

_WORD = re.compile(r"\w+")
_LANGUAGE = re.compile(r"[a-z]{2}")
# The Combining Diacritical Marks blocks: accents of Latin, Greek and Cyrillic letters. Marks of
# other scripts (Indic vowel signs, Arabic harakat) carry meaning and stay.
_ACCENT = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


class TermKind(StrEnum):
    """What a term names."""

    PLATFORM = "platform"
    ORGANIZATION = "organization"
    VOCABULARY = "vocabulary"


@dataclass(frozen=True, slots=True)
class Term:
    """A word or phrase of the gazetteer; a trailing ``*`` makes its last word a prefix."""

    text: str
    kind: TermKind
    weight: float
    # ISO 639-1, or "" for a term of every language.
    language: str
    key: str

    def __post_init__(self) -> None:
        # Rows from the database bring the kind as a plain string; ValueError for an unknown one.
        object.__setattr__(self, "kind", TermKind(self.kind))
        if not (self.weight > 0 and math.isfinite(self.weight)):
            raise ValueError(f"term {self.text!r}: the weight must be positive, not {self.weight}")
        if self.language and not _LANGUAGE.fullmatch(self.language):
            raise ValueError(f"term {self.text!r}: {self.language!r} is not an ISO 639-1 code")
        if not self.key:
            raise ValueError(f"term {self.text!r} has no key")
        if "*" in self.text.rstrip("*") or self.text.endswith("**"):
            raise ValueError(f"term {self.text!r}: '*' may only end the term")
        words = _words(self.text)
        if not words:
            raise ValueError(f"term {self.text!r} has no word")
        if self.text.endswith("*") and len(words[-1]) < MIN_PREFIX_LENGTH:
            raise ValueError(f"term {self.text!r}: a prefix needs {MIN_PREFIX_LENGTH} letters")


@dataclass(frozen=True, slots=True)
class _Pattern:
    """A term as matched: its normalised words, the last one a stem when ``prefix``."""

    words: tuple[str, ...]
    prefix: bool
    term: Term
    # The term's position in the gazetteer.
    order: int
    # Of the patterns of one kind that match from one word on, the one of greatest rank counts:
    # the longest, an exact word before a prefix, the longer prefix, the heavier, the first.
    rank: tuple[int, bool, int, float, int]


@dataclass(frozen=True, slots=True)
class Gazetteer:
    """Terms indexed for matching; build it with ``gazetteer_build``."""

    terms: tuple[Term, ...]
    # Patterns by first word, except single-word prefixes, which are found by their stem.
    by_word: dict[str, tuple[_Pattern, ...]] = field(repr=False)
    by_stem: dict[str, tuple[_Pattern, ...]] = field(repr=False)
    stem_lengths: tuple[int, ...] = field(repr=False)


@dataclass(frozen=True, slots=True)
class Match:
    """A key found in an article: the term shown for it, its occurrences, whether in the title."""

    key: str
    term: str
    kind: TermKind
    count: int
    in_title: bool


@dataclass(frozen=True, slots=True)
class Relevance:
    """A score in [0, 1], the keys behind it by decreasing contribution, and a one-line account."""

    score: float
    matched: tuple[Match, ...]
    explanation: str


def gazetteer_build(terms: list[Term] | tuple[Term, ...]) -> Gazetteer:
    """Index ``terms`` for matching; ValueError when two terms of one key differ in kind."""
    kinds: dict[str, TermKind] = {}
    by_word: dict[str, list[_Pattern]] = {}
    by_stem: dict[str, list[_Pattern]] = {}
    for order, term in enumerate(terms):
        if kinds.setdefault(term.key, term.kind) != term.kind:
            raise ValueError(f"key {term.key!r} is both {kinds[term.key]} and {term.kind}")
        words = tuple(_words(term.text))
        prefix = term.text.endswith("*")
        rank = (len(words), not prefix, len(words[-1]), term.weight, -order)
        pattern = _Pattern(words=words, prefix=prefix, term=term, order=order, rank=rank)
        index = by_stem if prefix and len(words) == 1 else by_word
        index.setdefault(words[0], []).append(pattern)
    return Gazetteer(
        terms=tuple(terms),
        by_word={word: tuple(patterns) for word, patterns in by_word.items()},
        by_stem={stem: tuple(patterns) for stem, patterns in by_stem.items()},
        stem_lengths=tuple(sorted({len(stem) for stem in by_stem})),
    )


def relevance_score(
    gazetteer: Gazetteer, *, title: str, text: str, language: str | None
) -> Relevance:
    """Score an article by the gazetteer's terms; ``language`` None applies terms of every language.

    Key k contributes c_k = w_k (1 + ln n_k), times TITLE_BOOST if in the title; w_k is the weight
    of its heaviest matched term, n_k its occurrences. With p = 1 - exp(-sum of c over platforms)
    and x = 1 - exp(-sum over vocabulary and organisations), score = 0.4 p + 0.1 x + 0.5 p x.
    """
    code = _language_code(language)
    in_title = _occurrences(gazetteer, _words(title), code)
    found = in_title + _occurrences(gazetteer, _words(text), code)
    title_keys = {pattern.term.key for pattern in in_title}

    occurrences = Counter(pattern.term.key for pattern in found)
    term_counts = Counter(pattern.order for pattern in found)
    orders_of: dict[str, list[int]] = {}
    for order in sorted(term_counts):
        orders_of.setdefault(gazetteer.terms[order].key, []).append(order)
    # The term shown for a key, and whose weight it takes: the heaviest, then the most frequent.
    terms = gazetteer.terms
    shown = {
        key: terms[max(orders, key=lambda o: (terms[o].weight, term_counts[o], -o))]
        for key, orders in orders_of.items()
    }

    scored = []
    for key, count in occurrences.items():
        term = shown[key]
        boost = TITLE_BOOST if key in title_keys else 1.0
        contribution = term.weight * (1 + math.log(count)) * boost
        match = Match(key=key, term=term.text, kind=term.kind, count=count, in_title=boost > 1)
        scored.append((contribution, match))
    scored.sort(key=lambda item: (-item[0], item[1].key))

    platform = sum(c for c, match in scored if match.kind == TermKind.PLATFORM)
    context = sum(c for c, match in scored if match.kind != TermKind.PLATFORM)
    p, x = 1 - math.exp(-platform), 1 - math.exp(-context)
    score = PLATFORM_ALONE * p + CONTEXT_ALONE * x + TOGETHER * p * x
    matched = tuple(match for _, match in scored)
    return Relevance(score=score, matched=matched, explanation=_explanation(matched, score))


def _occurrences(gazetteer: Gazetteer, words: list[str], language: str | None) -> list[_Pattern]:
    """The pattern of each occurrence in ``words``: leftmost first, then longest, per kind."""
    found: list[_Pattern] = []
    # Where the last occurrence of each kind ends: a word counts once per kind, so "Microsoft
    # Teams" is not also "Teams", while "Zoom-bombing" is both a platform and an incident.
    covered = dict.fromkeys(TermKind, 0)
    # Texts repeat their words; the candidates of each distinct word are looked up once.
    candidates_of: dict[str, list[_Pattern]] = {}
    for i, word in enumerate(words):
        candidates = candidates_of.get(word)
        if candidates is None:
            candidates = candidates_of[word] = _candidates(gazetteer, word, language)
        best: dict[TermKind, _Pattern] = {}
        for pattern in candidates:
            kind = pattern.term.kind
            if covered[kind] > i or not _rest_matches(pattern, words, i):
                continue
            if kind not in best or pattern.rank > best[kind].rank:
                best[kind] = pattern
        for kind, pattern in best.items():
            covered[kind] = i + len(pattern.words)
            found.append(pattern)
    return found


def _candidates(gazetteer: Gazetteer, word: str, language: str | None) -> list[_Pattern]:
    """Patterns of the language whose first word can be ``word``."""
    patterns = list(gazetteer.by_word.get(word, ()))
    for length in gazetteer.stem_lengths:
        if length > len(word):
            break
        patterns += gazetteer.by_stem.get(word[:length], ())
    if language is None:
        return patterns
    return [p for p in patterns if p.term.language in ("", language)]


def _rest_matches(pattern: _Pattern, words: list[str], start: int) -> bool:
    """Whether the pattern's words after its first follow ``words[start]``."""
    size = len(pattern.words)
    if size == 1:
        return True
    end = start + size
    if end > len(words):
        return False
    for expected, word in zip(pattern.words[1:-1], words[start + 1 : end - 1], strict=True):
        if word != expected:
            return False
    if pattern.prefix:
        return words[end - 1].startswith(pattern.words[-1])
    return words[end - 1] == pattern.words[-1]


def _words(text: str) -> list[str]:
    """Words as matched: compatibility forms folded, case ignored, accents dropped."""
    if text.isascii():
        return _WORD.findall(text.lower())
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    return _WORD.findall(unicodedata.normalize("NFC", _ACCENT.sub("", folded)))


def _language_code(language: str | None) -> str | None:
    """The language part of a tag ("pt-BR" is "pt"); None for no language."""
    code = re.split(r"[-_]", (language or "").strip().casefold(), maxsplit=1)[0]
    return code or None


def _explanation(matched: tuple[Match, ...], score: float) -> str:
    """Each key with its occurrences, "(title)" when the title names it, then the score."""
    reasons = ", ".join(
        f"{m.key} \N{MULTIPLICATION SIGN}{m.count}{' (title)' if m.in_title else ''}"
        for m in matched
    )
    return f"{reasons or 'no term matched'} → {score:.2f}"


def _group(kind: TermKind, key: str, weight: float, language: str, *texts: str) -> tuple[Term, ...]:
    """Terms of one key, weight and language."""
    return tuple(
        Term(text=text, kind=kind, weight=weight, language=language, key=f"{kind}:{key}")
        for text in texts
    )


_P, _O, _V = TermKind.PLATFORM, TermKind.ORGANIZATION, TermKind.VOCABULARY

# The default gazetteer, loaded into the database by a data migration. Weights:
# - platforms 1.0; 0.8 for products that are partly something else (FaceTime, RingCentral).
#   "Zoom" is also an English verb, but in news it is mostly the platform. "teams" is a common
#   English (and Dutch and German) word, so "Microsoft Teams" is the term, the bare word only
#   counts in languages that do not use it otherwise (0.5) or in Dutch and German at 0.3, and
#   never in English. "Zoombombing" names Zoom even when written as one word.
# - organisations 0.5 for regulators, law enforcement and researchers who report on platforms;
#   0.3 for those that appear in incidents as victims or by banning a platform.
# - vocabulary 1.0-1.2 for words that name an incident (zero-day, vulnerability, zoombombing),
#   0.5-0.8 for security words that also appear in other news, 0.2-0.4 for generic words
#   (warning, ban, investigation, patch) that only add to other evidence. Words whose accent-free
#   form is another word are left out ("chiffré" is "chiffre", a figure) or made language-specific.
DEFAULT_TERMS: tuple[Term, ...] = (
    *_group(_P, "zoom", 1.0, "", "Zoom", "zoombomb*"),
    *_group(_P, "microsoft-teams", 1.0, "", "Microsoft Teams", "MS Teams"),
    *_group(_P, "microsoft-teams", 0.8, "", "Teams app", "Teams client", "Teams chat"),
    *_group(_P, "microsoft-teams", 0.5, "fr", "Teams"),
    *_group(_P, "microsoft-teams", 0.5, "es", "Teams"),
    *_group(_P, "microsoft-teams", 0.5, "it", "Teams"),
    *_group(_P, "microsoft-teams", 0.5, "pt", "Teams"),
    *_group(_P, "microsoft-teams", 0.3, "de", "Teams"),
    *_group(_P, "microsoft-teams", 0.3, "nl", "Teams"),
    *_group(_P, "google-meet", 1.0, "", "Google Meet", "Hangouts Meet"),
    *_group(_P, "webex", 1.0, "", "Webex"),
    *_group(_P, "skype", 1.0, "", "Skype"),
    *_group(_P, "gotomeeting", 1.0, "", "GoToMeeting", "GoTo Meeting"),
    *_group(_P, "bluejeans", 1.0, "", "BlueJeans"),
    *_group(_P, "jitsi", 1.0, "", "Jitsi"),
    *_group(_P, "bigbluebutton", 1.0, "", "BigBlueButton"),
    *_group(_P, "amazon-chime", 1.0, "", "Amazon Chime"),
    *_group(_P, "slack-huddles", 0.8, "", "Slack huddle*"),
    *_group(_P, "facetime", 0.8, "", "FaceTime"),
    *_group(_P, "ringcentral", 0.8, "", "RingCentral"),
    *_group(_O, "fbi", 0.5, "", "FBI"),
    *_group(_O, "ftc", 0.5, "", "FTC", "Federal Trade Commission"),
    *_group(_O, "cisa", 0.5, "", "CISA", "Cybersecurity and Infrastructure Security Agency"),
    *_group(_O, "ncsc", 0.5, "", "NCSC", "National Cyber Security Centre"),
    *_group(_O, "ncsc", 0.5, "nl", "Nationaal Cyber Security Centrum"),
    *_group(_O, "enisa", 0.5, "", "ENISA"),
    *_group(_O, "bsi", 0.5, "de", "BSI", "Bundesamt für Sicherheit in der Informationstechnik"),
    *_group(_O, "anssi", 0.5, "", "ANSSI"),
    *_group(_O, "cnil", 0.5, "", "CNIL"),
    *_group(_O, "dutch-dpa", 0.5, "", "Autoriteit Persoonsgegevens"),
    *_group(_O, "aepd", 0.5, "", "AEPD"),
    *_group(_O, "uk-ico", 0.5, "", "Information Commissioner*"),
    *_group(_O, "citizen-lab", 0.5, "", "Citizen Lab"),
    *_group(_O, "europol", 0.5, "", "Europol"),
    *_group(_O, "new-york-attorney-general", 0.5, "", "New York Attorney General", "Letitia James"),
    *_group(_O, "attorney-general", 0.3, "", "attorney general"),
    *_group(_O, "prosecutor", 0.3, "en", "prosecutor", "prosecutors"),
    *_group(_O, "prosecutor", 0.3, "fr", "procureur", "parquet"),
    *_group(_O, "prosecutor", 0.3, "nl", "Openbaar Ministerie", "officier van justitie"),
    *_group(_O, "prosecutor", 0.3, "de", "Staatsanwaltschaft"),
    *_group(_O, "spacex", 0.3, "", "SpaceX"),
    *_group(_O, "nasa", 0.3, "", "NASA"),
    *_group(_O, "school-district", 0.3, "en", "school district*"),
    *_group(_V, "zoombombing", 1.2, "", "zoombomb*", "Zoom bomb*"),
    *_group(_V, "zero-day", 1.2, "", "zero-day", "zeroday", "0-day"),
    *_group(_V, "cve", 1.0, "", "CVE"),
    *_group(_V, "vulnerability", 1.0, "", "vulnerabilit*", "vulnerabilid*", "kwetsbaarhe*"),
    *_group(_V, "vulnerability", 1.0, "", "Sicherheitslücke*", "Schwachstelle*"),
    *_group(_V, "vulnerability", 1.0, "", "security flaw*", "security hole*", "beveiligingslek*"),
    *_group(_V, "vulnerability", 1.0, "fr", "faille*", "faille de sécurité"),
    *_group(_V, "vulnerability", 1.0, "es", "fallo de seguridad", "falla de seguridad"),
    *_group(_V, "vulnerability", 1.0, "pt", "falha de segurança", "falhas de segurança"),
    *_group(_V, "vulnerability", 0.6, "en", "flaw", "flaws", "bug bounty"),
    *_group(_V, "exploit", 0.7, "", "exploit", "exploits", "exploited"),
    *_group(_V, "hijack", 0.8, "", "hijack*", "gekaapt", "kaping*", "gekapert"),
    *_group(_V, "intrusion", 0.7, "", "intrusion*", "intruder*", "intrusão", "indringer*"),
    *_group(_V, "intrusion", 0.7, "", "Eindringling*", "uninvited guest*", "ongenode gast*"),
    *_group(_V, "intrusion", 0.7, "fr", "intrus", "intruse*"),
    *_group(_V, "hacking", 0.6, "", "hack", "hacks", "hacked", "hacker*", "hacking", "gehackt"),
    *_group(_V, "hacking", 0.6, "", "Hackerangriff*", "hackead*", "hackerat*"),
    *_group(_V, "hacking", 0.6, "fr", "piratage", "piraté", "piratée", "pirates informatiques"),
    *_group(_V, "breach", 1.0, "", "data breach*", "datalek*", "Datenleck*", "Datenpanne*"),
    *_group(_V, "breach", 1.0, "", "fuite de données", "fuites de données"),
    *_group(_V, "breach", 1.0, "", "brecha de datos", "brecha de seguridad", "fuga de datos"),
    *_group(_V, "breach", 1.0, "", "violazione dei dati", "violazione di dati", "fuga di dati"),
    *_group(_V, "breach", 1.0, "", "violação de dados", "vazamento de dados"),
    *_group(_V, "breach", 0.8, "en", "breach", "breaches", "breached"),
    *_group(_V, "leak", 0.6, "", "leak", "leaks", "leaked", "leaking"),
    *_group(_V, "leak", 0.6, "nl", "lek", "lekken", "gelekt"),
    *_group(_V, "leak", 0.6, "es", "filtración", "filtraciones"),
    *_group(_V, "leak", 0.6, "pt", "vazamento", "vazamentos"),
    *_group(_V, "leak", 0.4, "fr", "fuite", "fuites"),
    *_group(_V, "privacy", 0.5, "", "privacy", "vie privée", "Datenschutz", "privacidad"),
    *_group(_V, "privacy", 0.5, "", "privacidade", "riservatezza"),
    *_group(_V, "encryption", 0.6, "", "encrypt*", "versleutel*", "verschlüssel*", "cryptage"),
    *_group(_V, "encryption", 0.6, "", "chiffrement", "chiffrée", "chiffrées", "crittograf*"),
    *_group(_V, "encryption", 0.6, "", "criptograf*", "cifrado", "cifrada"),
    *_group(_V, "end-to-end-encryption", 0.9, "", "end-to-end", "E2EE", "Ende-zu-Ende"),
    *_group(_V, "end-to-end-encryption", 0.9, "", "de bout en bout", "de extremo a extremo"),
    *_group(_V, "end-to-end-encryption", 0.9, "", "ponta a ponta"),
    *_group(_V, "malware", 0.8, "", "malware", "spyware", "Schadsoftware", "logiciel malveillant"),
    *_group(_V, "malware", 0.8, "", "logiciels malveillants", "trojan*"),
    *_group(_V, "phishing", 0.8, "", "phishing", "hameçonnage"),
    *_group(_V, "ransomware", 0.8, "", "ransomware", "rançongiciel*"),
    *_group(_V, "cyberattack", 0.7, "", "cyberattack*", "cyber attack*", "cyberaanval*"),
    *_group(_V, "cyberattack", 0.7, "", "cyberattaque*", "Cyberangriff*", "ciberataque*"),
    *_group(_V, "cyberattack", 0.7, "", "attacco informatico", "attacchi informatici"),
    *_group(_V, "eavesdropping", 0.7, "", "eavesdrop*", "afluister*", "abhören", "Abhöraktion*"),
    *_group(_V, "credentials", 0.6, "", "credential*", "credenzial*", "credenciais"),
    *_group(_V, "credentials", 0.6, "", "credenciales", "inloggegevens", "identifiants"),
    *_group(_V, "credentials", 0.6, "", "Zugangsdaten", "login details"),
    *_group(_V, "password", 0.5, "", "password*", "passcode*", "wachtwoord*", "Passwort*"),
    *_group(_V, "password", 0.5, "", "Kennwort*", "mot de passe", "mots de passe", "contraseña*"),
    *_group(_V, "password", 0.5, "pt", "senha", "senhas"),
    *_group(_V, "ban", 0.4, "en", "ban", "bans", "banned", "banning"),
    *_group(_V, "ban", 0.4, "nl", "verbod", "verbiedt", "verbieden"),
    *_group(_V, "ban", 0.4, "fr", "interdiction", "interdit", "interdite", "interdisent"),
    *_group(_V, "ban", 0.4, "de", "Verbot", "verbietet", "verboten"),
    *_group(_V, "ban", 0.4, "es", "prohibición", "prohíbe", "prohibido"),
    *_group(_V, "ban", 0.4, "it", "divieto", "vieta", "vietato"),
    *_group(_V, "ban", 0.4, "pt", "proibição", "proíbe", "proibido"),
    *_group(_V, "warning", 0.3, "en", "warning*", "warn", "warns", "warned"),
    *_group(_V, "warning", 0.3, "nl", "waarschuw*"),
    *_group(_V, "warning", 0.3, "fr", "avertissement*", "avertit", "met en garde"),
    *_group(_V, "warning", 0.3, "de", "Warnung*", "warnt", "gewarnt"),
    *_group(_V, "warning", 0.3, "es", "advierte", "advertencia*", "alerta"),
    *_group(_V, "warning", 0.3, "it", "avverte", "avvertimento", "allerta"),
    *_group(_V, "warning", 0.3, "pt", "adverte", "alerta"),
    *_group(_V, "settlement", 0.5, "en", "settlement*", "settle", "settles", "settled"),
    *_group(_V, "settlement", 0.5, "nl", "schikking*"),
    *_group(_V, "settlement", 0.5, "fr", "accord à l'amiable", "transaction pénale"),
    *_group(_V, "settlement", 0.5, "es", "acuerdo extrajudicial"),
    *_group(_V, "settlement", 0.5, "it", "accordo transattivo"),
    *_group(_V, "lawsuit", 0.5, "", "lawsuit*", "class action", "rechtszaak*", "Sammelklage*"),
    *_group(_V, "lawsuit", 0.5, "en", "sued", "sues"),
    *_group(_V, "lawsuit", 0.5, "nl", "aangeklaagd", "aanklacht"),
    *_group(_V, "lawsuit", 0.5, "fr", "plainte", "action collective"),
    *_group(_V, "lawsuit", 0.5, "de", "Klage", "verklagt"),
    *_group(_V, "lawsuit", 0.5, "es", "demanda colectiva"),
    *_group(_V, "lawsuit", 0.5, "pt", "ação coletiva", "processo judicial"),
    *_group(_V, "investigation", 0.3, "", "investigat*", "Ermittlung*", "investigación"),
    *_group(_V, "investigation", 0.3, "", "indagine", "investigação"),
    *_group(_V, "investigation", 0.3, "fr", "enquête*"),
    *_group(_V, "investigation", 0.2, "nl", "onderzoek"),
    *_group(_V, "patch", 0.6, "", "security update*", "beveiligingsupdate*", "Sicherheitsupdate*"),
    *_group(_V, "patch", 0.6, "", "mise à jour de sécurité", "correctif*", "parche de seguridad"),
    *_group(_V, "patch", 0.6, "", "aggiornamento di sicurezza", "atualização de segurança"),
    *_group(_V, "patch", 0.3, "", "patch", "patches", "patched"),
)
