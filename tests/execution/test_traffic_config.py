"""``traffic_shaping`` in gateway.yaml and GATEWAY_SUBGRAPH_* variables: timeouts, breaker, retries."""

from __future__ import annotations

import pytest

from gateway.config import ConfigError, parse_config, parse_traffic_shaping
from gateway.execution.breaker import BreakerSettings
from gateway.execution.retry import RetrySettings
from gateway.execution.traffic import SubgraphTraffic

SUBGRAPHS = """
subgraphs:
  - name: users
    url: http://127.0.0.1:4001/graphql
  - name: products
    url: http://127.0.0.1:4002/graphql
"""


def test_without_traffic_shaping_the_defaults_apply() -> None:
    traffic = parse_config(SUBGRAPHS, environ={}).traffic
    assert traffic.for_subgraph("users") == SubgraphTraffic()
    assert SubgraphTraffic() == SubgraphTraffic(30.0, 2.0, BreakerSettings(5, 10.0), RetrySettings())
    assert (RetrySettings().ttl, RetrySettings().min_per_sec, RetrySettings().retry_percent) == (
        10.0,
        10,
        0.2,
    )


def test_all_applies_to_every_subgraph_and_a_subgraph_entry_overrides_it() -> None:
    text = (
        SUBGRAPHS
        + """
traffic_shaping:
  all:
    timeout: 10s
    connect_timeout: 500ms
    circuit_breaker: {failure_threshold: 3, cool_down: 1m}
    retry: {max_retries: 1, ttl: 5, min_per_sec: 0, retry_percent: 0.5}
  subgraphs:
    products:
      timeout: 2.5
      circuit_breaker: {enabled: false}
"""
    )
    traffic = parse_config(text, environ={}).traffic
    users = traffic.for_subgraph("users")
    assert (users.request_timeout, users.connect_timeout) == (10.0, 0.5)
    assert users.breaker == BreakerSettings(3, 60.0)
    assert users.retry == RetrySettings(max_retries=1, ttl=5.0, min_per_sec=0, retry_percent=0.5)
    products = traffic.for_subgraph("products")
    assert products.request_timeout == 2.5
    assert products.breaker == BreakerSettings(3, 60.0, enabled=False)  # the rest inherited from 'all'
    assert products.retry == users.retry


def test_environment_overrides_all_but_not_a_subgraph_entry() -> None:
    text = SUBGRAPHS + "traffic_shaping:\n  all: {timeout: 10s}\n  subgraphs:\n    products: {timeout: 3s}\n"
    env = {
        "GATEWAY_SUBGRAPH_TIMEOUT": "20s",
        "GATEWAY_SUBGRAPH_CONNECT_TIMEOUT": "1",
        "GATEWAY_SUBGRAPH_BREAKER_FAILURES": "7",
        "GATEWAY_SUBGRAPH_BREAKER_COOL_DOWN": "2s",
        "GATEWAY_SUBGRAPH_RETRIES": "0",
    }
    traffic = parse_config(text, environ=env).traffic
    users = traffic.for_subgraph("users")
    assert (users.request_timeout, users.connect_timeout) == (20.0, 1.0)
    assert users.breaker == BreakerSettings(7, 2.0)
    assert users.retry.max_retries == 0
    products = traffic.for_subgraph("products")
    assert products.request_timeout == 3.0 and products.breaker == BreakerSettings(7, 2.0)
    # Without a config file (serve --supergraph), the environment alone.
    assert parse_traffic_shaping(None, environ=env).all == users


@pytest.mark.parametrize(
    ("section", "mention"),
    [
        ("all: {timeout: soon}", "traffic_shaping.all.timeout: expected a duration"),
        ("all: {timeout: 0}", "traffic_shaping.all: timeouts must be positive"),
        ("all: {timeot: 1}", "unknown key(s) timeot"),
        ("all: {circuit_breaker: {failure_threshold: 0}}", "failure_threshold must be at least 1"),
        ("all: {circuit_breaker: {failure_threshold: two}}", "expected a whole number"),
        ("all: {retry: {ttl: 90s}}", "ttl must be between 1 and 60 seconds"),
        ("all: {retry: {jitter: true}}", "traffic_shaping.all.retry: unknown key(s) jitter"),
        ("subgraphs: {reviews: {timeout: 1}}", "names no listed subgraph: reviews"),
        ("router: {timeout: 1}", "traffic_shaping: unknown key(s) router; expected all, subgraphs"),
    ],
)
def test_bad_settings_are_refused_with_where_and_why(section: str, mention: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(SUBGRAPHS + "traffic_shaping:\n  " + section + "\n", source="gateway.yaml", environ={})
    assert mention in str(info.value)
    assert str(info.value).startswith("gateway.yaml: ")


def test_a_bad_environment_value_is_refused() -> None:
    with pytest.raises(ConfigError) as info:
        parse_traffic_shaping(None, environ={"GATEWAY_SUBGRAPH_BREAKER_FAILURES": "many"})
    assert "GATEWAY_SUBGRAPH_*" in str(info.value) and "expected a whole number" in str(info.value)
