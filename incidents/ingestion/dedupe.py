"""Near-duplicate articles: MinHash signatures of word shingles, and LSH band keys to find them.

A signature holds, for each of ``SIGNATURE_SIZE`` hash functions, the least value the function
takes over the text's three-word shingles; the share of positions where two signatures agree
estimates the Jaccard similarity of the two sets of shingles. A republished wire story keeps most
of its three-word runs; a different story on the same topic shares words but few runs.

Candidates are looked up by band keys (an ``integer[]`` column with a GIN index, queried with
``&&``): two signatures share a key when they agree on all ``ROWS`` values of one of ``BANDS``
bands, which is likely for copies and unlikely for anything else; ``near_duplicates`` decides.
"""

import hashlib
import re
import struct
import unicodedata

SHINGLE_WORDS = 3

# Measured on the texts in tests/ingestion/test_dedupe.py, as the Jaccard similarity of the
# shingle sets. Copies of the wire stories: a footer alone leaves 0.95-0.97, a new headline,
# "Related" line and footer 0.87-0.88, three words changed 0.93-0.94, all of those and a dropped
# sentence 0.74-0.79; 10,000 random copies with every kind of edit measured 0.68-0.82 (median
# 0.73-0.75). Different stories on the same topic measured 0.023-0.034; unrelated texts and the
# other language 0.
#
# Sixty hash functions, as 20 bands of three rows (below), keep the candidate probability at 0.99
# down to similarity 0.6, a margin under the least similar copy measured (0.68). The cost grows
# with the number: a signature of the 304-word English story takes 0.48 ms with 60, 0.76 ms with
# 128. With 60, the estimated similarity of the 10,000 copies was 0.50-0.85 (0.57 or more for 99
# in 100), that of the different stories 0.017.
SIGNATURE_SIZE = 60
# At or above this share of agreeing positions two texts are near-duplicates. A copy at the lowest
# similarity measured (0.68) estimates below it with a probability of 2e-6 (binomial, 60 trials),
# a different story at the highest (0.034) reaches it with one of 6e-20. It also sits near the
# knee of the band S-curve, (1 / BANDS) ** (1 / ROWS) = 0.37, so what the band lookup finds and
# what this threshold accepts mostly agree.
NEAR_DUPLICATE_SIMILARITY = 0.4

# Two signatures share a band key with probability 1 - (1 - s**ROWS)**BANDS at similarity s:
# 0.99947 at 0.68 (the least similar copy measured), 0.992 at 0.6, 0.73 at 0.4; 0.00086 at 0.035
# (the closest different story measured), 0.02 at 0.1, 0.15 at 0.2. Four rows would need 80
# functions (20 bands) for 0.99 at 0.68 and 96 to keep it at 0.65. Two rows match unrelated texts
# too often: two unrelated articles in one language share stock phrases ("the company said"),
# for an expected similarity of 0.002-0.01 (the unrelated test texts share none), and at that
# 32 bands of two rows match with a probability of 1.3e-4 to 3e-3, 20 bands of three with one of
# 1.6e-7 to 2e-5.
ROWS = 3
BANDS = SIGNATURE_SIZE // ROWS
# Keys are 32-bit, and ``&&`` compares every key of one article with every key of another, so
# two unrelated articles share a key by chance with probability BANDS**2 / 2**32 = 9.3e-8: among a
# million stored articles a new one meets about 0.09 such collisions, plus 0.16 to 20 band
# matches from stock phrases at the similarities above: a few rows beside its real copies.

# Hash i of a shingle is (a_i * h + b_i) mod P, h being the shingle's 64-bit BLAKE2b digest: a
# universal family. P = 2**31 - 1, a Mersenne prime, so a product fits a 64-bit lane (below) and
# the signature fits a PostgreSQL ``integer[]``; with 31-bit values two different minima are equal
# by chance with a probability of about 1e-7, which does not move an estimate.
_PRIME = (1 << 31) - 1
# The constants run in arithmetic progressions, a_i = a + i * c and b_i = b + i * d (mod P), so
# hash i + 1 is hash i plus (c * h + d), an addition instead of a multiplication. Any two of the
# functions are still independent draws from the family (i - j is invertible mod P), which is what
# the estimate's variance depends on. Measured on 600 pairs of random sets at similarity 0.5 and
# at 0.7, the estimates' standard deviation and the rates at which bands of three and of four rows
# match were those of independently drawn constants and of s**ROWS, within sampling error.
_MULTIPLIER, _MULTIPLIER_STEP, _OFFSET, _OFFSET_STEP = (
    int.from_bytes(hashlib.blake2b(f"vcwatch.dedupe.{name}".encode()).digest()[:8], "big")
    % (_PRIME - 1)
    + 1
    for name in ("multiplier", "multiplier-step", "offset", "offset-step")
)

_WORD = re.compile(r"\w+")
_ONE_LANE = (1).to_bytes(8, "little")
_BAND = struct.Struct(f"<{ROWS + 1}q")


def text_signature(text: str) -> list[int] | None:
    """The MinHash signature of ``text``: ``SIGNATURE_SIZE`` integers in [0, 2**31 - 1).

    The values are 31-bit, so a signature fits a PostgreSQL ``integer[]``. None for a text without
    words: there is nothing to compare.
    """
    shingles = _shingles(_words(text))
    if not shingles:
        return None
    lanes = _Lanes(len(shingles))
    hashes = lanes.reduce(int.from_bytes(b"".join(map(_shingle_hash, shingles)), "little"))
    values = lanes.reduce(_MULTIPLIER * hashes + _OFFSET * lanes.ones)
    step = lanes.reduce(_MULTIPLIER_STEP * hashes + _OFFSET_STEP * lanes.ones)
    # Measured with timeit on the 304-word English story in the tests: 0.48 ms per text, of which
    # 0.17 ms splits and hashes the shingles and 4.6 us each turn of this loop; computing each
    # function shingle by shingle in Python took 3 ms.
    signature = []
    for _ in range(SIGNATURE_SIZE):
        signature.append(lanes.least(values))
        values = lanes.add(values, step)
    return signature


def signature_similarity(a: list[int], b: list[int]) -> float:
    """The share of positions in which two signatures agree: their texts' Jaccard similarity."""
    if len(a) != SIGNATURE_SIZE or len(b) != SIGNATURE_SIZE:
        raise ValueError(f"a signature has {SIGNATURE_SIZE} values: got {len(a)} and {len(b)}")
    return sum(x == y for x, y in zip(a, b, strict=True)) / SIGNATURE_SIZE


def near_duplicates(a: list[int], b: list[int]) -> bool:
    """Whether two signatures are of near-duplicate texts."""
    return signature_similarity(a, b) >= NEAR_DUPLICATE_SIMILARITY


def signature_bands(signature: list[int]) -> list[int]:
    """Index keys, one per band: signed 32-bit integers, for an ``integer[]`` column.

    A key is a hash of the band's number and values, so signatures that agree on a whole band share
    its key, and equal values in different bands give different keys.
    """
    if len(signature) != SIGNATURE_SIZE:
        raise ValueError(f"a signature has {SIGNATURE_SIZE} values, not {len(signature)}")
    return [
        int.from_bytes(
            hashlib.blake2b(
                _BAND.pack(band, *signature[band * ROWS : (band + 1) * ROWS]), digest_size=4
            ).digest(),
            "little",
            signed=True,
        )
        for band in range(BANDS)
    ]


class _Lanes:
    """Arithmetic mod ``_PRIME`` on one value per shingle, all held in 64-bit lanes of one int.

    Each operation is a few operations on one large integer, which CPython does in C over every
    lane at once, instead of one Python operation per shingle. Values in lanes stay below 2**64 so
    that no carry crosses into the next lane.
    """

    def __init__(self, count: int) -> None:
        self.count = count
        self.ones = int.from_bytes(_ONE_LANE * count, "little")
        self._low = _PRIME * self.ones
        # A lane shifted right by 31 carries the next lane's low bits above its bit 32.
        self._shifted = ((1 << 33) - 1) * self.ones

    def reduce(self, lanes: int) -> int:
        """Each lane mod P, from any value below 2**64."""
        # x = (x >> 31) * 2**31 + (x & P), and 2**31 = 1 (mod P): each fold keeps x mod P.
        lanes = (lanes & self._low) + (lanes >> 31 & self._shifted)  # below 2**34
        lanes = (lanes & self._low) + (lanes >> 31 & self._shifted)  # below P + 9
        return self._canonical(lanes)

    def add(self, lanes: int, other: int) -> int:
        """Each lane's sum mod P, from values below P."""
        return self._canonical(lanes + other)

    def _canonical(self, lanes: int) -> int:
        # From values below 2 * P: adding 1 carries into bit 31 exactly when a value is P or more,
        # and then (value + 1) & P is value - P. The next lane's bits that the shift brings in land
        # above bit 32, where the mask clears them.
        return (lanes + ((lanes + self.ones) >> 31)) & self._low

    def least(self, lanes: int) -> int:
        """The least lane's value."""
        raw = lanes.to_bytes(8 * self.count, "big")
        # A value's top byte is byte 4 of its big-endian lane; the least value is among those with
        # the least top byte (0 for nine texts in ten of 300 words), so only those few are read.
        tops = raw[4::8]
        top = 0 if 0 in tops else min(tops)
        least = _PRIME
        position = tops.find(top)
        while position >= 0:
            start = 8 * position + 4
            least = min(least, int.from_bytes(raw[start : start + 4], "big"))
            position = tops.find(top, position + 1)
        return least


def _words(text: str) -> list[str]:
    """Words compared as a reader would: compatibility forms folded, case ignored."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def _shingles(words: list[str]) -> set[str]:
    """Runs of ``SHINGLE_WORDS`` words; the words themselves when there are fewer."""
    if len(words) < SHINGLE_WORDS:
        return set(words)
    return set(map(" ".join, zip(*(words[i:] for i in range(SHINGLE_WORDS)), strict=False)))


def _shingle_hash(shingle: str) -> bytes:
    """A stable 64-bit hash (Python's ``hash`` of a str changes from one process to the next)."""
    return hashlib.blake2b(shingle.encode(), digest_size=8).digest()
