"""Language detection (lingua), restricted to the languages the tracker reads.

Loading every lingua model costs memory and time; the languages below cover the news feeds the
tracker follows. Add one here when a feed in a new language is added.
"""

from functools import cache

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

LANGUAGES = (
    Language.ENGLISH,
    Language.DUTCH,
    Language.FRENCH,
    Language.GERMAN,
    Language.SPANISH,
    Language.ITALIAN,
    Language.PORTUGUESE,
    Language.POLISH,
    Language.SWEDISH,
    Language.DANISH,
    Language.JAPANESE,
    Language.CHINESE,
)
# Below this confidence the text is too short or too mixed to name a language.
MIN_CONFIDENCE = 0.5
# The language of a news text is plain from its start; detection costs time in proportion to the
# text's length, and a page can run to tens of thousands of characters.
SAMPLE_CHARS = 2000


@cache
def _detector() -> LanguageDetector:
    return LanguageDetectorBuilder.from_languages(*LANGUAGES).build()


def language_detect(text: str) -> str | None:
    """The ISO 639-1 code of the text's language, or None when it cannot be told."""
    (language,) = languages_detect([text])
    return language


def languages_detect(texts: list[str]) -> list[str | None]:
    """``language_detect`` of each text; lingua spreads a batch over the machine's cores."""
    samples = [_sample(text) for text in texts]
    told = [i for i, sample in enumerate(samples) if sample.strip()]
    languages: list[str | None] = [None] * len(texts)
    if not told:
        return languages
    detector = _detector()
    if len(told) == 1:
        values = [detector.compute_language_confidence_values(samples[told[0]])]
    else:
        values = detector.compute_language_confidence_values_in_parallel([samples[i] for i in told])
    for i, confidences in zip(told, values, strict=True):
        if confidences and confidences[0].value >= MIN_CONFIDENCE:
            code: IsoCode639_1 = confidences[0].language.iso_code_639_1
            languages[i] = code.name.lower()
    return languages


def _sample(text: str) -> str:
    """The text's first SAMPLE_CHARS characters, cut at a word boundary."""
    if len(text) <= SAMPLE_CHARS:
        return text
    cut = text.rfind(" ", 0, SAMPLE_CHARS)
    return text[: cut if cut > 0 else SAMPLE_CHARS]
