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


def words_of(text: str) -> list[str]:
    """The words of ``text`` as terms are matched against them (folded, accents dropped)."""
    return _words(text)


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
