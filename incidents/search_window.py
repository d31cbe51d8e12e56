"""Which matches of a full-text search get ranked: the newest, found without reading them all.

Ranking reads each candidate's search vector, and so does checking a row against the query
outside the full-text index. PostgreSQL's planner costs neither (it does not count detoasting),
so left to itself it walks the id index checking row after row: for words in 1% of a million
articles, 200,000 vector reads to find the newest 2,000 matches. The plan here follows the
planner's estimate of how many rows match:

- a common query (``COMMON`` of the rows or more): walk the newest rows, a match every few rows;
- any other: ask the full-text index for the matches in a range of the newest ids, so that
  only matching rows are read, then in older ranges until ``limit`` matches are found or
  every row is covered; few matches are read in one range.

A range is asked of the index itself where the table has ``id_blocks`` (``id_blocks()``, a
generated column the full-text index holds beside the search vector): the aligned blocks of
ids, of several sizes, that a row falls in. A range is a few blocks, and the index skips
through a word's entries to those of the blocks (GIN advances every key of a scan past the
rarest), where a range of the id index ANDed with the word's bitmap reads every entry of the
word: 117,000 for "phishing" in a million articles, tens of milliseconds before a row is read.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.contrib.postgres.fields import ArrayField
from django.db import connection, transaction
from django.db.models import BigIntegerField, F, Func, Max, Min, Q, QuerySet
from django.db.models.expressions import RawSQL

COMMON = 0.2
# Matches this many times the limit or fewer are read in one range.
FEW = 4
# The sizes of id blocks, as powers of two: 4,096 ids to 16 million, each 16 times the last.
# Changing them changes the stored column: a migration.
BLOCK_SHIFTS = (12, 16, 20, 24)
BLOCK_FIELD = "id_blocks"


def id_blocks() -> Func:
    """A row's id blocks, one key per size: the block's number times the count of sizes, plus
    the size's index (so that blocks of different sizes never share a key)."""
    keys = [
        F("id").bitrightshift(shift) * len(BLOCK_SHIFTS) + level
        for level, shift in enumerate(BLOCK_SHIFTS)
    ]
    return Func(
        *keys, template="ARRAY[%(expressions)s]", output_field=ArrayField(BigIntegerField())
    )


def blocks_covering(start: int, stop: int) -> list[int]:
    """The keys of blocks holding exactly the ids ``start`` to ``stop - 1`` (both
    multiples of the smallest block): at each step the largest block that starts there and fits."""
    smallest = 1 << BLOCK_SHIFTS[0]
    if start % smallest or stop % smallest:
        raise ValueError(f"ids {start}..{stop} are not aligned to blocks of {smallest}")
    keys = []
    while start < stop:
        level = max(
            level
            for level, shift in enumerate(BLOCK_SHIFTS)
            if start % (1 << shift) == 0 and start + (1 << shift) <= stop
        )
        keys.append(_block_key(start, level))
        start += 1 << BLOCK_SHIFTS[level]
    return keys


def newest_matches(queryset: QuerySet, condition: Q, *, limit: int) -> list[int]:
    """The ids of the newest ``limit`` rows of ``queryset`` that meet a full-text ``condition``."""
    window = _window(queryset, condition, limit=limit)
    return window if isinstance(window, list) else list(window)


def newest_window(
    queryset: QuerySet,
    condition: Q,
    *,
    limit: int,
    estimate: Q | None = None,
    scan: Q | None = None,
) -> Q:
    """Rows among the newest ``limit`` of ``queryset`` that meet ``condition``, as a condition:
    when the newest rows are walked, a subquery of the caller's statement (a thousand ids need
    not come to Python and go back); else the ids found.

    The plan follows the planner's estimate of the rows meeting ``estimate`` (a simpler
    condition than an exact one it cannot estimate; ``condition`` by default); ``scan``, the
    same rows as ``condition`` as the full-text index should be asked for them, serves the
    scans of the index.
    """
    window = _window(queryset, condition, limit=limit, estimate=estimate, scan=scan)
    return among(window) if isinstance(window, list) else Q(pk__in=window)


def _window(
    queryset: QuerySet,
    condition: Q,
    *,
    limit: int,
    estimate: Q | None = None,
    scan: Q | None = None,
) -> QuerySet | list[int]:
    """The newest matches: the query that walks to them (a common query), or their ids."""
    rows = queryset.order_by().values("pk")  # what the filters keep, not what a page shows
    matching = rows.filter(condition if estimate is None else estimate)
    bounds = rows.aggregate(low=Min("pk"), high=Max("pk"))
    if bounds["high"] is None:
        return []
    low, high = bounds["low"], bounds["high"]
    expected = _estimated_rows(matching)
    share = min(1.0, expected / (high - low + 1))
    if share >= COMMON:
        return rows.filter(condition).order_by("-pk").values_list("pk", flat=True)[:limit]
    scanned = rows.filter(condition if scan is None else scan)
    newest_first = scanned.order_by("-pk").values_list("pk", flat=True)
    # Each range is a scan of the full-text index: as few as can be. All rows at once when the
    # matches are few; else the newest ids that should hold twice `limit` matches, then, while
    # short, an older range sized by the density of matches just seen (or all the rest).
    rest = high - low + 1
    span = rest if expected <= FEW * limit else math.ceil(2 * limit / share)
    blocked = _has_blocks(queryset)
    found: list[int] = []
    ceiling = high
    with _bitmap_scans_only():
        while len(found) < limit and rest > 0:
            floor = max(ceiling - span, low - 1)
            if blocked:  # a range starts where a block does
                floor = max(_block_start(floor + 1) - 1, low - 1)
            in_range = newest_first.filter(pk__gt=floor, pk__lte=ceiling)
            # Blocks cost the index their entries, a row each: worth it for fewer ids than the
            # query has entries, never for every row.
            if blocked and ceiling - floor < expected and (floor, ceiling) != (low - 1, high):
                in_range = in_range.filter(_in_blocks(floor, ceiling))
            more = list(in_range[: limit - len(found)])
            found += more
            density = len(more) / (ceiling - floor)
            ceiling, rest = floor, floor - low + 1
            missing = limit - len(found)
            few = density * rest <= FEW * limit
            span = rest if few else math.ceil(2 * missing / density)
    return found


def _has_blocks(queryset: QuerySet) -> bool:
    return any(field.name == BLOCK_FIELD for field in queryset.model._meta.concrete_fields)


def _in_blocks(floor: int, ceiling: int) -> Q:
    """Rows in the blocks that hold the ids after ``floor`` up to ``ceiling``."""
    start, stop = _block_start(floor + 1), _block_start(ceiling + (1 << BLOCK_SHIFTS[0]))
    return Q(**{f"{BLOCK_FIELD}__overlap": blocks_covering(start, stop)})


def _block_key(start: int, level: int) -> int:
    """The key of the block of size ``level`` that starts at id ``start`` (as ``id_blocks``)."""
    return (start >> BLOCK_SHIFTS[level]) * len(BLOCK_SHIFTS) + level


def _block_start(id_: int) -> int:
    """The first id of the smallest block holding ``id_``."""
    return id_ >> BLOCK_SHIFTS[0] << BLOCK_SHIFTS[0]


def among(ids: Iterable[int]) -> Q:
    """Rows whose pk is one of ``ids``, sent as one array where ``pk__in`` sends a parameter
    per id (a thousand ids cost Django and PostgreSQL a third of the query)."""
    return Q(pk__in=RawSQL("SELECT unnest(%s::bigint[])", (list(ids),)))


def _estimated_rows(queryset: QuerySet) -> float:
    plan = json.loads(queryset.explain(format="json"))
    return float(plan[0]["Plan"]["Plan Rows"])


@contextmanager
def _bitmap_scans_only() -> Iterator[None]:
    """Within the block, the planner may read tables through bitmap scans only."""
    settings = ("enable_indexscan", "enable_seqscan")
    with transaction.atomic(), connection.cursor() as cursor:
        # Read before set: a select list is evaluated left to right.
        cursor.execute(
            "SELECT "
            + ", ".join(f"current_setting('{s}')" for s in settings)
            + ", "
            + ", ".join(f"set_config('{s}', 'off', true)" for s in settings)
        )
        before = cursor.fetchone()[: len(settings)]
        try:
            yield
        finally:
            cursor.execute(
                "SELECT " + ", ".join(f"set_config('{s}', %s, true)" for s in settings), before
            )
