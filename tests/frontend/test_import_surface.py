"""The front-end API is importable without the model or the worker server: a bot or API image
without torch can submit reviews and receive verdicts."""

import json
import subprocess
import sys

FRONTEND_API = [
    "frontend.client",
    "frontend.replies",
    "frontend.texts",
    "frontend.settings",
    "reviewbot.connection",
    "reviewbot.protocol",
    "reviewbot.validation",
    "reviewbot.messages",
    "jobs.queueing",
]
HEAVY = ["torch", "transformers", "sqlalchemy", "worker.service", "worker.stream", "model"]


def test_front_end_api_imports_without_torch_transformers_sqlalchemy_or_the_worker():
    script = (
        "import json, sys\n"
        + "".join(f"import {module}\n" for module in FRONTEND_API)
        + f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(done.stdout) == []
