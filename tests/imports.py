"""What a fresh interpreter has loaded after importing some modules: the check behind every
"this process runs without torch" test (front-ends, bots, the API)."""

import json
import subprocess
import sys

#: What a front-end process must never load: the model stack and the worker's server modules.
HEAVY = ["torch", "transformers", "worker.service", "worker.stream", "worker.runner", "model"]


def loaded_after_importing(modules: list[str], heavy: list[str], then: str = "") -> list[str]:
    """Which of `heavy` are in sys.modules of a new Python after importing `modules` (and
    running the statement `then`)."""
    script = (
        "import json, sys\n"
        + "".join(f"import {module}\n" for module in modules)
        + (then + "\n" if then else "")
        + f"print(json.dumps([m for m in {heavy!r} if m in sys.modules]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(done.stdout)
