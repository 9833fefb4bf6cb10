"""The image: built from pinned dependencies (requirements.lock pins every runtime dependency, transitively),
running as a user other than root, and sent only what it needs (.dockerignore)."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _lock() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, version = line.partition("==")
        assert sep and version, f"not pinned: {line}"
        pins[_normal(name)] = version
    return pins


def test_the_lock_pins_every_dependency_of_the_project():
    pins = _lock()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for raw in project["dependencies"]:
        requirement = Requirement(raw)
        assert _normal(requirement.name) in pins, f"{requirement.name} is not in requirements.lock"
        assert requirement.specifier.contains(pins[_normal(requirement.name)]), raw
        for extra in requirement.extras:  # uvicorn[standard]: the extra's packages are pinned too
            for dep in metadata.requires(requirement.name) or []:
                inner = Requirement(dep)
                if (
                    inner.marker
                    and inner.marker.evaluate({"extra": extra})
                    and not inner.marker.evaluate({"extra": ""})
                ):
                    assert _normal(inner.name) in pins, f"{inner.name} ({requirement.name}[{extra}])"


def test_the_lock_is_closed_under_the_dependencies_of_what_it_pins():
    # The image installs with --no-deps: a package the lock forgets would be missing at run time.
    pins = _lock()
    for name in pins:
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for dep in requires:
            inner = Requirement(dep)
            if inner.marker is None or inner.marker.evaluate({"extra": ""}):
                assert _normal(inner.name) in pins, f"{name} needs {inner.name}, which the lock does not pin"


def test_the_image_installs_from_the_lock_and_runs_as_a_user():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install --no-deps -r requirements.lock" in dockerfile
    assert "pip install --no-deps ." in dockerfile
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.M)
    assert users and users[-1].split(":")[0] not in ("0", "root")


def test_the_build_context_leaves_out_local_state_and_tools():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    for entry in (".git", ".venv", "data", "**/node_modules", "**/__pycache__", "tests", "bench", "*.db"):
        assert entry in ignored, entry
    for needed in ("gateway", "subgraphs", "schema", "pyproject.toml", "requirements.lock", "README.md"):
        assert needed not in ignored, needed
