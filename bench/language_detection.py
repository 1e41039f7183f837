"""Accuracy and cost of language detection: function words + lingua vs lingua alone.

Reads vader-movies (10,605 English Rotten Tomatoes snippets), evomsa-es (1,000 Spanish tweets)
and the other-language / emoji cases below (French, Portuguese, Italian, German, Dutch,
Turkish, Russian, Arabic, Chinese, Japanese, emoji, digits), and prints per set: the share each
detector labels as the set's language, how many reviews the quick path settles, how often the
two detectors disagree (with examples), and the CPU time per review of each (one thread).

    python bench/language_detection.py
"""

import collections
import time

from model.language import detect_languages, detect_with_lingua, quick_language
from model.text import clean
from reviewbot.messages import Language

OTHER_CASES = [
    "Un film magnifique, les acteurs sont formidables.",
    "C'est un film ennuyeux, je ne le recommande pas.",
    "Le scénario est faible mais la musique est superbe.",
    "J'ai adoré ce film, une vraie réussite.",
    "Une histoire touchante et des images sublimes",
    "Um filme maravilhoso, recomendo a todos.",
    "Não gostei do filme, muito longo e chato.",
    "A história é boa mas o final é fraco.",
    "Que filme incrível, os atores estão ótimos!",
    "Adorei a trilha sonora e a fotografia.",
    "O filme é uma obra-prima do cinema brasileiro.",
    "Que filme lindo",
    "Gostei muito do final",
    "Adoro este filme",
    "Bom filme, recomendo",
    "Filme ruim demais",
    "Quel film !",
    "Je l'ai adoré",
    "Una storia vera e commovente",
    "La musica è bella",
    "Un film bellissimo, la storia è commovente.",
    "Noioso e troppo lungo, non lo consiglio.",
    "Ein großartiger Film mit einer bewegenden Geschichte.",
    "Der Film war langweilig und viel zu lang.",
    "Een geweldige film, het verhaal is prachtig.",
    "Bu film çok güzel, herkese tavsiye ederim.",
    "Отличный фильм, всем советую",
    "Скучный фильм, не понравился",
    "فيلم رائع جدا",
    "这部电影非常好看",
    "この映画はとても面白かった",
    "정말 재미있는 영화였어요",
    "😀😀🎬🍿",
    "👍👍👍",
    "🔥🔥🔥 !!!",
    "10/10 !!!",
    "...",
]


def sets() -> dict[str, tuple[list[str], Language]]:
    from training.builtin import read_builtin
    from training.settings import TrainingSettings

    cache = TrainingSettings().cache_dir()
    return {
        "vader-movies": (
            [clean(r["text"]) for r in read_builtin("vader-movies", cache)],
            Language.EN,
        ),
        "evomsa-es": ([clean(r["text"]) for r in read_builtin("evomsa-es", cache)], Language.ES),
        "other / emoji": ([clean(t) for t in OTHER_CASES], Language.OTHER),
    }


def cpu_us(fn, texts: list[str]) -> tuple[list[Language], float]:
    started = time.process_time()
    result = fn(texts)
    return result, 1e6 * (time.process_time() - started) / len(texts)


def main() -> None:
    detect_with_lingua(["warm up the models", "calentar los modelos"])
    detect_languages(["warm up", "calentar"])
    for name, (texts, expected) in sets().items():
        # One text per call for the lingua reference too, so both are one thread's CPU time.
        before, before_us = cpu_us(lambda ts: [detect_with_lingua([t])[0] for t in ts], texts)
        after, after_us = cpu_us(detect_languages, texts)
        quick = sum(quick_language(t) is not None for t in texts)
        differ = [(t, b, a) for t, b, a in zip(texts, before, after, strict=True) if a != b]
        print(f"\n{name}: {len(texts)} texts, expected {expected.value}")
        for label, found, us in (
            ("lingua alone", before, before_us),
            ("quick + lingua", after, after_us),
        ):
            counts = collections.Counter(found)
            share = counts[expected] / len(texts)
            spread = ", ".join(f"{k.value} {v}" for k, v in sorted(counts.items()))
            print(
                f"  {label:<15} {share:7.2%} {expected.value}   ({spread})   {us:7.1f} core-us/text"
            )
        print(
            f"  quick path settles {quick} ({quick / len(texts):.0%}); disagreements: {len(differ)}"
        )
        for text, b, a in differ[:5]:
            print(f"    lingua {b.value:<5} quick+lingua {a.value:<5} {text[:90]!r}")


if __name__ == "__main__":
    main()
