"""The API process runs without the model: importing the app and serving it must not load
torch, transformers or the worker's server modules (the `api` image has none of them)."""

import json
import subprocess
import sys

API_MODULES = [
    "api.app",
    "api.cli",
    "api.errors",
    "api.keys",
    "api.limits",
    "api.metrics",
    "api.models",
    "api.page",
    "api.reviews",
    "api.server",
    "api.settings",
    "api.workers",
]
HEAVY = ["torch", "transformers", "worker.service", "worker.stream", "worker.runner", "model"]


def test_the_api_imports_and_builds_its_app_without_torch_transformers_or_the_worker():
    script = (
        "import json, sys\n"
        + "".join(f"import {module}\n" for module in API_MODULES)
        + "api.app.create_app()\n"
        + f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(done.stdout) == []
