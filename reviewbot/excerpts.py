"""Untrusted text (file contents, column names, database and library errors) made safe to show:
control characters escaped, so no terminal escape code or raw byte reaches a person's terminal,
and long runs cut, so a 200 MB line is not echoed back."""


def printable(text: str, limit: int = 300) -> str:
    """`text` with every non-printable character escaped (ESC as \\x1b, newline as \\n), cut to
    about `limit` characters with an ellipsis."""
    safe = "".join(
        char if char.isprintable() else char.encode("unicode_escape", "backslashreplace").decode()
        for char in text[: limit + 1]
    )
    return safe if len(safe) <= limit else safe[: limit - 1] + "…"


def excerpt(text: str, limit: int = 60) -> str:
    """`text` quoted, escaped and shortened, for quoting a piece of input in a message."""
    return f'"{printable(text, limit)}"'
