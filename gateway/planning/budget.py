"""The planning work budget: a counter every planning stage spends from, so no document plans for long.

Limits on the operation (``gateway.server.limits``) bound what a document may ask; the budget bounds what the
planner does with it, whatever shape the search takes. The budget of the running plan is carried by a context
variable, so planning stages spend from it without threading a counter through every call. When it is spent,
or the request that asked for the plan is gone (``cancel``), planning stops with ``PlanningError`` coded
``QUERY_PLANNING_BUDGET_EXCEEDED`` (or ``QUERY_PLANNING_CANCELLED``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from gateway.planning.errors import PlanningError

__all__ = [
    "BUDGET_EXCEEDED",
    "CANCELLED",
    "PlanningBudget",
    "planning_budget",
    "spend",
]

BUDGET_EXCEEDED = "QUERY_PLANNING_BUDGET_EXCEEDED"
CANCELLED = "QUERY_PLANNING_CANCELLED"


class PlanningBudget:
    """Units of planning work left (one unit is about one selection visited by one stage)."""

    def __init__(self, units: int) -> None:
        self.limit = units
        self.left = units
        self.cancelled = False

    def spend(self, units: int = 1) -> None:
        self.left -= units
        if self.cancelled:
            raise PlanningError(CANCELLED, "planning stopped: the request was cancelled")
        if self.left < 0:
            raise PlanningError(
                BUDGET_EXCEEDED,
                f"planning this operation needs more than the planning budget of {self.limit} units",
            )

    def cancel(self) -> None:
        """Stop the planning that spends from this budget at its next step (from any thread)."""
        self.cancelled = True

    @property
    def spent(self) -> int:
        return self.limit - self.left


_current: ContextVar[PlanningBudget | None] = ContextVar("planning_budget", default=None)


@contextmanager
def planning_budget(budget: PlanningBudget | None) -> Iterator[PlanningBudget | None]:
    """Plan within ``budget`` (None: no budget) for the duration of the block."""
    token = _current.set(budget)
    try:
        yield budget
    finally:
        _current.reset(token)


def spend(units: int = 1) -> None:
    """Spend from the budget of the running plan; free when none is set (planning outside a request)."""
    budget = _current.get()
    if budget is not None:
        budget.spend(units)
