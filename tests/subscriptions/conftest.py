"""The running system the subscription tests share (``running.subscription_system``): started once a session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .running import SubscriptionSystem, node_clients_available, subscription_system


@pytest.fixture(scope="session")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SubscriptionSystem]:
    reason = node_clients_available()
    if reason is not None:
        pytest.skip(reason)
    with subscription_system(tmp_path_factory.mktemp("subscriptions")) as s:
        yield s
