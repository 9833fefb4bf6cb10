"""``python -m subgraphs.<name>``: run one service with uvicorn, settings from the environment.

A registered service (``subgraphs.common.registration``) stops in this order on SIGTERM/SIGINT: deregister,
wait ``REGISTRY_DRAIN`` seconds (1) while still serving, so the gateway routes elsewhere before this replica
stops listening; then uvicorn's graceful shutdown. A second signal stops at once.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import socket
from collections.abc import Callable
from types import FrameType

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
    # The URL this replica registers under (subgraphs.common.registration), unless the platform gives one.
    advertised = args.host if args.host not in ("0.0.0.0", "::", "") else socket.gethostname()
    os.environ.setdefault("SERVICE_URL", f"http://{advertised}:{args.port}/graphql")
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
        serve(factory(), args.host, args.port, args.log_level)
    finally:
        if tracing is not None:
            tracing.shutdown()


class DrainingServer(uvicorn.Server):
    """uvicorn, deregistering the app (``app.state.registration``) before it stops listening."""

    def __init__(self, config: uvicorn.Config, app: FastAPI, drain: float) -> None:
        super().__init__(config)
        self._app = app
        self._drain = drain
        self._draining = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        await super().serve(sockets)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        registration = getattr(self._app.state, "registration", None)
        if registration is None or self._draining or self._loop is None:
            super().handle_exit(sig, frame)
            return
        self._draining = True
        loop = self._loop

        async def deregister_then_exit() -> None:
            try:
                await registration.stop()
                await asyncio.sleep(self._drain)
            finally:
                super(DrainingServer, self).handle_exit(sig, frame)

        def start() -> None:
            task = loop.create_task(deregister_then_exit())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        loop.call_soon_threadsafe(start)


def serve(app: FastAPI, host: str, port: int, log_level: str = "info") -> None:
    """Run ``app`` until a signal stops it (see the module docstring for the order of a registered stop)."""
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, loop="auto", http="auto")
    DrainingServer(config, app, float(os.environ.get("REGISTRY_DRAIN") or 1.0)).run()
