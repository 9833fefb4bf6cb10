"""What one request did, gathered while it runs: its operation, its subgraph fetches; read by the access log
and the metrics when it ends.

The record travels in a context variable: the HTTP layer opens it, the pipeline names the operation, the
executor counts each fetch (and reports its latency to the gateway's metrics). Code that runs without one
(tools, a bare executor in tests) records nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .metrics import GatewayMetrics

__all__ = ["RequestRecord", "bind_record", "current_record", "recording", "traced", "unbind_record"]


class RequestRecord:
    """One request's facts. ``operation_name``/``operation_type`` are set once the operation parsed and
    validated (``prepared``); until then the request has no operation a metric may be labelled with."""

    __slots__ = (
        "cache_hit",
        "fetch_errors",
        "fetches",
        "metrics",
        "operation_name",
        "operation_type",
        "outcome",
        "prepared",
        "request_id",
        "trace_headers",
        "trace_id",
        "traced",
    )

    def __init__(self, metrics: GatewayMetrics | None = None) -> None:
        self.metrics = metrics
        self.operation_name: str | None = None
        self.operation_type: str | None = None
        self.prepared = False
        self.cache_hit = False
        self.fetches = 0
        self.fetch_errors = 0
        # Set by the HTTP layer: success, partial, rejected or error (gateway.telemetry.metrics).
        self.outcome: str | None = None
        self.request_id: str | None = None
        self.trace_id: str | None = None
        # The client's traceparent/tracestate, passed on to subgraphs as they came while tracing is off.
        self.trace_headers: dict[str, str] | None = None
        # False for a request whose trace is not sampled: no span below its root, only trace_headers go on.
        self.traced = True

    def operation(self, name: str | None, operation_type: str) -> None:
        self.operation_name, self.operation_type, self.prepared = name, operation_type, True

    def fetched(self, subgraph: str, seconds: float, error_code: str | None) -> None:
        """One subgraph request ended after ``seconds``; ``error_code`` when it got no GraphQL response."""
        self.fetches += 1
        if error_code is not None:
            self.fetch_errors += 1
        if self.metrics is not None:
            self.metrics.fetch(subgraph, seconds, error_code)


_current: ContextVar[RequestRecord | None] = ContextVar("gateway_request_record", default=None)


def current_record() -> RequestRecord | None:
    return _current.get()


def traced() -> bool:
    """Whether the running request makes spans (tracing is on and its trace is sampled): check ``ACTIVE.on``
    first, this is the second look."""
    record = _current.get()
    return record is None or record.traced


def bind_record(record: RequestRecord) -> Token[RequestRecord | None]:
    """Bind ``record`` for the running request; give the token back to :func:`unbind_record` (the hot path's
    form of :func:`recording`)."""
    return _current.set(record)


def unbind_record(token: Token[RequestRecord | None]) -> None:
    _current.reset(token)


@contextmanager
def recording(record: RequestRecord) -> Iterator[RequestRecord]:
    """Bind ``record`` while the request runs."""
    token = _current.set(record)
    try:
        yield record
    finally:
        _current.reset(token)
