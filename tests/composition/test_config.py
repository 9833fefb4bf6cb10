"""gateway.yaml loading: paths, SUBGRAPH_<NAME>_URL overrides, and clear errors for bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.config import ConfigError, load_config, parse_config

GOOD = """
supergraph: schema/supergraph.graphql
subgraphs:
  - name: users
    url: http://127.0.0.1:4001/graphql
    schema: schema/users.graphql
    module: subgraphs.users.schema:print_sdl
  - name: order-items
    url: http://127.0.0.1:4003/graphql
"""


def test_load_config(tmp_path: Path) -> None:
    path = tmp_path / "gateway.yaml"
    path.write_text(GOOD)
    config = load_config(path, environ={})
    assert [s.name for s in config.subgraphs] == ["users", "order-items"]
    users = config.subgraph("users")
    assert users.url == "http://127.0.0.1:4001/graphql"
    assert users.module == "subgraphs.users.schema:print_sdl"
    assert Path(users.schema or "").resolve() == tmp_path / "schema" / "users.graphql"
    assert Path(config.supergraph).resolve() == tmp_path / "schema" / "supergraph.graphql"
    assert config.subgraph("order-items").schema is None
    assert config.path == path


def test_environment_overrides_urls() -> None:
    env = {"SUBGRAPH_USERS_URL": "http://users:4001/graphql", "SUBGRAPH_ORDER_ITEMS_URL": "http://oi/graphql"}
    config = parse_config(GOOD, environ=env)
    assert config.subgraph("users").url == "http://users:4001/graphql"
    assert config.subgraph("order-items").url == "http://oi/graphql"
    assert config.subgraph("users").env_var == "SUBGRAPH_USERS_URL"


@pytest.mark.parametrize(
    ("text", "mentions"),
    [
        ("subgraphs: [", "not valid YAML"),
        ("- a", "expected a mapping"),
        ("supergraph: x.graphql", "'subgraphs' must be a non-empty list"),
        ("subgraphs:\n  - url: http://a", "missing 'name'"),
        ("subgraphs:\n  - name: a", "subgraph 'a': missing 'url'"),
        ("subgraphs:\n  - name: a\n    url: ftp://a", "must be an http(s) URL"),
        ("subgraphs:\n  - {name: a, url: 'http://a'}\n  - {name: a, url: 'http://b'}", "listed twice"),
        ("subgraphs:\n  - {name: a, url: 'http://a', modul: x}", "unknown key(s) modul"),
        ("subgraphs:\n  - {name: a, url: 'http://a', module: 'no colon'}", "package.module:callable"),
        ("subgraphs:\n  - {name: '1a', url: 'http://a'}", "starts with a letter"),
        ("subgraph:\n  - {name: a, url: 'http://a'}", "unknown key(s) subgraph"),
    ],
)
def test_bad_config_files(text: str, mentions: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text, source="gateway.yaml", environ={})
    assert mentions in str(info.value)
    assert str(info.value).startswith("gateway.yaml")


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")
