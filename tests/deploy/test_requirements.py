"""docker/requirements.py: the dependency list an image installs before its source."""

import importlib.util
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "docker" / "requirements.py"
spec = importlib.util.spec_from_file_location("docker_requirements", SCRIPT)
requirements_module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(requirements_module)

PYPROJECT = {
    "project": {
        "name": "reviewbot",
        "dependencies": ["pydantic>=2", "redis>=5"],
        "optional-dependencies": {
            "worker": ["torch==2.13.0", "redis>=5"],
            "bots": ["discord.py>=2.4"],
            "all": ["reviewbot[worker,bots]"],
        },
    }
}


def test_an_extra_adds_its_requirements_to_the_base_ones_once():
    assert requirements_module.requirements(PYPROJECT, ["worker"]) == [
        "pydantic>=2",
        "redis>=5",
        "torch==2.13.0",
    ]


def test_all_expands_the_projects_own_extras():
    assert requirements_module.requirements(PYPROJECT, ["all"]) == [
        "pydantic>=2",
        "redis>=5",
        "torch==2.13.0",
        "discord.py>=2.4",
    ]


def test_an_unknown_extra_is_skipped_with_a_note(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "reviewbot"\ndependencies = ["rich>=13"]\n')
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "api", str(pyproject)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout.split() == ["rich>=13"]
    assert "no extra 'api'" in result.stderr
