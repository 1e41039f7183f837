import pytest

from model.language import (
    ENGLISH_WORDS,
    OTHER_WORDS,
    SPANISH_WORDS,
    detect_languages,
    quick_language,
)
from reviewbot.messages import Language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("An instant classic, funny, smart and beautifully shot.", Language.EN),
        ("The plot is thin but the performances are charming", Language.EN),
        ("Una película maravillosa, la recomiendo a todos mis amigos.", Language.ES),
        ("Aburrida, lenta y sin ninguna gracia", Language.ES),
        ("Un film magnifique, les acteurs sont formidables.", Language.OTHER),
        ("Ein großartiger Film mit einer bewegenden Geschichte.", Language.OTHER),
        ("Отличный фильм, всем советую", Language.OTHER),
        ("😀😀🎬🍿", Language.OTHER),
        ("10/10 !!!", Language.OTHER),
    ],
)
def test_detects_english_spanish_and_other(text, language):
    assert detect_languages([text]) == [language]


def test_keeps_input_order():
    texts = ["Great movie, loved every minute.", "Me encantó la película, muy buena."] * 3
    assert detect_languages(texts) == [Language.EN, Language.ES] * 3


@pytest.mark.parametrize(
    "text",
    [
        "Um filme maravilhoso, recomendo a todos.",
        "Não gostei do filme, muito longo e chato.",
        "A história é boa mas o final é fraco.",
        "Que filme incrível, os atores estão ótimos!",
        "C'est un film ennuyeux, je ne le recommande pas.",
        "Le scénario est faible mais la musique est superbe.",
        "Noioso e troppo lungo, non lo consiglio.",
        "Der Film war langweilig und viel zu lang.",
        "Een geweldige film, het verhaal is prachtig.",
        "Bu film çok güzel, herkese tavsiye ederim.",
    ],
)
def test_portuguese_french_and_other_latin_languages_stay_other(text):
    assert quick_language(text) is None  # never settled by function words alone
    assert detect_languages([text]) == [Language.OTHER]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("The film provides some great insight into the mindset of all comics.", Language.EN),
        ("This is a film well worth seeing, and the war scenes are stunning.", Language.EN),
        ("No se cuando empezó, pero todos los sábados tengo mas ganas de irme", Language.ES),
        ("me pusiste la vida del revés y es la mejor película del año", Language.ES),
    ],
)
def test_plain_english_and_spanish_prose_is_settled_without_lingua(text, language):
    assert quick_language(text) == language
    assert detect_languages([text]) == [language]


@pytest.mark.parametrize(
    "text",
    [
        "Good fun.",  # too little evidence
        "The Y Tu Mamá También of this year is the best",  # words of both languages
        "Отличный фильм, the best of the year",  # another script
        "😀😀🎬🍿",
    ],
)
def test_unclear_texts_are_left_to_lingua(text):
    assert quick_language(text) is None


def test_word_lists_do_not_overlap():
    assert not ENGLISH_WORDS & SPANISH_WORDS
    assert not (ENGLISH_WORDS | SPANISH_WORDS) & OTHER_WORDS


def test_preloading_keeps_the_answers():
    from model.language import preload

    texts = ["Un film magnifique, les acteurs sont formidables.", "Отличный фильм", "ok"]
    before = detect_languages(texts)
    preload()
    assert detect_languages(texts) == before


@pytest.mark.parametrize(
    ("text", "language"),
    [
        # The link's and the mention's words are Spanish, the prose English.
        (
            "see https://es.example.org/el_de_la_pelicula @el_y_los: the film was great, it is",
            Language.EN,
        ),
        # The hashtag's and the mention's words are English, the prose Spanish.
        ("una película muy buena y bonita #TheAndIt @the_and_it", Language.ES),
        # No link, mention or hashtag: every word counts.
        ("the film was great and the acting", Language.EN),
    ],
)
def test_links_mentions_and_hashtags_are_not_words(text, language):
    assert quick_language(text) == language
