import pytest

from model.language import detect_languages
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
