"""Which language a review is in: English, Spanish, or other.

Two steps; the second only for the reviews the first cannot settle:

1. Function words (`quick_language`): a review in Latin script whose words include at least
   QUICK_MIN_HITS function words of English (or of Spanish), at least QUICK_MIN_SHARE of its
   words, and none of Spanish (English) nor of the other languages listed here, is that language.
   A few µs of Python per review. The lists are disjoint, and words two of these languages
   share ("de", "la", "no", "a", "film") count for none of them; any other-language word, any
   non-Latin letter, or too little evidence sends the review to step 2.
2. lingua (n-gram models shipped in the wheel, offline), asked to choose among a dozen common
   languages (not just EN/ES) so that a French or Russian review is "other" instead of being
   forced into the nearer of our two: ~220 core-µs for a review of ~40 tokens.

Measured with bench/language_detection.py (2 busy cores, one thread's CPU time):

| set | EN/ES/other right, lingua alone | function words + lingua | settled by step 1 |
|---|---|---|---|
| vader-movies (10,605 English snippets) | 99.56% en | 99.73% en | 89% |
| evomsa-es (1,000 Spanish tweets) | 87.30% es | 87.40% es | 23% |
| French, Portuguese, ..., emoji (37) | 94.59% other | 94.59% other | 0% |

Every disagreement with lingua is a review step 1 settles: 18 English snippets lingua called
other ("A portrait of an artist."), Spanish tweets it called other or English, and 8
"I'm at <place> in <city>" check-ins in the Spanish set that step 1 calls English. The two
"other" cases both get wrong are short Portuguese/Italian phrases lingua calls Spanish
("Que filme lindo"); step 1 leaves them to lingua. Cost per vader-movies review: 42 core-µs
instead of 406 (lingua alone, the same run).
"""

import re
from collections.abc import Callable, Sequence
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


# -- step 1: function words -------------------------------------------------------------------
def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Function words found in English and in none of the other languages below.
ENGLISH_WORDS = _words(
    "the and of to is this that it its with but for are be by from at you his her has have had "
    "they their there he she which would can if like into out only even most much been were "
    "will how when what who about more than just too very my we our some your does doesn't "
    "isn't it's that's don't can't not an all any these those them then because while being "
    "i i'm i've could should never ever on as or so also up off over after before"
)
#: Function words found in Spanish and in none of the other languages below ("es" is also
#: German and "le" French: German and French texts carry other words of their own too).
SPANISH_WORDS = _words(
    "el los las del y es muy pero película películas fue mejor peor hay sin también más qué yo "
    "pues cuando eso esto bien ella ellos algo mucho muchos tiene hasta donde aunque siempre ya "
    "está están estoy hoy cómo porqué ni nos sí así esa ese estos estas mis tus gracias hace "
    "puede tengo"
)
#: Function words of the other Latin-script languages lingua knows here: one of them in a text
#: keeps French, Portuguese, Italian, German, Dutch and Turkish reviews away from the quick path.
OTHER_WORDS = _words(
    # Portuguese
    "não uma é você muito mas ao dos das do da em um os filme isso isto ele bem mais sem foi "
    "são então pra também obrigado nós aqui ótimo"
    # French
    " les des est et une du pas je qui très avec dans pour ce cette sont c'est il j'ai ils elle "
    "nous vous leur mais ou où sur au aux était été être film"
    # Italian
    " il di che è e della delle degli non per questo questa sono molto gli anche ho bello"
    # German
    " der die das und ist nicht ein eine mit sehr auch ich war wie auf für den dem sich zu"
    # Dutch
    " een het van niet ik zijn wat maar ook heel"
    # Turkish
    " bir ve bu çok da için ama gibi"
)
#: ... but some of them are English words too ("a thoughtful, provocative film"; "war",
#: "die", "per"): they do not count against English (measured: "film" alone sent 13% of
#: the vader-movies snippets to lingua) ...
ALSO_ENGLISH = _words("film war die non per em ho heel den e van da do")
#: ... or Spanish ones, often written without accents in chats ("mas", "dos", "les", "van",
#: "das", "da", "os", "ve"): they do not count against Spanish.
ALSO_SPANISH = _words("mas dos les van das da os ve e")
NOT_ENGLISH = OTHER_WORDS - ALSO_ENGLISH
NOT_SPANISH = OTHER_WORDS - ALSO_SPANISH
QUICK_MIN_HITS = 2
QUICK_MIN_SHARE = 0.2
#: Letters of scripts other than Latin (Greek onwards): lingua decides those texts.
_NON_LATIN = re.compile(r"[\u0370-\u1dff\u2c00-\ud7ff\uf900-\ufaff\ufe70-\ufeff\uff00-\uffef]")
_LOWER_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
#: Links, @mentions and #hashtags say nothing of the language; they are not words here.
_NOT_PROSE = re.compile(r"https?://\S+|[@#]\w+")

assert not (ENGLISH_WORDS & SPANISH_WORDS or (ENGLISH_WORDS | SPANISH_WORDS) & OTHER_WORDS)


def quick_language(text: str) -> Language | None:
    """EN or ES when the function words leave no doubt, else None (ask lingua)."""
    if _NON_LATIN.search(text):
        return None
    # Else _NOT_PROSE finds nothing; skipping its scan took this function from 14.3 to 8.1 µs
    # a text (the built-in datasets), on a worker process's GIL-bound path.
    if "@" in text or "#" in text or "http" in text:
        text = _NOT_PROSE.sub(" ", text)
    words = _LOWER_WORD.findall(text.lower())
    english = spanish = not_english = not_spanish = 0
    for word in words:
        if word in ENGLISH_WORDS:
            english += 1
        elif word in SPANISH_WORDS:
            spanish += 1
        elif word in OTHER_WORDS:
            not_english += word in NOT_ENGLISH
            not_spanish += word in NOT_SPANISH
    if english and not (spanish or not_english):
        hits, language = english, Language.EN
    elif spanish and not (english or not_spanish):
        hits, language = spanish, Language.ES
    else:
        return None
    if hits < QUICK_MIN_HITS or hits < QUICK_MIN_SHARE * len(words):
        return None
    return language


# -- step 2: lingua ---------------------------------------------------------------------------
_preloaded = False


@cache
def detector() -> LanguageDetector:
    builder = LanguageDetectorBuilder.from_languages(*CANDIDATES)
    if _preloaded:
        builder = builder.with_preloaded_language_models()
    return builder.build()


def preload() -> None:
    """Load every candidate's n-gram models now (~300 MB, a few seconds) rather than one by one
    on first sight. A server calls it before serving: with the function words settling the
    warm-up reviews, the first review lingua saw after a start loaded them all inside the hot
    path (measured: a 10 s stall of the first batches on a busy 2-core machine)."""
    global _preloaded
    if not _preloaded:
        _preloaded = True
        detector.cache_clear()
    detector()


def detect_languages(
    texts: Sequence[str],
    with_lingua: Callable[[list[str]], list[Language]] | None = None,
) -> list[Language]:
    """The language of each text, in order; lingua only where the function words do not settle
    it: `with_lingua` (model/language_processes.py runs it in processes of its own), else
    `lingua_languages` in the calling thread, which holds the GIL while lingua works."""
    found = [quick_language(text) for text in texts]
    rest = [i for i, language in enumerate(found) if language is None]
    if rest:
        decided = (with_lingua or lingua_languages)([texts[i] for i in rest])
        for i, language in zip(rest, decided, strict=True):
            found[i] = language
    return found


def lingua_languages(texts: Sequence[str]) -> list[Language]:
    """Step 2 for each text, in the calling thread."""
    lingua = detector()
    return [_decide(text, lingua.detect_language_of(text)) for text in texts]


def detect_with_lingua(texts: Sequence[str]) -> list[Language]:
    """Step 2 alone, for every text (the reference the quick path is measured against)."""
    found = detector().detect_languages_in_parallel_of(list(texts))
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
