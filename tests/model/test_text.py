from model import load
from model.text import clean


def test_cleaning_unescapes_html_drops_tags_and_collapses_whitespace() -> None:
    assert (
        clean("Great&nbsp;<b>film</b>,\n\t really &amp; truly<br/>")
        == "Great film , really & truly"
    )
    assert clean(None) == ""


def test_served_text_is_cleaned_as_in_training(tiny_checkpoint) -> None:
    """The worker gets raw chat text; the model must see what it was trained and measured on."""
    classifier = load(tiny_checkpoint)
    raw = classifier.encode(["Great&nbsp;<b>film</b>,\n\t really &amp; truly<br/>"])
    cleaned = classifier.encode(["Great film , really & truly"])
    assert raw.ids == cleaned.ids
    assert raw.n_tokens == cleaned.n_tokens
