"""Loading the supergraph the gateway serves: a supergraph SDL file, or composing the configured subgraphs.

Subgraph SDLs come from the running service (``{ _service { sdl } }``, Federation subgraph spec), the
committed snapshot file, or code (``module: package.module:callable``), as the gateway config names them.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import httpx

from gateway.composition.supergraph import Supergraph

__all__ = [
    "SdlSource",
    "SupergraphLoadError",
    "compose_supergraph",
    "compose_supergraph_sdl",
    "load_supergraph_file",
    "read_supergraph_file",
    "subgraph_sdl",
    "with_url_overrides",
]

SdlSource = Literal["url", "file", "code"]


@dataclass
class SupergraphLoadError(Exception):
    """The supergraph could not be loaded: ``code`` says which step failed, ``message`` how to fix it."""

    code: str
    message: str

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


def _read_supergraph(sdl: str) -> Supergraph:
    from gateway.composition.read_supergraph import SupergraphError, read_supergraph

    try:
        return read_supergraph(sdl)
    except SupergraphError as error:
        raise SupergraphLoadError("INVALID_SUPERGRAPH", str(error)) from None


def load_supergraph_file(path: str | Path, *, environ: Mapping[str, str] | None = None) -> Supergraph:
    """Read a supergraph SDL file (join spec) into the model.

    ``SUBGRAPH_<NAME>_URL`` environment variables replace the ``join__graph`` URLs, so one supergraph file
    serves wherever the subgraphs happen to run (containers, staging), as with the gateway config.
    """
    sdl = read_supergraph_file(path)
    return with_url_overrides(_read_supergraph(sdl), os.environ if environ is None else environ)


def with_url_overrides(supergraph: Supergraph, environ: Mapping[str, str]) -> Supergraph:
    """The supergraph with each subgraph's URL taken from ``SUBGRAPH_<NAME>_URL`` where that is set."""
    for name, subgraph in list(supergraph.subgraphs.items()):
        key = "SUBGRAPH_" + re.sub(r"[^A-Za-z0-9]", "_", name).upper() + "_URL"
        if environ.get(key):
            supergraph.subgraphs[name] = replace(subgraph, url=environ[key])
    return supergraph


def subgraph_sdl(subgraph: Any, source: SdlSource, *, timeout: float = 10.0) -> str:
    """One configured subgraph's SDL (``subgraph`` has ``name``, ``url``, ``schema``, ``module``)."""
    name = subgraph.name
    module = getattr(subgraph, "module", None)
    event_driven = getattr(subgraph, "events", None) is not None
    if (source == "url" and not getattr(subgraph, "url", None)) or (
        source == "code" and event_driven and not module
    ):
        # An event-driven subgraph has no server to ask, and may have no code: its snapshot defines it.
        source = "code" if module else "file"
    if source == "file":
        schema = getattr(subgraph, "schema", None)
        if not schema:
            raise SupergraphLoadError(
                "NO_SDL_SOURCE", f"subgraph '{name}' has no 'schema' file in the config"
            )
        try:
            return Path(schema).read_text(encoding="utf-8")
        except OSError as error:
            raise SupergraphLoadError("SDL_NOT_READABLE", f"cannot read {schema}: {error.strerror}") from None
    if source == "code":
        target = getattr(subgraph, "module", None)
        if not target or ":" not in target:
            raise SupergraphLoadError("NO_SDL_SOURCE", f"subgraph '{name}' has no 'module: pkg.mod:callable'")
        module_name, _, attribute = target.partition(":")
        try:
            function = getattr(importlib.import_module(module_name), attribute)
        except (ImportError, AttributeError) as error:
            raise SupergraphLoadError("SDL_NOT_IMPORTABLE", f"cannot import {target}: {error}") from None
        sdl = function()
        if not isinstance(sdl, str):
            raise SupergraphLoadError("SDL_NOT_IMPORTABLE", f"{target} did not return SDL text")
        return sdl
    try:
        response = httpx.post(subgraph.url, json={"query": "{ _service { sdl } }"}, timeout=timeout)
        body = response.json()
        sdl = body["data"]["_service"]["sdl"]
    except httpx.HTTPError as error:
        raise SupergraphLoadError(
            "SUBGRAPH_UNREACHABLE", f"cannot fetch the SDL of '{name}' from {subgraph.url}: {error}"
        ) from None
    except (ValueError, KeyError, TypeError):
        raise SupergraphLoadError(
            "SUBGRAPH_SDL_MISSING", f"'{name}' at {subgraph.url} did not answer {{ _service {{ sdl }} }}"
        ) from None
    if not isinstance(sdl, str):
        raise SupergraphLoadError("SUBGRAPH_SDL_MISSING", f"'{name}' at {subgraph.url} returned no SDL")
    return sdl


def compose_supergraph(subgraphs: Sequence[Any], source: SdlSource = "url") -> Supergraph:
    """Compose the configured subgraphs (``gateway.composition.compose``) and read the result."""
    return _read_supergraph(compose_supergraph_sdl(subgraphs, source))


def compose_supergraph_sdl(subgraphs: Sequence[Any], source: SdlSource = "url") -> str:
    """Compose the configured subgraphs into supergraph SDL (join spec), unread."""
    from gateway.composition.compose import SubgraphSource, compose

    sources = [SubgraphSource(s.name, s.url, subgraph_sdl(s, source)) for s in subgraphs]
    result = compose(sources)
    if result.errors or result.supergraph_sdl is None:
        lines = [f"  {e.code}: {e.message}" for e in result.errors]
        raise SupergraphLoadError("COMPOSITION_FAILED", "composition failed:\n" + "\n".join(lines))
    return result.supergraph_sdl


def read_supergraph_file(path: str | Path) -> str:
    """The text of a supergraph SDL file, or a ``SupergraphLoadError`` saying why it cannot be read."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise SupergraphLoadError(
            "SUPERGRAPH_NOT_READABLE", f"cannot read {path}: {error.strerror}"
        ) from None
