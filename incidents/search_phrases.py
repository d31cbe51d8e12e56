"""Phrase search through an index of adjacent word pairs.

The full-text index finds the rows holding every word of a phrase, not the rows holding them
side by side: PostgreSQL checks that in each row's vector, and for two common words that is
thousands of rows read for a handful of matches. Each article stores a key per two adjacent
lexemes of its search vector (``search_pairs``, indexed by ``article_phrase_idx``), hashed into
``PAIR_BUCKETS`` buckets so that the index stays small. A phrase's pairs then narrow the rows to
those holding them all (plus a few whose pairs share a bucket), and the tsquery itself still
decides which of those match. The keys are stored, not only indexed: the index's recheck of a
row would otherwise compute them again, and that costs more than reading the row's vector.

This module derives that narrowing from the readings of a query (``incidents.search``): a
condition every matching row meets, or None when the query has no phrase to narrow by.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import Func, IntegerField, Q
from django.db.models.expressions import Expression

# The SQL functions of migration 0008; the bucket count is written there too.
PAIR_BUCKETS = 2**18
PAIR_KEYS_FUNCTION = "tsvector_pair_keys"
PAIR_KEY_FUNCTION = "tsvector_pair_key"

# tsquery as PostgreSQL prints it: 'lexeme' (quotes doubled inside, maybe :* or :AB after),
# ! & | ( ) and the phrase operators <-> and <N>.
_TOKEN = re.compile(
    r"\s*(?:(?P<lexeme>'(?:[^']|'')*')(?P<flags>:[*A-D]+)?|<(?P<distance>-|\d+)>|(?P<op>[!&|()]))"
)

_UNDOUBLE = re.compile(r"''|\\\\")


@dataclass(frozen=True)
class _Node:
    op: str  # "lexeme", "!", "&", "|", "<>"
    children: tuple[_Node, ...] = ()
    lexeme: str = ""  # a plain lexeme; "" for one with a prefix (:*) or weight flag
    distance: int = 0


def pair_keys(vector: Expression) -> Func:
    """The keys of a tsvector's adjacent lexemes (the article's stored ``search_pairs``)."""
    return Func(vector, function=PAIR_KEYS_FUNCTION, output_field=ArrayField(IntegerField()))


def phrase_narrowing(readings: tuple[str, ...]) -> Q | None:
    """A condition on articles' ``search_pairs`` that every article matching one of
    ``readings`` (tsquery texts, OR-ed) meets; None when some reading needs no pair."""
    alternatives: list[frozenset[tuple[str, str]]] = []
    for reading in readings:
        needed = _needed_pairs(_parse(reading))
        if needed is None:
            return None
        alternatives.extend(needed)
    if not alternatives:
        return None
    keys = _keys(frozenset(pair for pairs in alternatives for pair in pairs))
    condition = Q()
    for pairs in sorted(alternatives, key=sorted):
        condition |= Q(search_pairs__contains=sorted({keys[p] for p in pairs}))
    return condition


# Alternatives: the rows must hold every pair of at least one set. None: no narrowing.
_Pairs = list[frozenset[tuple[str, str]]]
_Need = _Pairs | None
# An AND of two ORs multiplies their alternatives; past this many, one side alone narrows enough.
_MAX_ALTERNATIVES = 8


def _needed_pairs(node: _Node) -> _Need:
    if node.op == "<>":
        chain = _phrase_chain(node)
        if chain is None:
            return None
        pairs = frozenset(
            (left, right) for (at, left), (next_at, right) in pairwise(chain) if next_at == at + 1
        )
        return [pairs] if pairs else None
    if node.op == "&":
        sides = [n for n in (_needed_pairs(c) for c in node.children) if n is not None]
        if not sides:
            return None
        if len(sides) == 1:
            return sides[0]
        left, right = sides
        if len(left) * len(right) > _MAX_ALTERNATIVES:
            return min(sides, key=len)
        return [a | b for a in left for b in right]
    if node.op == "|":
        either: _Pairs = []
        for child in node.children:
            needed = _needed_pairs(child)
            if needed is None:
                return None
            either += needed
        return either
    return None  # a lone lexeme or a negation narrows nothing


def _phrase_chain(node: _Node) -> list[tuple[int, str]] | None:
    """A phrase as (position, lexeme) from its first word, when it is a chain of plain lexemes
    (``'a' <-> 'b' <2> 'c'``, left-deep as PostgreSQL writes it); else None."""
    if node.op == "lexeme":
        return [(0, node.lexeme)] if node.lexeme else None
    if node.op != "<>":
        return None
    left, right = node.children
    chain = _phrase_chain(left)
    if chain is None or right.op != "lexeme" or not right.lexeme:
        return None
    return [*chain, (chain[-1][0] + node.distance, right.lexeme)]


def _parse(text: str) -> _Node:
    """A tsquery's text as PostgreSQL prints it; precedence ! then <-> then & then |."""
    tokens = _tokens(text)
    node, rest = _parse_or(tokens)
    if rest:
        raise ValueError(f"unexpected {rest[0]!r} in tsquery {text!r}")
    return node


def _tokens(text: str) -> list[tuple[str, str, str]]:
    tokens, at = [], 0
    text = text.rstrip()
    while at < len(text):
        match = _TOKEN.match(text, at)
        if match is None:
            raise ValueError(f"cannot read tsquery {text!r} at {at}")
        at = match.end()
        if match["lexeme"]:
            # Quotes and backslashes come doubled; a prefix or weight flag makes it no plain word.
            plain = (
                "" if match["flags"] else _UNDOUBLE.sub(lambda m: m[0][0], match["lexeme"][1:-1])
            )
            tokens.append(("lexeme", plain, ""))
        elif match["distance"]:
            tokens.append(("<>", "", "1" if match["distance"] == "-" else match["distance"]))
        else:
            tokens.append((match["op"], "", ""))
    return tokens


def _parse_or(tokens):
    node, tokens = _parse_and(tokens)
    while tokens and tokens[0][0] == "|":
        right, tokens = _parse_and(tokens[1:])
        node = _Node("|", (node, right))
    return node, tokens


def _parse_and(tokens):
    node, tokens = _parse_phrase(tokens)
    while tokens and tokens[0][0] == "&":
        right, tokens = _parse_phrase(tokens[1:])
        node = _Node("&", (node, right))
    return node, tokens


def _parse_phrase(tokens):
    node, tokens = _parse_not(tokens)
    while tokens and tokens[0][0] == "<>":
        distance = int(tokens[0][2])
        right, tokens = _parse_not(tokens[1:])
        node = _Node("<>", (node, right), distance=distance)
    return node, tokens


def _parse_not(tokens):
    if not tokens:
        raise ValueError("tsquery ends too early")
    kind, lexeme, _ = tokens[0]
    if kind == "!":
        child, rest = _parse_not(tokens[1:])
        return _Node("!", (child,)), rest
    if kind == "(":
        node, rest = _parse_or(tokens[1:])
        if not rest or rest[0][0] != ")":
            raise ValueError("tsquery has an unclosed parenthesis")
        return node, rest[1:]
    if kind == "lexeme":
        return _Node("lexeme", lexeme=lexeme), tokens[1:]
    raise ValueError(f"unexpected {kind!r} in tsquery")


@lru_cache(maxsize=4096)
def _keys(pairs: frozenset[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Each pair's bucket, from the same SQL function the index uses."""
    ordered = sorted(pairs)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT a, b, {PAIR_KEY_FUNCTION}(a, b)"  # noqa: S608 (a constant name)
            " FROM unnest(%s::text[], %s::text[]) AS p(a, b)",
            [[a for a, _ in ordered], [b for _, b in ordered]],
        )
        return {(a, b): key for a, b, key in cursor.fetchall()}
