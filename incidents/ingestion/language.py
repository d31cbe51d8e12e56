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


@cache
def _detector() -> LanguageDetector:
    return LanguageDetectorBuilder.from_languages(*LANGUAGES).build()


def language_detect(text: str) -> str | None:
    """The ISO 639-1 code of the text's language, or None when it cannot be told."""
    if not text.strip():
        return None
    confidences = _detector().compute_language_confidence_values(text)
    if not confidences or confidences[0].value < MIN_CONFIDENCE:
        return None
    code: IsoCode639_1 = confidences[0].language.iso_code_639_1
    return code.name.lower()
