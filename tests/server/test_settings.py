"""gateway.yaml's limits and plan_cache sections, and their precedence under the environment."""

from __future__ import annotations

import argparse

import pytest

from gateway.commands import serve
from gateway.config import ConfigError, parse_config

SUBGRAPHS = "subgraphs: [{name: a, url: 'http://a.test/graphql'}]\n"


def args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    serve.add_parser(parser.add_subparsers())
    return parser.parse_args(["serve", *argv])


def test_limits_and_plan_cache_from_gateway_yaml() -> None:
    config = parse_config(
        SUBGRAPHS + "limits: {max_depth: 12, max_aliases: null}\nplan_cache: {size: 10, bytes: 1000}\n"
    )
    settings = serve.settings_for(args(), config, environ={})
    assert settings.limits.max_depth == 12 and settings.limits.max_aliases is None
    assert (settings.plan_cache_size, settings.plan_cache_bytes) == (10, 1000)
    # The environment wins over the file.
    settings = serve.settings_for(args(), config, environ={"GATEWAY_LIMITS_MAX_DEPTH": "5"})
    assert settings.limits.max_depth == 5


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("limits: {max_dept: 3}", "unknown key(s) max_dept"),
        ("limits: {max_depth: -1}", "limits.max_depth: expected a non-negative integer or null"),
        ("limits: {http_max_request_bytes: null}", "expected a non-negative integer, got None"),
        ("cors: {origins: ['*'], allow_credentials: true}", "needs explicit origins"),
        ("plan_cache: {entries: 3}", "unknown key(s) entries"),
    ],
)
def test_bad_sections_are_clear_errors(section: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_config(SUBGRAPHS + section + "\n")


def test_cors_origin_flag() -> None:
    settings = serve.settings_for(args("--cors-origin", "https://x.example"), None, environ={})
    assert settings.cors is not None and settings.cors.origins == ("https://x.example",)
