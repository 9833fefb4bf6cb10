"""An event-driven subgraph in gateway.yaml: no URL, its SDL from code or its snapshot; compose and check."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from gateway.cli import main
from gateway.config import ConfigError, parse_config

from .support import fed2
from .test_event_fields import DIRECTIVE

PRODUCTS = (
    fed2("key") + 'type Query { top: Product } type Product @key(fields: "id") { id: ID! name: String! }'
)
EVENTS = (
    fed2("key", "external")
    + DIRECTIVE
    + """
type Subscription { stockLow: Product! @edfs__natsSubscribe(subjects: ["stock.low"]) }
type Product @key(fields: "id", resolvable: false) { id: ID! @external }
"""
)

CONFIG = """
supergraph: schema/supergraph.graphql
subscriptions:
  max_per_connection: 5
  max_total: null
  keep_alive: 500ms
subgraphs:
  - name: products
    url: http://127.0.0.1:4911/graphql
    schema: schema/products.graphql
    module: event_fake_subgraphs:products
  - name: inventory-events
    events: nats
    schema: schema/inventory-events.graphql
    module: event_fake_subgraphs:events
"""


def test_an_event_driven_subgraph_needs_no_url() -> None:
    config = parse_config(CONFIG)
    events = config.subgraph("inventory-events")
    assert (events.url, events.events) == ("", "nats")
    assert config.subscriptions == {"max_per_connection": 5, "max_total": None, "keep_alive": 0.5}


def test_an_event_driven_subgraph_needs_an_sdl_source_and_a_known_provider() -> None:
    without_sdl = "subgraphs:\n  - name: e\n    events: nats\n"
    with pytest.raises(ConfigError, match="needs 'schema' or 'module'"):
        parse_config(without_sdl)
    with pytest.raises(ConfigError, match="'events' must be one of nats"):
        parse_config("subgraphs:\n  - name: e\n    events: kafka\n    schema: e.graphql\n")
    with pytest.raises(ConfigError, match="missing 'url'"):
        parse_config("subgraphs:\n  - name: e\n    schema: e.graphql\n")


def test_compose_and_check_with_an_event_driven_subgraph(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    module = types.ModuleType("event_fake_subgraphs")
    module.products = lambda: PRODUCTS  # type: ignore[attr-defined]
    module.events = lambda: EVENTS  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "event_fake_subgraphs", module)
    (tmp_path / "gateway.yaml").write_text(CONFIG)
    monkeypatch.chdir(tmp_path)
    assert main(["compose", "--from", "code"]) == 0
    supergraph = Path("schema/supergraph.graphql").read_text()
    assert 'name: "edfs__natsSubscribe", args: {subjects: ["stock.low"], providerId: "default"}' in supergraph
    assert main(["check"]) == 0
    assert "ok: snapshots up to date" in capsys.readouterr().out
