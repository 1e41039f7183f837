"""What a verdict means to a person: the same sentences everywhere, in English and Spanish."""

import string

import pytest

from frontend import texts
from reviewbot.messages import Language, Prediction, Review, Source, Verdict
from reviewbot.validation import BinaryReview, Busy, EmptyReview, ReviewTooLong


def prediction(**changes) -> Prediction:
    values = dict(
        label="negative",
        p_positive=0.2,
        threshold=0.5,
        language="es",
        n_tokens=9,
        truncated=False,
        model_version="v",
    )
    return Prediction(**(values | changes))


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_sentence_exists_in_both_languages_with_the_same_blanks():
    english, spanish = texts._SENTENCES[Language.EN], texts._SENTENCES[Language.ES]
    assert set(english) == set(spanish) - {"empty", "too_long", "binary", "busy"}
    for key, template in english.items():
        assert placeholders(template) == placeholders(spanish[key]), key


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("es", Language.ES),
        ("es-MX", Language.ES),
        ("ES_ar", Language.ES),
        ("en-GB", Language.EN),
        ("pt-BR", Language.EN),
        (None, Language.EN),
        ("", Language.EN),
    ],
)
def test_interface_language_follows_the_platform_locale(code, expected):
    assert texts.interface_language(code) == expected


def test_a_verdict_reads_as_label_confidence_and_language_with_its_notes():
    verdict = Verdict(
        review=Review(text="x", source=Source.API),
        prediction=prediction(language="other", truncated=True),
    )
    english = texts.verdict_lines(verdict, Language.EN)
    assert english[0] == "👎 Negative (confidence 0.80) · language: other"
    assert "English or Spanish" in english[1] and "9 tokens" in english[2]
    spanish = texts.verdict_lines(verdict, Language.ES)
    assert spanish[0] == "👎 Negativa (confianza 0.80) · idioma: otro"
    assert len(spanish) == 3


def test_a_failed_verdict_says_why():
    verdict = Verdict(review=Review(text="x", source=Source.API), error="boom")
    assert texts.verdict_text(verdict) == "The review could not be classified: boom"


@pytest.mark.parametrize(
    ("error", "spanish"),
    [
        (EmptyReview(), "vacía"),
        (ReviewTooLong(5000, 4000), "4000"),
        (BinaryReview(3, "\x00"), "posición 3"),
        (Busy(12, 900), "12 s"),
    ],
)
def test_refusals_are_the_errors_own_words_in_english_and_translated_in_spanish(error, spanish):
    assert texts.submit_error_text(error, Language.EN) == error.message
    assert spanish in texts.submit_error_text(error, Language.ES)
