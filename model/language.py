"""Which language a review is in: English, Spanish, or other.

lingua ships its n-gram models inside the wheel, so it works offline. It is asked to choose
among a dozen common languages (not just EN/ES) so that a French or Russian review is reported
as "other" instead of being forced into the nearest of our two.
"""

import re
from functools import cache

from lingua import Language as L
from lingua import LanguageDetector, LanguageDetectorBuilder

from reviewbot.messages import Language

CANDIDATES = (
    L.ENGLISH, L.SPANISH, L.PORTUGUESE, L.FRENCH, L.ITALIAN, L.GERMAN, L.DUTCH,
    L.RUSSIAN, L.ARABIC, L.CHINESE, L.JAPANESE, L.KOREAN, L.TURKISH,
)  # fmt: skip
OURS = {L.ENGLISH: Language.EN, L.SPANISH: Language.ES}
#: Up to this many words, a text whose best guess is another language but that EN or ES still
#: explains reasonably well counts as EN/ES: "ok", "meh" or "10/10" carry no language evidence.
SHORT_TEXT_WORDS = 3
SHORT_TEXT_MIN_CONFIDENCE = 0.2
_WORD = re.compile(r"[^\W\d_]+")


@cache
def detector() -> LanguageDetector:
    return LanguageDetectorBuilder.from_languages(*CANDIDATES).build()


def detect_languages(texts: list[str]) -> list[Language]:
    found = detector().detect_languages_in_parallel_of(texts)
    return [_decide(text, best) for text, best in zip(texts, found, strict=True)]


def _decide(text: str, best: L | None) -> Language:
    if best in OURS:
        return OURS[best]
    words = _WORD.findall(text)
    if not words:
        return Language.OTHER  # emoji, digits or punctuation only
    if len(words) <= SHORT_TEXT_WORDS:
        ours = [
            value
            for value in detector().compute_language_confidence_values(text)
            if value.language in OURS and value.value >= SHORT_TEXT_MIN_CONFIDENCE
        ]
        if ours:
            return OURS[max(ours, key=lambda value: value.value).language]
    return Language.OTHER
