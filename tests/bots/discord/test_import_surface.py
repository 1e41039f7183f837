"""The Discord bot runs without torch, transformers or the worker: a bot image needs none of
them. (It keeps its settings in SQL, so SQLAlchemy it does need.)"""

import json
import subprocess
import sys

BOT = [f"bots.discord.{m}" for m in ("bot", "run", "cli", "mood_chart")]
HEAVY = ["torch", "transformers", "worker.service", "worker.stream", "model"]


def test_the_discord_bot_imports_without_torch_transformers_or_the_worker():
    script = (
        "import json, sys\n"
        + "".join(f"import {module}\n" for module in BOT)
        + f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(done.stdout) == []
