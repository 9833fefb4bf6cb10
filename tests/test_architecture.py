"""The import rules of the design (composition, planning and execution apart; no subgraph in the gateway core;
no subgraph in another), checked on every module's imports as parsed, including imports inside functions."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("gateway", "subgraphs")


@dataclass(frozen=True)
class Import:
    """One import in one module: the importing module, the module it imports, and where."""

    module: str
    imported: str
    path: Path
    line: int

    def __str__(self) -> str:
        return f"{self.module} imports {self.imported} ({self.path.relative_to(ROOT)}:{self.line})"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(name: str) -> bool:
    base = ROOT.joinpath(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def imports_of(path: Path) -> Iterator[Import]:
    """Every module ``path`` imports, relative imports resolved; ``from P import m`` names ``P.m`` when m is a
    module, else ``P``."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, alias.name, path, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                candidate = f"{source}.{alias.name}"
                yield Import(module, candidate if _is_module(candidate) else source, path, node.lineno)


def all_imports() -> list[Import]:
    found: list[Import] = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found.extend(imports_of(path))
    return found


IMPORTS = all_imports()


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def offending(rule: Callable[[Import], bool]) -> list[str]:
    return list(dict.fromkeys(str(i) for i in IMPORTS if rule(i)))


def test_imports_are_found() -> None:
    # A guard against a rule passing because nothing was parsed.
    assert any(
        within(i.module, "gateway.execution") and within(i.imported, "gateway.planning") for i in IMPORTS
    )
    assert any(within(i.module, "gateway.commands") for i in IMPORTS)
    assert any(
        within(i.module, "subgraphs.orders") and within(i.imported, "subgraphs.common") for i in IMPORTS
    )


def test_planning_imports_neither_execution_nor_server_nor_commands() -> None:
    bad = offending(
        lambda i: (
            within(i.module, "gateway.planning")
            and any(
                within(i.imported, p) for p in ("gateway.execution", "gateway.server", "gateway.commands")
            )
        )
    )
    assert not bad, "\n".join(bad)


def test_execution_imports_only_the_plan_from_planning() -> None:
    bad = offending(
        lambda i: (
            within(i.module, "gateway.execution")
            and within(i.imported, "gateway.planning")
            and i.imported != "gateway.planning.plan"
        )
    )
    assert not bad, "\n".join(bad)


def test_composition_imports_none_of_planning_execution_server() -> None:
    bad = offending(
        lambda i: (
            within(i.module, "gateway.composition")
            and any(
                within(i.imported, p) for p in ("gateway.planning", "gateway.execution", "gateway.server")
            )
        )
    )
    assert not bad, "\n".join(bad)


def test_only_the_command_line_imports_subgraphs() -> None:
    bad = offending(
        lambda i: (
            within(i.module, "gateway")
            and within(i.imported, "subgraphs")
            and not within(i.module, "gateway.commands")
            and i.module != "gateway.cli"
        )
    )
    assert not bad, "\n".join(bad)


def _domain(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "subgraphs" and parts[1] != "common" else None


def test_no_subgraph_imports_another() -> None:
    bad = offending(
        lambda i: (
            _domain(i.module) is not None
            and _domain(i.imported) is not None
            and _domain(i.module) != _domain(i.imported)
        )
    )
    assert not bad, "\n".join(bad)


def test_relative_imports_are_resolved() -> None:
    # executor.py imports both with ``from ..``: the rules see relative imports as the modules they name.
    path = ROOT / "gateway" / "execution" / "executor.py"
    found = {i.imported for i in imports_of(path)}
    assert "gateway.planning.plan" in found and "gateway.composition.supergraph" in found
