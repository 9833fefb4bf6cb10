"""Render plan JSON (``QueryPlan.to_json()``) as compact text for snapshot assertions, and measure plans."""

from __future__ import annotations

from typing import Any

__all__ = ["fetch_count", "render", "sequential_fetches"]


def _requires(reqs: list[dict[str, Any]]) -> str:
    def sel(s: dict[str, Any]) -> str:
        if s["kind"] == "InlineFragment":
            return f"... on {s['typeCondition']} {{{' '.join(sel(x) for x in s['selections'])}}}"
        name = f"{s['alias']}:{s['name']}" if s.get("alias") else s["name"]
        if s.get("selections"):
            return f"{name} {{{' '.join(sel(x) for x in s['selections'])}}}"
        return name

    return " ".join(sel(r) for r in reqs)


def render(node: dict[str, Any] | None, indent: int = 0) -> str:
    """One line per fetch: ``Fetch(service) operation`` / ``Flatten(a.@.b) Fetch(service) requires => operation``."""
    pad = "  " * indent
    if node is None:
        return f"{pad}<gateway only>"
    kind = node["kind"]
    if kind == "QueryPlan":
        return render(node.get("node"), indent)
    if kind == "Fetch":
        text = f"{pad}Fetch({node['serviceName']}) {node['operation']}"
        if node.get("requires") is not None:
            text = (
                f"{pad}Fetch({node['serviceName']}) {{{_requires(node['requires'])}}} => {node['operation']}"
            )
        for r in node.get("inputRewrites", []):
            text += f" [{r['path'][0]}.__typename={r['setValueTo']}]"
        return text
    if kind == "Flatten":
        return f"{pad}Flatten({'.'.join(node['path'])}) " + render(node["node"], indent).lstrip()
    if kind in ("Sequence", "Parallel"):
        inner = "\n".join(render(n, indent + 1) for n in node["nodes"])
        return f"{pad}{kind} {{\n{inner}\n{pad}}}"
    if kind == "Condition":
        out = [f"{pad}Condition(${node['condition']}) {{"]
        if "ifClause" in node:
            out.append(f"{pad}  if:")
            out.append(render(node["ifClause"], indent + 2))
        if "elseClause" in node:
            out.append(f"{pad}  else:")
            out.append(render(node["elseClause"], indent + 2))
        out.append(f"{pad}}}")
        return "\n".join(out)
    raise AssertionError(kind)


def sequential_fetches(node: dict[str, Any] | None) -> int:
    """The plan's sequential depth: fetches on the longest chain that must run one after another."""
    if node is None:
        return 0
    kind = node["kind"]
    if kind == "QueryPlan":
        return sequential_fetches(node.get("node"))
    if kind == "Fetch":
        return 1
    if kind == "Flatten":
        return sequential_fetches(node["node"])
    if kind == "Sequence":
        return sum(sequential_fetches(n) for n in node["nodes"])
    if kind == "Parallel":
        return max(sequential_fetches(n) for n in node["nodes"])
    return max(sequential_fetches(node.get("ifClause")), sequential_fetches(node.get("elseClause")))


def fetch_count(node: dict[str, Any] | None) -> int:
    if node is None:
        return 0
    kind = node["kind"]
    if kind == "QueryPlan":
        return fetch_count(node.get("node"))
    if kind == "Fetch":
        return 1
    if kind == "Flatten":
        return fetch_count(node["node"])
    if kind in ("Sequence", "Parallel"):
        return sum(fetch_count(n) for n in node["nodes"])
    return fetch_count(node.get("ifClause")) + fetch_count(node.get("elseClause"))
