"""GET /: the one-file page (static/index.html: inline CSS and JavaScript, no CDN, no build
step). The server fills in what the page must know: whether it must ask for an API key, and the
batch size to split pasted lines or a CSV file into."""

import json
from functools import cache
from importlib.resources import files

from api.settings import ApiSettings


@cache
def _template() -> str:
    return files("api").joinpath("static/index.html").read_text(encoding="utf-8")


def page_html(settings: ApiSettings) -> str:
    config = {
        "keys_required": settings.keys_required(),
        "batch_max_texts": settings.batch_max_texts,
    }
    # "</" cannot end the script element it sits in once escaped.
    return _template().replace("__CONFIG__", json.dumps(config).replace("</", "<\\/"))
