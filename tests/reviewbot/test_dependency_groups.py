"""Each optional dependency group covers what its rooms import, so `pip install reviewbot[bots]`
(no torch) runs the bots, `reviewbot[worker]` the worker, and so on. Installs nothing: it reads
every import statement of each room (top level and inside functions) and checks that the
distribution providing it is in the room's groups."""

import ast
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
ROOMS = [
    "reviewbot",
    "frontend",
    "storage",
    "drift",
    "jobs",
    "bots",
    "api",
    "worker",
    "model",
    "training",
]
#: The groups a room's code may rely on, besides the base dependencies.
ROOM_GROUPS = {
    "reviewbot": [],
    "frontend": [],
    "storage": [],
    "drift": [],
    "bots": ["bots"],
    "api": ["api"],
    "worker": ["worker"],
    "model": ["worker"],
    # Jobs load the model (rescore) and train (train) inside the job functions: a job worker
    # that runs those needs the heavy groups; forget, prune and drift need only the base.
    "jobs": ["training"],
    "training": ["training"],
}
#: Imported only to offer something when present (e.g. CUDA-only kernels), never required.
OPTIONAL_IMPORTS = {"nvidia"}


def declared() -> tuple[set[str], dict[str, set[str]]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    groups = project["optional-dependencies"]

    def expand(requirements: list[str]) -> set[str]:
        names = set()
        for line in requirements:
            requirement = Requirement(line)
            if canonicalize_name(requirement.name) == "reviewbot":
                for extra in requirement.extras:
                    names |= expand(groups[extra])
            else:
                names.add(canonicalize_name(requirement.name))
        return names

    return expand(project["dependencies"]), {name: expand(reqs) for name, reqs in groups.items()}


def imported_modules(room: str) -> set[str]:
    modules = set()
    for path in (ROOT / room).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return modules


@pytest.mark.parametrize("room", [r for r in ROOMS if (ROOT / r).is_dir()])
def test_every_import_of_a_room_is_provided_by_its_dependency_groups(room):
    base, groups = declared()
    allowed = base | set().union(*(groups[g] for g in ROOM_GROUPS[room]))
    providers = packages_distributions()
    missing = {}
    for module in imported_modules(room) - set(ROOMS) - OPTIONAL_IMPORTS:
        if module in sys.stdlib_module_names or module == "__future__":
            continue
        dists = {canonicalize_name(d) for d in providers.get(module, [])}
        assert dists, f"{room} imports {module}, which no installed distribution provides"
        if not dists & allowed:
            missing[module] = sorted(dists)
    assert not missing, f"{room} imports modules outside its groups {ROOM_GROUPS[room]}: {missing}"


def test_the_all_group_is_every_runtime_group():
    _, groups = declared()
    runtime = set(groups) - {"all", "test"}
    assert groups["all"] == set().union(*(groups[g] for g in runtime))
