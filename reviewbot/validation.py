"""What a review must look like before it enters Redis, and the typed errors when it does not.

The client checks every review before queueing it and the worker checks again (entries can be
added by other tools), so the same rules, and the same messages, hold on both sides.
"""

import re
import unicodedata

#: Whitespace controls a person can type; every other control character means binary input.
ALLOWED_CONTROLS = frozenset("\t\n\r")
#: Unicode categories that draw nothing on their own: separators (spaces), format characters
#: (zero-width space and joiners, word joiner, BOM, bidi marks, soft hyphen, tags), controls,
#: and combining marks and variation selectors, which only decorate a base character.
INVISIBLE_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cf", "Cc", "Mn", "Me"})
#: Letters and symbols that are blank by design, used to slip "empty" text past a strip():
#: the Hangul fillers and the blank Braille pattern.
BLANK_CHARACTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


class SubmitError(Exception):
    """A review the worker will not take; `message` is what the front-end tells the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidReview(SubmitError):
    """The review itself is wrong; sending it again will not help."""


class EmptyReview(InvalidReview):
    def __init__(self) -> None:
        super().__init__("The review is empty: send some text to classify.")


class ReviewTooLong(InvalidReview):
    def __init__(self, length: int, limit: int) -> None:
        super().__init__(f"The review is too long ({length} characters; the limit is {limit}).")
        self.length = length
        self.limit = limit


class BinaryReview(InvalidReview):
    def __init__(self, position: int, char: str) -> None:
        super().__init__(
            f"The review contains a control or binary character ({ascii(char)} at position "
            f"{position}); send plain text."
        )
        self.position = position


class Busy(SubmitError):
    """Too many reviews are waiting; the front-end asks the person to retry in `retry_after_s`."""

    def __init__(self, retry_after_s: int, backlog: int) -> None:
        super().__init__(f"Too many reviews are waiting; please try again in {retry_after_s} s.")
        self.retry_after_s = retry_after_s
        self.backlog = backlog


def check_text(text: object, max_chars: int) -> str:
    """Return `text` if it can be classified, else raise the InvalidReview that says why."""
    if isinstance(text, bytes | bytearray):
        raise BinaryReview(0, chr(text[0]) if text else "\x00")
    if not isinstance(text, str) or not has_visible_character(text):
        raise EmptyReview()
    if len(text) > max_chars:
        raise ReviewTooLong(len(text), max_chars)
    if found := _BINARY.search(text):
        raise BinaryReview(found.start(), found.group())
    return text


def has_visible_character(text: str) -> bool:
    """Whether `text` draws anything: "\u200b\u2060" or a Hangul filler alone is empty to a reader."""
    return any(
        char not in BLANK_CHARACTERS and unicodedata.category(char) not in INVISIBLE_CATEGORIES
        for char in text
    )


def cut_text(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, saying so, for what is kept of a refused review
    (the result key, the reply, the history row): a 5 MB text must not be copied three times."""
    if len(text) <= limit:
        return text
    mark = f" [… cut from {len(text)} characters]"
    return text[: max(0, limit - len(mark))] + mark[:limit]


#: What _is_binary accepts, as one regex: scanning a review char by char in Python cost the
#: worker ~15 core-µs a review (unicodedata.category per char); the regex scans in C.
_BINARY = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffd]")


def _is_binary(char: str) -> bool:
    if char in ALLOWED_CONTROLS:
        return False
    # Cc: C0/C1 controls (NUL, ESC, ...); Cs: lone surrogates; U+FFFD: bytes that failed to decode.
    return unicodedata.category(char) in ("Cc", "Cs") or char == "\ufffd"
