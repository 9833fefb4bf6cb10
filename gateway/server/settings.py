"""Settings of the gateway's HTTP server and request pipeline."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace

__all__ = ["ServerSettings"]

_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class ServerSettings:
    """What the pipeline and the HTTP layer may do.

    ``expose_query_plan`` lets a request ask for its plan (header ``query_plan_header: true``); the plan then
    comes back in ``extensions.queryPlan``. ``override_labels_header`` names the request header that enables
    custom progressive-override labels (comma-separated; ``None`` disables it). ``ready_timeout`` bounds each
    subgraph probe of ``/ready``. ``max_tokens`` caps the lexer to stop oversized documents early.
    ``deduplicate_inflight`` runs identical concurrent queries (same document, operation name, variables and auth
    context) once and gives every caller that answer (``gateway.server.inflight``).
    """

    expose_query_plan: bool = False
    query_plan_header: str = "x-query-plan"
    override_labels_header: str | None = "x-override-labels"
    graphiql: bool = True
    plan_cache_size: int = 1024
    ready_timeout: float = 2.0
    max_body_bytes: int = 2 * 1024 * 1024
    max_tokens: int | None = 20_000
    deduplicate_inflight: bool = True

    def with_env(self, environ: Mapping[str, str] | None = None) -> ServerSettings:
        """Override fields from ``GATEWAY_*`` environment variables (for containers)."""
        env = os.environ if environ is None else environ
        out = self
        if "GATEWAY_EXPOSE_QUERY_PLAN" in env:
            out = replace(out, expose_query_plan=env["GATEWAY_EXPOSE_QUERY_PLAN"].lower() in _TRUE)
        if "GATEWAY_GRAPHIQL" in env:
            out = replace(out, graphiql=env["GATEWAY_GRAPHIQL"].lower() in _TRUE)
        if "GATEWAY_PLAN_CACHE_SIZE" in env:
            out = replace(out, plan_cache_size=int(env["GATEWAY_PLAN_CACHE_SIZE"]))
        if "GATEWAY_DEDUPLICATE_INFLIGHT" in env:
            out = replace(out, deduplicate_inflight=env["GATEWAY_DEDUPLICATE_INFLIGHT"].lower() in _TRUE)
        if "GATEWAY_READY_TIMEOUT" in env:
            out = replace(out, ready_timeout=float(env["GATEWAY_READY_TIMEOUT"]))
        return out
