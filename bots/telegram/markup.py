"""What the bot's messages look like in Telegram: HTML text and inline keyboards.

Every sentence comes from frontend/texts.py; this module only escapes it and adds markup.
Everything a person typed is escaped (`html.escape`), so `<b>`, `_*[` and friends arrive as
typed and cannot break the message (with HTML parse mode only `<`, `>` and `&` are special).
"""

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from frontend import texts
from reviewbot.messages import Label, Language, Verdict

#: Characters of the review quoted back under the verdict: enough to tell which review an
#: answer is about in a busy group, short enough not to repeat a long review.
QUOTE_CHARS = 160
FEEDBACK_PREFIX = "fb"
FORGET_PREFIX = "fg"
#: Callback data of the feedback buttons: "fb:<r|w>:<p|n>:<review id>" (the vote: right or
#: wrong; the label the model gave). Telegram allows 64 bytes; the longest Telegram review id
#: ("telegram:-100<10 digits>:<10 digits>", 34 bytes) leaves room.
_LABEL_CODES = {Label.POSITIVE: "p", Label.NEGATIVE: "n"}
_CODE_LABELS = {code: label for label, code in _LABEL_CODES.items()}
VOTES = {"right": "r", "wrong": "w"}
CHOSEN = " ✓"


def escape(text: str) -> str:
    return html.escape(text, quote=False)


def quote(text: str) -> str:
    snippet = text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "…"
    return f"<blockquote>{escape(snippet)}</blockquote>"


def verdict_html(verdict: Verdict, lang: Language) -> str:
    """The answer to a review: the headline in bold, its notes in italics, the review quoted."""
    lines = texts.verdict_lines(verdict, lang)
    if verdict.ok:
        head, notes = lines[0], lines[1:]
        parts = [f"<b>{escape(head)}</b>", *(f"<i>{escape(note)}</i>" for note in notes)]
    else:
        parts = [escape(line) for line in lines]
    return "\n".join([*parts, quote(verdict.review.text)])


def feedback_keyboard(
    review_id: str, model_label: Label, vote: str | None = None
) -> InlineKeyboardMarkup:
    """👍 (the verdict is right) and 👎 (it is wrong) under an answer; the vote given is ticked."""
    buttons = [
        InlineKeyboardButton(
            texts.EMOJI[shown] + (CHOSEN if vote == name else ""),
            callback_data=f"{FEEDBACK_PREFIX}:{VOTES[name]}:{_LABEL_CODES[model_label]}:{review_id}",
        )
        for name, shown in (("right", Label.POSITIVE), ("wrong", Label.NEGATIVE))
    ]
    return InlineKeyboardMarkup([buttons])


def parse_feedback(data: str) -> tuple[str, str, Label] | None:
    """(review id, vote "right"/"wrong", the model's label) of a feedback button; None if the
    data is not one."""
    parts = data.split(":", 3)
    if len(parts) != 4 or parts[0] != FEEDBACK_PREFIX or not parts[3]:
        return None
    votes = {code: name for name, code in VOTES.items()}
    if parts[1] not in votes or parts[2] not in _CODE_LABELS:
        return None
    return parts[3], votes[parts[1]], _CODE_LABELS[parts[2]]


def feedback_label(vote: str, model_label: Label) -> Label:
    """The label a person says is right: the model's when they vote "right", else the other."""
    if vote == "right":
        return model_label
    return Label.NEGATIVE if model_label == Label.POSITIVE else Label.POSITIVE


def forget_keyboard(user_id: int, lang: Language) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    texts.sentence("forget_yes", lang), callback_data=f"{FORGET_PREFIX}:y:{user_id}"
                ),
                InlineKeyboardButton(
                    texts.sentence("forget_no", lang), callback_data=f"{FORGET_PREFIX}:n:{user_id}"
                ),
            ]
        ]
    )


def parse_forget(data: str) -> tuple[bool, int] | None:
    """(confirmed, user id) of a /forget button's data; None if not one."""
    parts = data.split(":")
    if len(parts) != 3 or parts[0] != FORGET_PREFIX or parts[1] not in ("y", "n"):
        return None
    try:
        return parts[1] == "y", int(parts[2])
    except ValueError:
        return None
