"""Query planning: operation + supergraph -> query plan (pure, deterministic, serialisable)."""

from __future__ import annotations

from gateway.planning.errors import PlanningError
from gateway.planning.planner import plan_operation

__all__ = ["PlanningError", "plan_operation"]
