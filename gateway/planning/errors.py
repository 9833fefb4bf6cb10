"""Planning errors: an operation the supergraph cannot satisfy, reported as a value with a code."""

from __future__ import annotations

__all__ = ["PlanningError"]


class PlanningError(Exception):
    """The planner could not build a plan. ``code`` is one of:

    ``UNKNOWN_OPERATION`` (no operation with that name, or several operations and no name),
    ``UNKNOWN_FIELD`` / ``UNKNOWN_TYPE`` (the document does not match the API schema),
    ``UNSATISFIABLE`` (no sequence of subgraph fetches reaches a selected field).
    """

    def __init__(self, code: str, message: str, path: tuple[str, ...] = ()) -> None:
        self.code = code
        self.message = message
        self.path = path
        where = f" at {'.'.join(path)}" if path else ""
        super().__init__(f"[{code}] {message}{where}")
