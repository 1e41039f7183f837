"""Text a reader sees nothing in is empty (client and worker share check_text); cut_text."""

import pytest

from reviewbot.validation import EmptyReview, check_text, cut_text

#: Characters that draw nothing on their own: zero-width and format characters, the byte-order
#: mark, the blank Braille pattern, the Hangul fillers, a lone combining mark.
INVISIBLE = [
    "\u200b\u200b\u2060",
    "\ufeff",
    "\u2800",
    "\u3164",
    "\u115f\u1160",
    "\uffa0",
    "\u200c\u200d\u200e\u200f",
    "\u00ad",
    "\u034f",
    "\u180e",
    "\ufe0f",
    "\U000e0041",
    " \u3000\u2028\u00a0",
]


@pytest.mark.parametrize("text", INVISIBLE)
def test_text_with_nothing_visible_is_empty(text):
    with pytest.raises(EmptyReview):
        check_text(text, 4000)


@pytest.mark.parametrize("text", ["\u200bok", "🎬", "\u3164\u3131", "a\u0301", "😀\ufe0f", "."])
def test_one_visible_character_is_enough(text):
    assert check_text(text, 4000) == text


def test_a_cut_text_fits_the_limit_and_says_it_was_cut():
    text = "x" * 5_000_000
    cut = cut_text(text, 4000)
    assert len(cut) <= 4000
    assert cut.startswith("x" * 3900)
    assert "5000000 characters" in cut
    assert cut_text("short", 4000) == "short"
