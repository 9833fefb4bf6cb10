"""The gateway config file (``gateway.yaml``): where the supergraph snapshot lives and which subgraphs exist.

```yaml
supergraph: schema/supergraph.graphql
subgraphs:
  - name: users
    url: http://127.0.0.1:4001/graphql
    schema: schema/users.graphql          # the committed SDL snapshot
    module: subgraphs.users.schema:print_sdl   # callable returning the SDL from code
limits:                                   # optional: operation, parser and body limits (gateway.server.limits)
  max_depth: 100                          # null lifts a limit
cors:                                     # optional: browser origins allowed to call the gateway
  origins: [https://app.example]
  allow_credentials: true
plan_cache:                               # optional: size (plans), bytes, max_document_bytes, failures
  size: 1024
```

``SUBGRAPH_<NAME>_URL`` environment variables override the urls (containers), ``GATEWAY_LIMITS_<NAME>`` the
limits. Relative paths are resolved against the config file's directory.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

__all__ = ["ConfigError", "GatewayConfig", "SubgraphConfig", "load_config", "parse_config"]

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
_MODULE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
_SUBGRAPH_KEYS = {"name", "url", "schema", "module"}
_TOP_KEYS = {"supergraph", "subgraphs", "limits", "cors", "plan_cache"}
_CORS_KEYS = {"origins", "allow_credentials", "allow_methods", "allow_headers", "expose_headers", "max_age"}
_PLAN_CACHE_KEYS = {"size", "bytes", "max_document_bytes", "failures"}


class ConfigError(Exception):
    """The config file is missing or invalid; the message names the file, the entry and the fix."""


@dataclass(frozen=True)
class SubgraphConfig:
    """One subgraph: its name, the URL the gateway calls, its SDL snapshot file and the code that prints it."""

    name: str
    url: str
    schema: str | None = None
    module: str | None = None

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
    # Limit name -> maximum (None: no limit), as gateway.server.limits.Limits names them.
    limits: dict[str, int | None] = field(default_factory=dict)
    cors: dict[str, Any] | None = None
    plan_cache: dict[str, int] = field(default_factory=dict)

    def subgraph(self, name: str) -> SubgraphConfig:
        for s in self.subgraphs:
            if s.name == name:
                return s
        raise KeyError(name)


def _string(entry: Mapping[str, Any], key: str, where: str, required: bool) -> str | None:
    value = entry.get(key)
    if value is None:
        if required:
            raise ConfigError(f"{where}: missing '{key}'")
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: '{key}' must be a non-empty string, got {value!r}")
    return value.strip()


def _integer(value: Any, where: str, nullable: bool) -> int | None:
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        expected = "a non-negative integer" + (" or null" if nullable else "")
        raise ConfigError(f"{where}: expected {expected}, got {value!r}")
    return value


def _section(
    data: Mapping[str, Any], key: str, known: set[str] | tuple[str, ...], source: str
) -> dict[str, Any]:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{source}: '{key}' must be a mapping, got {value!r}")
    unknown = set(value) - set(known)
    if unknown:
        raise ConfigError(
            f"{source}: {key}: unknown key(s) {', '.join(sorted(unknown))}; expected {', '.join(sorted(known))}"
        )
    return value


def _limits(data: Mapping[str, Any], source: str) -> dict[str, int | None]:
    from gateway.server.limits import Limits

    section = _section(data, "limits", Limits.names(), source)
    return {
        name: _integer(value, f"{source}: limits.{name}", nullable=name != "http_max_request_bytes")
        for name, value in section.items()
    }


def _cors(data: Mapping[str, Any], source: str) -> dict[str, Any] | None:
    if data.get("cors") is None:
        return None
    section = _section(data, "cors", _CORS_KEYS, source)
    origins = section.get("origins", [])
    if isinstance(origins, str):
        origins = [origins]
    if not isinstance(origins, list) or not all(isinstance(o, str) and o for o in origins):
        raise ConfigError(f'{source}: cors.origins must be a list of origins (or "*"), got {origins!r}')
    if "*" in origins and section.get("allow_credentials"):
        # Browsers refuse credentials with a wildcard; echoing any origin with credentials opens every session.
        raise ConfigError(f'{source}: cors.allow_credentials needs explicit origins, not "*"')
    if "max_age" in section:
        _integer(section["max_age"], f"{source}: cors.max_age", nullable=False)
    return {**section, "origins": origins}


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
        sub = SubgraphConfig(name, url, path(_string(entry, "schema", where, False)), module)
        override = env.get(sub.env_var)
        if override:
            sub = replace(sub, url=override)
        if not re.match(r"^https?://", sub.url):
            raise ConfigError(f"{where}: 'url' must be an http(s) URL, got {sub.url!r}")
        subgraphs.append(sub)
    supergraph = _string(data, "supergraph", source, False) or "schema/supergraph.graphql"
    plan_cache = {
        key: _integer(value, f"{source}: plan_cache.{key}", nullable=False) or 0
        for key, value in _section(data, "plan_cache", _PLAN_CACHE_KEYS, source).items()
    }
    return GatewayConfig(
        subgraphs,
        path(supergraph) or supergraph,
        limits=_limits(data, source),
        cors=_cors(data, source),
        plan_cache=plan_cache,
    )


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
