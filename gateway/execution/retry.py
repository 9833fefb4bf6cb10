"""When a failed subgraph request is sent again: queries only, connection errors only, within a budget.

A retry is safe only when the subgraph cannot have acted on the request: the connection was refused or
reset before any byte of the response arrived, and the operation is a query (a mutation may have been
applied; a subscription is not a request/response). Timeouts are never retried: a subgraph that hangs would
cost every request several timeouts instead of one (the circuit breaker deals with it).

Between attempts the client waits an exponential backoff with *full jitter* (a uniform draw from
``[0, min(max_delay, base_delay * 2**n)]``, AWS Architecture Blog "Exponential Backoff And Jitter"), so
gateway replicas do not retry in step.

The :class:`RetryBudget` is Finagle's and tower's (Apollo Router's ``traffic_shaping.*.experimental_retry``):
every answered request deposits ``retry_percent`` of a retry, kept for ``ttl`` seconds, and on top of that
``min_per_sec`` retries a second are always allowed, so a quiet gateway can still retry. Defaults are Apollo
Router's: ``ttl`` 10 s, ``min_per_sec`` 10, ``retry_percent`` 0.2 (at most 20 % extra requests under load).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from graphql import OperationType

__all__ = ["RetryBudget", "RetrySettings", "backoff_delay", "may_retry_operation"]


@dataclass(frozen=True, slots=True)
class RetrySettings:
    """How often and how fast to retry; ``max_retries=0`` turns retries off."""

    max_retries: int = 2
    base_delay: float = 0.05
    max_delay: float = 1.0
    ttl: float = 10.0
    min_per_sec: int = 10
    retry_percent: float = 0.2

    def __post_init__(self) -> None:
        if self.max_retries < 0 or self.min_per_sec < 0:
            raise ValueError("max_retries and min_per_sec must not be negative")
        if self.base_delay < 0 or self.max_delay < self.base_delay:
            raise ValueError("need 0 <= base_delay <= max_delay")
        if not 1.0 <= self.ttl <= 60.0:  # Finagle's and tower's bounds
            raise ValueError("ttl must be between 1 and 60 seconds")
        if not 0.0 <= self.retry_percent <= 1000.0:
            raise ValueError("retry_percent must be between 0 and 1000")


def may_retry_operation(operation: OperationType | None) -> bool:
    """Only queries are retried: never mutations, never subscriptions."""
    return operation is OperationType.QUERY


def backoff_delay(
    retry: int, settings: RetrySettings, draw: Callable[[float, float], float] = random.uniform
) -> float:
    """Seconds to wait before retry number ``retry`` (0 for the first): full jitter over an exponential cap."""
    cap = min(settings.max_delay, settings.base_delay * (2**retry))
    return draw(0.0, cap)


class RetryBudget:
    """Retries allowed over a sliding window of ``ttl`` seconds (ten slots, as in tower's ``TpsBudget``).

    :meth:`deposit` once per answered request, :meth:`withdraw` before each retry (False: do not retry).
    """

    __slots__ = (
        "_clock",
        "_cost",
        "_current",
        "_index",
        "_reserve",
        "_slot_started",
        "_slot_width",
        "_slots",
        "_unit",
    )

    _SLOTS = 10

    def __init__(
        self, settings: RetrySettings | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        settings = settings or RetrySettings()
        self._clock = clock
        # Whole numbers keep the arithmetic exact: a deposit is 1 (or 0 when retry_percent is 0) and a retry
        # costs 1 / retry_percent deposits, as in tower.
        if settings.retry_percent == 0.0:
            self._unit, cost = 0, 1
        elif settings.retry_percent <= 1.0:
            self._unit, cost = 1, int(1.0 / settings.retry_percent)
        else:
            self._unit, cost = 1000, int(1000.0 / settings.retry_percent)
        self._cost = cost
        self._reserve = settings.min_per_sec * int(settings.ttl) * cost
        self._slots = [0] * self._SLOTS
        self._slot_width = settings.ttl / self._SLOTS
        self._index = 0
        self._slot_started = clock()
        self._current = 0

    def deposit(self) -> None:
        """One request got an answer: it earns ``retry_percent`` of a retry for ``ttl`` seconds."""
        self._expire()
        self._current += self._unit

    def withdraw(self) -> bool:
        """Take one retry from the budget; False when it is spent."""
        self._expire()
        if self.balance() >= self._cost:
            self._current -= self._cost
            return True
        return False

    def balance(self) -> int:
        """What is left, in deposit units (a retry costs ``1 / retry_percent`` of them)."""
        return self._reserve + self._current + sum(self._slots)

    def _expire(self) -> None:
        now = self._clock()
        elapsed = now - self._slot_started
        if elapsed < self._slot_width:
            return
        self._slots[self._index] = self._current
        self._current = 0
        index = (self._index + 1) % self._SLOTS
        # Every further whole slot that passed with no traffic is emptied too, and so is the slot written
        # from now on: what it held is a full window old.
        passed = min(int(elapsed / self._slot_width) - 1, self._SLOTS)
        for _ in range(passed):
            self._slots[index] = 0
            index = (index + 1) % self._SLOTS
        self._slots[index] = 0
        self._index = index
        self._slot_started = now
