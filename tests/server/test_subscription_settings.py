"""Subscription settings from the environment and from gateway.yaml."""

from __future__ import annotations

import argparse

import pytest

from gateway.commands.serve import settings_for
from gateway.config import ConfigError, parse_config
from gateway.server.settings import ServerSettings, SubscriptionSettings


def test_environment_overrides() -> None:
    env = {
        "GATEWAY_SUBSCRIPTIONS_MAX_PER_CONNECTION": "7",
        "GATEWAY_SUBSCRIPTIONS_MAX_TOTAL": "none",
        "GATEWAY_SUBSCRIPTIONS_CONNECTION_INIT_TIMEOUT": "2.5",
        "GATEWAY_SUBSCRIPTIONS_KEEP_ALIVE": "0",
        "GATEWAY_SUBSCRIPTIONS_SHARE_UPSTREAM": "false",
        "GATEWAY_SUBSCRIPTIONS_MAX_PENDING": "50",
    }
    assert ServerSettings().with_env(env).subscriptions == SubscriptionSettings(7, None, 2.5, 0.0, False, 50)
    with pytest.raises(
        ValueError, match="GATEWAY_SUBSCRIPTIONS_MAX_TOTAL: expected a non-negative integer or null"
    ):
        ServerSettings().with_env({"GATEWAY_SUBSCRIPTIONS_MAX_TOTAL": "lots"})


def test_the_config_section_reaches_the_server_settings() -> None:
    config = parse_config(
        "subscriptions: {max_per_connection: 3, connection_init_timeout: 1s}\n"
        "subgraphs:\n  - name: a\n    url: http://127.0.0.1:1/graphql\n"
    )
    args = argparse.Namespace(host="127.0.0.1", expose_query_plan=None, no_graphiql=False)
    settings = settings_for(args, config, environ={})
    assert settings.subscriptions.max_per_connection == 3
    assert settings.subscriptions.connection_init_timeout == 1.0
    assert settings.subscriptions.max_total == 10_000
    with pytest.raises(ConfigError, match="subscriptions: unknown key"):
        parse_config(
            "subscriptions: {max: 1}\nsubgraphs:\n  - name: a\n    url: http://127.0.0.1:1/graphql\n"
        )
