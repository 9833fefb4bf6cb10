"""Telemetry of the gateway: tracing (OpenTelemetry), metrics (Prometheus) and the access log.

It imports nothing else of the gateway, so the execution and server packages both report through it.
"""

from __future__ import annotations

from .access_log import JsonFormatter, TextFormatter, configure_logging, log_access
from .metrics import GatewayMetrics, GatewayState, OperationNames, PlanCacheCounts
from .request import RequestRecord, current_record, recording
from .tracing import ACTIVE, TracingSettings, configure_tracing, span, tracer, use_tracer_provider

__all__ = [
    "ACTIVE",
    "GatewayMetrics",
    "GatewayState",
    "JsonFormatter",
    "OperationNames",
    "PlanCacheCounts",
    "RequestRecord",
    "TextFormatter",
    "TracingSettings",
    "configure_logging",
    "configure_tracing",
    "current_record",
    "log_access",
    "recording",
    "span",
    "tracer",
    "use_tracer_provider",
]
