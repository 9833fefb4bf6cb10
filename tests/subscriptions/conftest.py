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
    # The provider takes a moment to authorise, as a real one does: a client sees the order wait for it.
    with subscription_system(tmp_path_factory.mktemp("subscriptions"), PAYMENT_PROVIDER_LATENCY="1.5") as s:
        yield s
