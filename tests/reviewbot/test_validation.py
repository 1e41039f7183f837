"""The one-regex scan for binary characters refuses exactly what the per-character rule does."""

import sys

import pytest

from reviewbot.validation import _BINARY, BinaryReview, _is_binary, check_text


def test_the_regex_and_the_character_rule_agree_on_every_code_point():
    disagree = [
        code
        for code in range(sys.maxunicode + 1)
        if _is_binary(chr(code)) != bool(_BINARY.fullmatch(chr(code)))
    ]
    assert disagree == []


def test_the_first_binary_character_and_its_position_are_reported():
    with pytest.raises(BinaryReview) as refused:
        check_text("fine\ttext\x1b[31m and \x00", 100)
    assert "position 9" in refused.value.message
    assert check_text("línea uno\nlínea dos\r\n😀", 100)
