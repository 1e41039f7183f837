"""Print the requirements of the project's base install plus the given extras, one per line.

The images install these in a layer of their own, before the source is copied in, so that
editing the code does not reinstall torch: `python3 docker/requirements.py worker,training`.
The CI test builds its wheelhouse from the same list (`all` extras).

An extra the pyproject does not define is skipped with a note on stderr rather than failing
the build, so that images keep building while the dependency groups change.
"""

import re
import sys
import tomllib
from pathlib import Path

SELF_REFERENCE = re.compile(r"^\s*([A-Za-z0-9_.-]+)\s*\[([^\]]*)\]\s*$")


def requirements(pyproject: dict, extras: list[str]) -> list[str]:
    """Base dependencies + those of `extras`, self-references (`reviewbot[worker]`) expanded."""
    project = pyproject["project"]
    name = project["name"].lower()
    optional = project.get("optional-dependencies", {})
    lines: list[str] = list(project.get("dependencies", []))
    seen: set[str] = set()
    todo = [extra.strip() for extra in extras if extra.strip()]
    while todo:
        extra = todo.pop(0)
        if extra in seen:
            continue
        seen.add(extra)
        if extra not in optional:
            print(
                f"requirements.py: no extra {extra!r} in pyproject.toml, skipped", file=sys.stderr
            )
            continue
        for requirement in optional[extra]:
            match = SELF_REFERENCE.match(requirement)
            if match and match.group(1).lower().replace("_", "-") == name:
                todo.extend(match.group(2).split(","))
            else:
                lines.append(requirement)
    return list(dict.fromkeys(lines))  # drop duplicates, keep the order


def main(argv: list[str]) -> int:
    extras = argv[1].split(",") if len(argv) > 1 else []
    pyproject = Path(argv[2]) if len(argv) > 2 else Path(__file__).parent.parent / "pyproject.toml"
    print("\n".join(requirements(tomllib.loads(pyproject.read_text()), extras)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
