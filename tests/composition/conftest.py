"""Composition test fixtures: the reference composition (oracle), installed with ``npm ci`` when needed."""

from __future__ import annotations

import pytest

from .support import Oracle, install_oracle, run_apollo, run_oracle


@pytest.fixture(scope="session")
def oracle() -> Oracle:
    """Compose with @theguild/federation-composition; skips (with the reason) where node is unavailable."""
    reason = install_oracle()
    if reason is not None:
        pytest.skip(reason)
    return run_oracle


@pytest.fixture(scope="session")
def apollo() -> Oracle:
    """Compose with Apollo's own composition (@apollo/composition); skips where node is unavailable."""
    reason = install_oracle()
    if reason is not None:
        pytest.skip(reason)
    return run_apollo
