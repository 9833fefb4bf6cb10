"""The gateway config file (``gateway.yaml``): where the supergraph snapshot lives and which subgraphs exist.

```yaml
supergraph: schema/supergraph.graphql
subgraphs:
  - name: users
    url: http://127.0.0.1:4001/graphql
    schema: schema/users.graphql          # the committed SDL snapshot
    module: subgraphs.users.schema:print_sdl   # callable returning the SDL from code
    include_subgraph_errors: false        # true: its errors reach clients unmasked (development only)
```

``SUBGRAPH_<NAME>_URL`` environment variables override the urls (containers);
``GATEWAY_INCLUDE_SUBGRAPH_ERRORS`` overrides ``include_subgraph_errors`` (``gateway.execution.masking``). Relative paths are resolved
against the config file's directory.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from gateway.execution.masking import ErrorMasking

__all__ = ["ConfigError", "GatewayConfig", "SubgraphConfig", "load_config", "parse_config"]

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
_MODULE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
_SUBGRAPH_KEYS = {"name", "url", "schema", "module", "include_subgraph_errors"}
_TOP_KEYS = {"supergraph", "subgraphs"}


class ConfigError(Exception):
    """The config file is missing or invalid; the message names the file, the entry and the fix."""


@dataclass(frozen=True)
class SubgraphConfig:
    """One subgraph: its name, the URL the gateway calls, its SDL snapshot file and the code that prints it."""

    name: str
    url: str
    schema: str | None = None
    module: str | None = None
    include_subgraph_errors: bool = False

    @property
    def env_var(self) -> str:
        """The environment variable that overrides ``url``: ``SUBGRAPH_<NAME>_URL``."""
        return "SUBGRAPH_" + re.sub(r"[^A-Za-z0-9]", "_", self.name).upper() + "_URL"


@dataclass(frozen=True)
class GatewayConfig:
    """The whole config; ``path`` is the file it was read from (None when parsed from text)."""

    subgraphs: list[SubgraphConfig] = field(default_factory=list)
    supergraph: str = "schema/supergraph.graphql"
    path: Path | None = None

    def subgraph(self, name: str) -> SubgraphConfig:
        for s in self.subgraphs:
            if s.name == name:
                return s
        raise KeyError(name)

    def error_masking(self, environ: Mapping[str, str] | None = None) -> ErrorMasking:
        """Whose subgraph errors reach clients unmasked: the config's choice, then the environment's."""
        chosen = ErrorMasking(include={s.name: True for s in self.subgraphs if s.include_subgraph_errors})
        return ErrorMasking.from_env(os.environ if environ is None else environ, chosen)


def _string(entry: Mapping[str, Any], key: str, where: str, required: bool) -> str | None:
    value = entry.get(key)
    if value is None:
        if required:
            raise ConfigError(f"{where}: missing '{key}'")
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: '{key}' must be a non-empty string, got {value!r}")
    return value.strip()


def parse_config(
    text: str,
    *,
    source: str = "<config>",
    base_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> GatewayConfig:
    """Parse config text; paths are made absolute against ``base_dir`` when given."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ConfigError(f"{source}: not valid YAML: {e}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping with 'subgraphs' (and optionally 'supergraph')")
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise ConfigError(
            f"{source}: unknown key(s) {', '.join(sorted(unknown))}; expected {', '.join(sorted(_TOP_KEYS))}"
        )
    entries = data.get("subgraphs")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{source}: 'subgraphs' must be a non-empty list of {{name, url, schema, module}}")
    env = os.environ if environ is None else environ

    def path(value: str | None) -> str | None:
        if value is None or base_dir is None or Path(value).is_absolute():
            return value
        resolved = os.path.relpath(base_dir / value)  # relative to the working directory when that is shorter
        return resolved if not resolved.startswith("..") else str(base_dir / value)

    subgraphs: list[SubgraphConfig] = []
    for i, entry in enumerate(entries):
        where = f"{source}: subgraphs[{i}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: expected a mapping with name and url, got {entry!r}")
        unknown = set(entry) - _SUBGRAPH_KEYS
        if unknown:
            raise ConfigError(
                f"{where}: unknown key(s) {', '.join(sorted(unknown))}; expected {', '.join(sorted(_SUBGRAPH_KEYS))}"
            )
        name = _string(entry, "name", where, True)
        assert name is not None
        where = f"{source}: subgraph '{name}'"
        if not _NAME.match(name):
            raise ConfigError(
                f"{where}: a name starts with a letter and has only letters, digits, '_' and '-'"
            )
        if any(s.name == name for s in subgraphs):
            raise ConfigError(f"{where}: listed twice; subgraph names must be unique")
        url = _string(entry, "url", where, True)
        assert url is not None
        module = _string(entry, "module", where, False)
        if module is not None and not _MODULE.match(module):
            raise ConfigError(f"{where}: 'module' must look like 'package.module:callable', got {module!r}")
        include = entry.get("include_subgraph_errors", False)
        if not isinstance(include, bool):
            raise ConfigError(f"{where}: 'include_subgraph_errors' must be true or false, got {include!r}")
        sub = SubgraphConfig(name, url, path(_string(entry, "schema", where, False)), module, include)
        override = env.get(sub.env_var)
        if override:
            sub = replace(sub, url=override)
        if not re.match(r"^https?://", sub.url):
            raise ConfigError(f"{where}: 'url' must be an http(s) URL, got {sub.url!r}")
        subgraphs.append(sub)
    supergraph = _string(data, "supergraph", source, False) or "schema/supergraph.graphql"
    return GatewayConfig(subgraphs, path(supergraph) or supergraph)


def load_config(path: str | Path, *, environ: Mapping[str, str] | None = None) -> GatewayConfig:
    """Read ``gateway.yaml``; relative paths in it are resolved against its directory."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{p}: config file not found (create it, or pass --config PATH)") from None
    except OSError as e:
        raise ConfigError(f"{p}: cannot read the config file: {e.strerror}") from None
    config = parse_config(text, source=str(p), base_dir=p.resolve().parent, environ=environ)
    return replace(config, path=p)
