"""``python -m subgraphs.<name>``: run one service with uvicorn, settings from the environment."""

from __future__ import annotations

import argparse
import logging
import os
import socket
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

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
    uvicorn.run(factory(), host=args.host, port=args.port, log_level=args.log_level, loop="auto", http="auto")
