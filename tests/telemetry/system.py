"""The four services, their workers and the production gateway app, each served by uvicorn on a free port in
the test's event loop, with one in-memory span exporter behind the gateway's and the services' tracing.

Requests between them are real HTTP (gateway -> subgraphs over aiohttp, orders -> products/users over httpx) and
the saga runs on the machine's NATS JetStream on a stream made for the test.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import gateway.telemetry as gateway_telemetry
import subgraphs.common.telemetry as service_telemetry
from gateway.commands.serve import build_app
from gateway.config import SubgraphConfig
from gateway.server.loading import compose_supergraph
from gateway.server.settings import ServerSettings
from subgraphs.common.db import Database

__all__ = ["TracedSystem", "free_port", "serving", "traced_system"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def serving(app: Any, port: int | None = None, *, lifespan: str = "on") -> AsyncIterator[str]:
    """``app`` served by uvicorn in this event loop; yields its base URL."""
    port = port or free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan=lifespan)
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    deadline = asyncio.get_running_loop().time() + 15
    while not server.started:
        if task.done() or asyncio.get_running_loop().time() > deadline:
            raise RuntimeError(f"uvicorn did not start on port {port}")
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=15)


@dataclass
class TracedSystem:
    exporter: InMemorySpanExporter
    gateway_url: str
    urls: dict[str, str]
    dbs: dict[str, Database]
    gateway_app: Any
    apps: dict[str, Any]
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    def spans(self, trace_id: int | None = None) -> list[ReadableSpan]:
        found = list(self.exporter.get_finished_spans())
        return [
            s for s in found if trace_id is None or (s.context is not None and s.context.trace_id == trace_id)
        ]


@contextlib.asynccontextmanager
async def traced_system(
    tmp_path: Path, nats_url: str, stream: str, prefix: str, dead: str
) -> AsyncIterator[TracedSystem]:
    from subgraphs.orders.app import create_app as orders_app
    from subgraphs.orders.models import Base as OrdersBase
    from subgraphs.orders.worker import run_worker as orders_worker
    from subgraphs.payments.app import create_app as payments_app
    from subgraphs.payments.fake_provider import FakeProvider
    from subgraphs.payments.models import Base as PaymentsBase
    from subgraphs.payments.worker import run_worker as payments_worker
    from subgraphs.products.app import create_app as products_app
    from subgraphs.products.models import Base as ProductsBase
    from subgraphs.products.worker import run_worker as products_worker
    from subgraphs.users.app import create_app as users_app
    from subgraphs.users.models import Base as UsersBase

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    gateway_telemetry.use_tracer_provider(provider)
    service_telemetry.use_tracer_provider(provider)
    bases = {"users": UsersBase, "products": ProductsBase, "orders": OrdersBase, "payments": PaymentsBase}
    dbs = {name: Database(f"sqlite+aiosqlite:///{tmp_path / name}.db", base) for name, base in bases.items()}
    ports = {name: free_port() for name in bases}
    urls = {name: f"http://127.0.0.1:{port}/graphql" for name, port in ports.items()}
    provider_fake = FakeProvider(dbs["payments"].engine)
    apps = {
        "users": users_app(dbs["users"], seed_data=False),
        "products": products_app(dbs["products"], seed_data=False),
        "orders": orders_app(
            dbs["orders"],
            seed_data=False,
            products_url=urls["products"],
            users_url=urls["users"],
            event_subject_prefix=prefix,
        ),
        "payments": payments_app(dbs["payments"], seed_data=False, provider=provider_fake),
    }
    for name in ("orders", "products", "payments"):
        apps[name].state.metrics.stream = stream
        apps[name].state.metrics.nats_url = nats_url
    common = {"servers": nats_url, "stream": stream, "subject_prefix": prefix, "dead_letter_prefix": dead}
    stop = asyncio.Event()
    try:
        async with contextlib.AsyncExitStack() as stack:
            for name, app in apps.items():
                await stack.enter_async_context(serving(app, ports[name]))
            await provider_fake.create_tables()
            configs = [
                SubgraphConfig(name, urls[name], module=f"subgraphs.{name}.schema:print_sdl")
                for name in bases
            ]
            supergraph = compose_supergraph(configs, "code")
            settings = ServerSettings(expose_query_plan=False)
            gateway_app = build_app(supergraph, settings, forward_headers=["x-claims"], environ={})
            gateway_url = await stack.enter_async_context(serving(gateway_app))
            tasks = [
                asyncio.create_task(orders_worker(dbs["orders"], stop, **common)),  # type: ignore[arg-type]
                asyncio.create_task(products_worker(dbs["products"], stop, **common)),  # type: ignore[arg-type]
                asyncio.create_task(payments_worker(dbs["payments"], provider_fake, stop, **common)),  # type: ignore[arg-type]
            ]
            try:
                yield TracedSystem(exporter, gateway_url, urls, dbs, gateway_app, apps, stop)
            finally:
                stop.set()
                await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=15)
    finally:
        gateway_telemetry.use_tracer_provider(None)
        service_telemetry.use_tracer_provider(None)
        for db in dbs.values():
            await db.dispose()
        provider.shutdown()


def new_trace_id() -> int:
    return uuid.uuid4().int & ((1 << 128) - 1)


async def post(url: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.post(url, json=body, headers=headers or {})
