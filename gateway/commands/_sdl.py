"""Where a subgraph's SDL comes from: the running service, its committed snapshot file, or its code."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Literal

import httpx

from gateway.config import SubgraphConfig

__all__ = ["SdlSource", "SdlSourceError", "subgraph_sdl"]

SdlSource = Literal["url", "file", "code"]


class SdlSourceError(Exception):
    """The SDL could not be obtained; the message says from where and why."""


def subgraph_sdl(sub: SubgraphConfig, source: SdlSource, *, timeout: float = 10.0) -> str:
    """``sub``'s SDL from ``source``: ``url`` asks ``{ _service { sdl } }`` (Federation subgraph spec); an
    event-driven subgraph (no URL) answers from its code or its snapshot instead."""
    if (source == "url" and not sub.url) or (source == "code" and sub.events is not None and not sub.module):
        # An SDL file alone may define an event-driven subgraph: it has neither a server nor code.
        source = "code" if sub.module else "file"
    if source == "file":
        if not sub.schema:
            raise SdlSourceError(f"subgraph '{sub.name}' has no 'schema' snapshot file in the config")
        try:
            return Path(sub.schema).read_text(encoding="utf-8")
        except OSError as e:
            raise SdlSourceError(f"subgraph '{sub.name}': cannot read {sub.schema}: {e.strerror}") from None
    if source == "code":
        if not sub.module:
            raise SdlSourceError(
                f"subgraph '{sub.name}' has no 'module: package.module:callable' in the config"
            )
        module_name, _, attribute = sub.module.partition(":")
        if "" not in sys.path and "." not in sys.path:
            sys.path.insert(0, "")  # the project root, as `python -m` would have it
        try:
            function = getattr(importlib.import_module(module_name), attribute)
            sdl = function()
        except Exception as e:  # an import or a schema error in the service's code
            raise SdlSourceError(
                f"subgraph '{sub.name}': {sub.module} failed: {type(e).__name__}: {e}"
            ) from None
        if not isinstance(sdl, str):
            raise SdlSourceError(
                f"subgraph '{sub.name}': {sub.module} returned {type(sdl).__name__}, not SDL text"
            )
        return sdl
    try:
        response = httpx.post(sub.url, json={"query": "{ _service { sdl } }"}, timeout=timeout)
    except httpx.HTTPError as e:
        raise SdlSourceError(
            f"subgraph '{sub.name}': cannot reach {sub.url} ({type(e).__name__}: {e}); is the service running?"
        ) from None
    try:
        sdl = response.json()["data"]["_service"]["sdl"]
    except (ValueError, KeyError, TypeError):
        raise SdlSourceError(
            f"subgraph '{sub.name}': {sub.url} answered HTTP {response.status_code} without "
            "data._service.sdl; is it a federation subgraph?"
        ) from None
    if not isinstance(sdl, str):
        raise SdlSourceError(f"subgraph '{sub.name}': {sub.url} returned no SDL")
    return sdl
