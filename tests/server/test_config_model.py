"""The config model: one name per setting across file, environment, flag and GraphiQL; flags > environment >
file > defaults for every layered setting; defaults that are the running code's; and a committed reference
that is what the model prints."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any

import pytest

from gateway.cli import build_parser, main
from gateway.commands import serve
from gateway.config import ConfigError, parse_config
from gateway.config_reference import render_reference
from gateway.config_schema import (
    BreakerEntry,
    CorsSection,
    DemandControlSection,
    GatewayFile,
    LimitsSection,
    PlanCacheSection,
    RetryEntry,
    SubscriptionsSection,
    TrafficEntry,
)
from gateway.execution.breaker import BreakerSettings
from gateway.execution.retry import RetrySettings
from gateway.execution.traffic import SubgraphTraffic
from gateway.server.cors import CorsPolicy
from gateway.server.demand_control import DemandControl
from gateway.server.limits import Limits
from gateway.server.settings import ServerSettings, SubscriptionSettings

ROOT = Path(__file__).resolve().parents[2]
SUBGRAPHS = "subgraphs: [{name: a, url: 'http://a.test/graphql'}]\n"


def serve_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    serve.add_parser(parser.add_subparsers())
    return parser.parse_args(["serve", *argv])


def test_the_committed_reference_is_what_the_model_prints() -> None:
    committed = (ROOT / "docs" / "config.md").read_text(encoding="utf-8")
    assert committed == render_reference(), "run: fedgw config --reference > docs/config.md"


def test_every_key_of_the_model_is_in_the_reference() -> None:
    text = render_reference()
    for model in (GatewayFile, TrafficEntry, BreakerEntry, RetryEntry, LimitsSection, CorsSection):
        for name, field in model.model_fields.items():
            assert f"| `{field.alias or name}` |" in text


def _defaults(model: Any) -> dict[str, Any]:
    return {name: field.get_default(call_default_factory=True) for name, field in model.model_fields.items()}


def test_the_model_defaults_are_the_running_code_defaults() -> None:
    # The reference prints the model's defaults: they must be the values the gateway runs with.
    traffic, settings = SubgraphTraffic(), ServerSettings()
    assert _defaults(TrafficEntry)["timeout"] == traffic.request_timeout
    assert _defaults(TrafficEntry)["connect_timeout"] == traffic.connect_timeout
    for model, runtime in ((BreakerEntry, BreakerSettings()), (RetryEntry, RetrySettings())):
        for name, value in _defaults(model).items():
            assert getattr(runtime, name) == value, (model.__name__, name)
    for model, runtime in ((LimitsSection, Limits()), (DemandControlSection, DemandControl())):
        for name, value in _defaults(model).items():
            assert getattr(runtime, name) == value, (model.__name__, name)
    for name, value in _defaults(PlanCacheSection).items():
        assert getattr(settings, f"plan_cache_{name}") == value
    for name, value in _defaults(CorsSection).items():
        if name != "origins":
            assert getattr(CorsPolicy(), name) == (tuple(value) if isinstance(value, list) else value), name
    for name, value in _defaults(SubscriptionsSection).items():
        assert getattr(SubscriptionSettings(), name) == value, name
    for name in ("graphiql", "introspection", "ready_timeout", "deduplicate_inflight", "reject_unauthorized"):
        assert getattr(settings, name) == _defaults(GatewayFile)[name], name


def test_expose_query_plan_is_one_name_everywhere() -> None:
    parser, _ = build_parser()
    help_text = next(
        a.choices["serve"].format_help()
        for a in parser._subparsers._actions  # type: ignore[union-attr]
        if isinstance(a, argparse._SubParsersAction)
    )
    flat = " ".join(help_text.split())
    assert "--expose-query-plan" in flat and "GATEWAY_EXPOSE_QUERY_PLAN" in flat
    assert "gateway.yaml's expose_query_plan" in flat
    graphiql = (ROOT / "gateway" / "server" / "static" / "gateway-graphiql.js").read_text(encoding="utf-8")
    assert "expose_query_plan: true in gateway.yaml" in graphiql and "GATEWAY_EXPOSE_QUERY_PLAN" in graphiql
    # ... and the file takes the key it names.
    config = parse_config(SUBGRAPHS + "expose_query_plan: true\n", environ={})
    assert serve.settings_for(serve_args("--host", "0.0.0.0"), config, environ={}).expose_query_plan is True
    field = GatewayFile.model_fields["expose_query_plan"]
    assert field.json_schema_extra == {
        "env": "GATEWAY_EXPOSE_QUERY_PLAN",
        "flag": "--expose-query-plan / --no-expose-query-plan",
    }


# Each: the file's text, the variable, the flag, and how to read the setting; values default < file < env < flag.
LAYERED = [
    (
        "expose_query_plan: {}",
        "GATEWAY_EXPOSE_QUERY_PLAN",
        "--{}expose-query-plan",
        lambda s: s.expose_query_plan,
    ),
    ("introspection: {}", "GATEWAY_INTROSPECTION", "--{}introspection", lambda s: s.introspection),
]


@pytest.mark.parametrize(("file_key", "variable", "flag", "read"), LAYERED)
def test_switches_flags_beat_environment_beats_file_beats_default(file_key, variable, flag, read) -> None:
    host = ("--host", "0.0.0.0")  # a public address: plans are off by default
    default = read(serve.settings_for(serve_args(*host), None, environ={}))
    file_value = not default
    config = parse_config(SUBGRAPHS + file_key.format(str(file_value).lower()) + "\n", environ={})
    assert read(serve.settings_for(serve_args(*host), config, environ={})) is file_value
    env = {variable: str(default).lower()}
    assert read(serve.settings_for(serve_args(*host), config, environ=env)) is default
    flagged = flag.format("" if file_value else "no-")
    assert read(serve.settings_for(serve_args(*host, flagged), config, environ=env)) is file_value


def test_values_flags_beat_environment_beats_file_beats_default() -> None:
    text = (
        SUBGRAPHS
        + "plan_cache: {size: 10}\nlimits: {max_depth: 12}\ncors: {origins: ['https://file.example']}\n"
    )
    config = parse_config(text, environ={})
    settings = serve.settings_for(serve_args(), None, environ={})
    assert (settings.plan_cache_size, settings.limits.max_depth, settings.cors) == (1024, 100, None)
    settings = serve.settings_for(serve_args(), config, environ={})
    assert (settings.plan_cache_size, settings.limits.max_depth) == (10, 12)
    assert settings.cors is not None and settings.cors.origins == ("https://file.example",)
    env = {
        "GATEWAY_PLAN_CACHE_SIZE": "20",
        "GATEWAY_LIMITS_MAX_DEPTH": "none",
        "GATEWAY_CORS_ORIGINS": "https://env.example",
    }
    settings = serve.settings_for(serve_args(), config, environ=env)
    assert (settings.plan_cache_size, settings.limits.max_depth) == (20, None)
    assert settings.cors is not None and settings.cors.origins == ("https://env.example",)
    settings = serve.settings_for(serve_args("--cors-origin", "https://flag.example"), config, environ=env)
    assert settings.cors is not None and settings.cors.origins == ("https://flag.example",)


def test_subgraph_timeouts_environment_beats_file_and_a_subgraphs_own_entry_beats_both() -> None:
    text = SUBGRAPHS + "traffic_shaping: {all: {timeout: 5s}, subgraphs: {a: {connect_timeout: 1}}}\n"
    assert parse_config(text, environ={}).traffic.all.request_timeout == 5.0
    traffic = parse_config(text, environ={"GATEWAY_SUBGRAPH_TIMEOUT": "500ms"}).traffic
    assert traffic.all.request_timeout == 0.5
    assert (traffic.for_subgraph("a").request_timeout, traffic.for_subgraph("a").connect_timeout) == (
        0.5,
        1.0,
    )


@pytest.mark.parametrize("where", ["file", "environment", "flag"])
def test_production_from_any_source_wins_over_every_other_switch(where: str) -> None:
    text = SUBGRAPHS + "expose_query_plan: true\nintrospection: true\n"
    argv = ["--expose-query-plan", "--introspection"]
    env = {"GATEWAY_GRAPHIQL": "true"}
    if where == "file":
        text += "production: true\n"
    elif where == "environment":
        env["GATEWAY_PRODUCTION"] = "yes"
    else:
        argv.append("--production")
    settings = serve.settings_for(serve_args(*argv), parse_config(text, environ={}), environ=env)
    assert (settings.expose_query_plan, settings.introspection, settings.graphiql) == (False, False, False)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"GATEWAY_PLAN_CACHE_SIZE": "lots"},
            "GATEWAY_PLAN_CACHE_SIZE: expected a non-negative integer, got 'lots'",
        ),
        (
            {"GATEWAY_EXPOSE_QUERY_PLAN": "maybe"},
            "GATEWAY_EXPOSE_QUERY_PLAN: expected true or false, got 'maybe'",
        ),
        ({"GATEWAY_READY_TIMEOUT": "soon"}, "GATEWAY_READY_TIMEOUT: expected a duration"),
        (
            {"GATEWAY_DEMAND_CONTROL_MODE": "strict"},
            "GATEWAY_DEMAND_CONTROL_MODE: Input should be 'enforce' or",
        ),
    ],
)
def test_a_bad_variable_is_named_with_what_it_expects(env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError) as info:
        serve.settings_for(serve_args(), None, environ=env)
    assert message in str(info.value)


def test_serve_refuses_a_bad_variable_before_starting(monkeypatch, capsys) -> None:
    monkeypatch.setenv("GATEWAY_PLAN_CACHE_SIZE", "-3")
    code = main(["serve", "--supergraph", str(ROOT / "schema" / "supergraph.graphql"), "--port", "1"])
    assert code == 2
    assert "GATEWAY_PLAN_CACHE_SIZE: expected a non-negative integer, got '-3'" in capsys.readouterr().err


def test_settings_values_are_validated_whatever_sets_them() -> None:
    with pytest.raises(ValueError, match="plan_cache_size"):
        dataclasses.replace(ServerSettings(), plan_cache_size=-1)
    with pytest.raises(ValueError, match="ready_timeout"):
        ServerSettings(ready_timeout=0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("expose_query_plans: true\n", "gateway.yaml: unknown key(s) expose_query_plans; expected "),
        ("graphiql: sometimes\n", "gateway.yaml: graphiql: expected true or false, got 'sometimes'"),
        ("ready_timeout: -1s\n", "gateway.yaml: ready_timeout: expected a duration"),
        (
            "plan_cache: {size: many}\n",
            "gateway.yaml: plan_cache.size: expected a non-negative integer, got 'many'",
        ),
        ("cors: {max_age: -1}\n", "gateway.yaml: cors.max_age: expected a non-negative integer, got -1"),
    ],
)
def test_a_bad_key_is_named_with_what_it_expects_and_what_came(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(SUBGRAPHS + text, source="gateway.yaml", environ={})
    assert message in str(info.value)


def test_fedgw_config_checks_a_file_and_prints_the_reference(tmp_path, capsys) -> None:
    good = tmp_path / "gateway.yaml"
    good.write_text(SUBGRAPHS + "introspection: false\n")
    assert main(["config", "--config", str(good)]) == 0
    assert "valid; subgraphs: a" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text(SUBGRAPHS + "limits: {max_depht: 3}\n")
    assert main(["config", "--config", str(bad)]) == 2
    assert "limits: unknown key(s) max_depht" in capsys.readouterr().err
    assert main(["config", "--reference"]) == 0
    assert capsys.readouterr().out == render_reference()
