"""A service's ``/metrics`` over real HTTP: HTTP requests, GraphQL operations by name and outcome, and the lag of
its durable consumer read from the real NATS JetStream."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import nats
import pytest

from subgraphs.common.db import Database
from subgraphs.common.inbox import EventConsumer
from subgraphs.products.app import create_app
from subgraphs.products.models import Base, InboxRow
from subgraphs.products.saga import CONSUMER_NAME, StockKeeper

from .system import free_port, serving

NATS_URL = os.environ.get("NATS_URL", "nats://127.0.0.1:4222")


def _value(text: str, sample: str) -> float | None:
    for line in text.splitlines():
        if line.startswith(sample + " "):
            return float(line.rsplit(" ", 1)[1])
    return None


class Products:
    def __init__(self, url: str, app: Any) -> None:
        self.url = url
        self.app = app

    async def post(self, body: dict[str, Any]) -> httpx.Response:
        async with httpx.AsyncClient(timeout=10) as client:
            return await client.post(self.url + "/graphql", json=body)

    async def metrics(self) -> str:
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.get(self.url + "/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        return response.text


@pytest.fixture
async def products(tmp_path) -> AsyncIterator[Products]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'products'}.db", Base)
    app = create_app(db, seed_data=False)
    async with serving(app) as url:
        yield Products(url, app)


async def test_service_metrics_count_http_requests_and_graphql_operations_by_name_and_outcome(products):
    products.app.state.metrics.consumers = ()  # lag is the next test's business
    await products.post({"query": "query Probe { __typename }", "operationName": "Probe"})
    await products.post({"query": "query Probe { __typename }"})
    await products.post({"query": "{ __typename }"})
    await products.post({"query": "{ nope }"})
    text = await products.metrics()
    operations = 'service_graphql_operations_total{operation_name="%s",operation_type="query",outcome="%s",service="products"}'
    assert _value(text, operations % ("Probe", "success")) == 1
    # Without operationName the service does not know the name: it counts as anonymous, like no name.
    assert _value(text, operations % ("anonymous", "success")) == 2
    assert _value(text, operations % ("anonymous", "error")) == 1
    http = 'service_http_requests_total{method="POST",route="/graphql",service="products",status="200"}'
    assert _value(text, http) == 4
    count = 'service_http_request_duration_seconds_count{route="/graphql",service="products"}'
    assert _value(text, count) == 4
    assert "service_event_consumer_pending_messages{" not in text


@pytest.mark.nats
async def test_service_metrics_read_the_lag_of_the_services_durable_consumer_from_jetstream(
    products, tmp_path
):
    try:
        nc = await nats.connect(NATS_URL, connect_timeout=2, max_reconnect_attempts=0, allow_reconnect=False)
    except Exception as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"NATS is not reachable at {NATS_URL}: {exc}")
    tag = uuid.uuid4().hex[:10]
    stream, prefix, dead = f"M_{tag}", f"m{tag}", f"md{tag}"
    js = nc.jetstream()
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'inbox'}.db", Base)
    await db.create_tables()
    consumer = EventConsumer(
        db,
        InboxRow,
        name=CONSUMER_NAME,
        handlers=StockKeeper(subject_prefix=prefix).handlers(),
        servers=NATS_URL,
        stream=stream,
        subject_prefix=prefix,
        dead_letter_prefix=dead,
    )
    metrics = products.app.state.metrics
    metrics.stream, metrics.nats_url = stream, NATS_URL
    try:
        await consumer.start()
        subject = consumer.subjects[0]
        for i in range(3):
            await js.publish(subject, b"not an event", stream=stream, headers={"Nats-Msg-Id": f"{tag}-{i}"})
        pending = f'service_event_consumer_pending_messages{{consumer="{CONSUMER_NAME}",service="products"}}'
        unacked = (
            f'service_event_consumer_unacknowledged_messages{{consumer="{CONSUMER_NAME}",service="products"}}'
        )
        text = await products.metrics()
        assert _value(text, pending) == 3
        assert _value(text, unacked) == 0
        assert _value(text, 'service_event_consumer_lag_up{service="products"}') == 1
        # Undecodable messages are dead-lettered and acknowledged: nothing is left behind.
        await consumer.process_batch(wait=2)
        for _ in range(50):  # an ack is a message to the server: the next scrape may still count it
            text = await products.metrics()
            if _value(text, unacked) == 0:
                break
            await asyncio.sleep(0.1)
        assert _value(text, pending) == 0
        assert _value(text, unacked) == 0
        # JetStream away: the lag is not known, and the gauge says so instead of the scrape failing.
        await metrics.aclose()
        metrics.nats_url = f"nats://127.0.0.1:{free_port()}"
        text = await products.metrics()
        assert _value(text, 'service_event_consumer_lag_up{service="products"}') == 0
    finally:
        await consumer.close()
        await db.dispose()
        for name in (stream, f"{stream}_DEAD"):
            try:
                await js.delete_stream(name)
            except Exception:
                pass
        await nc.close()
