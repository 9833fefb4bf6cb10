"""The short run of ``bench/subscriptions.py`` on the shared running system: every live event reaches every one
of 50 subscribers, upstream subscriptions are shared per order and all gone once the clients leave."""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import sys

import pytest

from tests.local_system import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.nats]


def _bench():
    spec = importlib.util.spec_from_file_location("bench_subscriptions", ROOT / "bench" / "subscriptions.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_fifty_subscribers_get_every_event_and_leave_nothing_upstream(system, capsys):
    args = argparse.Namespace(subscribers=50, orders=5, duration=3.0, rate=2.0, connect_concurrency=50)
    code = asyncio.run(_bench().measure(system, args))
    out = capsys.readouterr().out
    assert code == 0, out
    assert "subscribers: 50 on 5 orders (10 per order)" in out
    assert "upstream subscriptions open: gateway 5, orders subgraph 5" in out
    assert "events delivered: 100 of 100" in out
    assert "after the clients left: gateway 0, orders subgraph 0" in out
    assert "delivery latency from commit: p50" in out and "MiB per 1,000 subscribers" in out
