"""``python -m subgraphs.<name>``: run one service with uvicorn, settings from the environment."""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

from .telemetry import configure_tracing

__all__ = ["run_service"]


def run_service(name: str, factory: Callable[[], FastAPI], default_port: int) -> None:
    parser = argparse.ArgumentParser(
        prog=f"python -m subgraphs.{name}", description=f"Run the {name} service."
    )
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", default_port)))
    parser.add_argument("--log-level", default=os.environ.get("LOG_LEVEL", "info"))
    args = parser.parse_args()
    # The services' own log (errors of requests, one line each; tracebacks for unexpected ones) on stderr.
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    service_log = logging.getLogger("subgraphs")
    service_log.addHandler(handler)
    service_log.setLevel(args.log_level.upper())
    service_log.propagate = False
    # Traces go to OTEL_EXPORTER_OTLP_ENDPOINT when it is set (subgraphs.common.telemetry); before the app is made,
    # so the app is instrumented.
    tracing = configure_tracing(name)
    try:
        uvicorn.run(
            factory(), host=args.host, port=args.port, log_level=args.log_level, loop="auto", http="auto"
        )
    finally:
        if tracing is not None:
            tracing.shutdown()
