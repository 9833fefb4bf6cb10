"""One client subscription while it is open: its upstream events, each run through the per-event plan.

A stream is what ``Gateway.start`` returns for a subscription that passed every check (limits,
authentication, authorization, demand control, exactly as a query). Iterating it yields one GraphQL response
per event; closing it (``aclose``, or leaving the ``async for``) leaves the upstream subscription, which closes
when no other client shares it (``gateway.execution.sharing``).

Reload (``Gateway.reload``): a subscription whose operation plans the same on the new supergraph (same plan
JSON, same authorization guards, same URL for the subgraph its stream reads) **continues** on the same upstream stream and runs its later
events with the new executor. Any other subscription **ends**: it gets one last response whose error has code
``SUBSCRIPTION_SCHEMA_RELOAD`` (Apollo Router's code), then completes, and the client subscribes again.

Credentials: a subscription admitted with a token ends when that token expires (its ``exp``), with one last
error of code ``UNAUTHENTICATED``; the client subscribes again with a fresh token.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

from gateway.execution.masking import current_request_id, request_id_scope
from gateway.planning.plan import QueryPlan
from gateway.server.auth.errors import UNAUTHENTICATED
from gateway.server.authorization import restore_unauthorized
from gateway.server.errors import INTERNAL_SERVER_ERROR, SUBSCRIPTION_SCHEMA_RELOAD, error_dict
from gateway.server.request import GraphQLRequest

__all__ = ["SubscriptionStream", "stop_reading"]

logger = logging.getLogger("gateway.server")

_EXPIRED_MESSAGE = (
    "The token this subscription was admitted with has expired; subscribe again with a new one."
)
_RELOAD_MESSAGE = "The supergraph changed and this subscription no longer plans the same; subscribe again."


async def stop_reading(upcoming: asyncio.Future[Any] | None, iterator: AsyncIterator[Any]) -> None:
    """Stop reading ``iterator``: a pending read holds its generator, so cancel that first, then close it."""
    if upcoming is not None and not upcoming.done():
        upcoming.cancel()
        with contextlib.suppress(BaseException):
            await upcoming
    aclose = getattr(iterator, "aclose", None)
    if aclose is not None:
        with contextlib.suppress(Exception):
            await aclose()


class SubscriptionStream:
    """An open subscription (see the module docstring); ``async for result in stream`` reads it."""

    def __init__(
        self,
        gateway: Any,
        request: GraphQLRequest,
        admitted: Any,
        headers: Mapping[str, str] | None,
        executor: Any,
        request_id: str,
    ) -> None:
        self.request = request
        self.plan: QueryPlan = admitted.entry.plan
        # The plan before authorization filtering and the guards: what a reload compares.
        self.base_plan_json = admitted.base.plan.to_json()
        self.guards = admitted.base.guards
        self.filtering = admitted.entry.filtering
        self.variables: dict[str, Any] = admitted.variables
        self.labels: frozenset[str] = admitted.labels
        self.headers = headers
        self.executor = executor
        self.request_id = request_id
        self._gateway = gateway
        self._urls = self._urls_of(gateway.supergraph)
        self._end: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._iterator: AsyncIterator[dict[str, Any]] | None = None
        self.closed = False
        # The first result carries ``extensions.queryPlan`` (asked with the query-plan header, when allowed).
        self.show_plan = False
        self._expiry: asyncio.TimerHandle | None = None

    def _urls_of(self, supergraph: Any) -> str | None:
        """The URL of the subgraph the upstream stream reads (event-driven fields: the broker's, unchanged)."""
        node = self.plan.node
        service = getattr(getattr(node, "primary", None), "service_name", None)
        subgraph = supergraph.subgraphs.get(service) if supergraph is not None and service else None
        return subgraph.url if subgraph is not None else None

    def expire_at(self, expiry: float | None) -> None:
        """End the subscription with ``UNAUTHENTICATED`` when the caller's token expires (``exp``, epoch
        seconds): a subscription never outlives the credentials it was admitted with."""
        if expiry is None or self._end.done():
            return
        loop = asyncio.get_running_loop()
        self._expiry = loop.call_later(max(0.0, expiry - time.time()), self._expired)

    def _expired(self) -> None:
        if not self._end.done():
            error = error_dict(_EXPIRED_MESSAGE, UNAUTHENTICATED)
            self._end.set_result({"errors": [error], "extensions": {"requestId": self.request_id}})

    def reloaded(self, gateway: Any) -> None:
        """Continue on the new supergraph if this operation plans the same there, else end (module docstring)."""
        if self._end.done():
            return
        try:
            entry, _ = gateway.prepare(self.request.query, self.request.operation_name, self.labels)
            plan = getattr(entry, "plan", None)
            same = (
                plan is not None
                and plan.to_json() == self.base_plan_json
                and getattr(entry, "guards", ()) == self.guards
                and self._urls_of(gateway.supergraph) == self._urls
            )
        except Exception:
            logger.exception("re-planning a subscription on reload failed")
            same = False
        if same:
            self.executor = gateway.executor
            return
        error = error_dict(_RELOAD_MESSAGE, SUBSCRIPTION_SCHEMA_RELOAD)
        self._end.set_result({"errors": [error], "extensions": {"requestId": self.request_id}})

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        if self._iterator is None:
            self._iterator = self._events()
        return self._iterator

    async def aclose(self) -> None:
        """Leave the subscription (its upstream closes when nobody else shares it)."""
        self.closed = True
        if self._expiry is not None:
            self._expiry.cancel()
        if self._iterator is not None:
            await self._iterator.aclose()  # type: ignore[attr-defined]
        self._gateway.subscriptions.discard(self)

    async def _events(self) -> AsyncIterator[dict[str, Any]]:
        executor = self.executor
        # The request id is bound around each step, never across a yield: the consumer may resume this
        # generator from another task (another context).
        try:
            failure: dict[str, Any] | None = None
            with request_id_scope(self.request_id):
                try:
                    events = aiter(
                        executor.event_stream(self.plan, self.variables, request_headers=self.headers)
                    )
                except Exception as exc:
                    failure = self._tagged(executor.stream_error(self.plan, exc))
            if failure is not None:
                yield failure
                return
            upcoming: asyncio.Future[Any] | None = None
            try:
                while True:
                    upcoming = asyncio.ensure_future(anext(events))
                    await asyncio.wait({upcoming, self._end}, return_when=asyncio.FIRST_COMPLETED)
                    if not upcoming.done():
                        yield self._end.result()
                        return
                    done, upcoming = upcoming, None
                    result: dict[str, Any] | None = None
                    with request_id_scope(self.request_id):
                        try:
                            event = done.result()
                        except StopAsyncIteration:
                            return
                        except Exception as exc:
                            failure = self._tagged(self.executor.stream_error(self.plan, exc))
                        else:
                            result = self._tagged(await self._run(event))
                    if failure is not None:
                        yield failure
                        return
                    assert result is not None
                    yield result
            finally:
                await stop_reading(upcoming, events)
        finally:
            if self._expiry is not None:
                self._expiry.cancel()
            self._gateway.subscriptions.discard(self)

    async def _run(self, event: Any) -> dict[str, Any]:
        try:
            result: dict[str, Any] = await self.executor.execute_event(
                self.plan, self.variables, event, request_headers=self.headers
            )
        except Exception:
            logger.exception("subscription event crashed [request_id=%s]", current_request_id())
            return {"data": None, "errors": [error_dict("Internal server error.", INTERNAL_SERVER_ERROR)]}
        if self.filtering is not None:
            result = restore_unauthorized(result, self.filtering)
        return result

    def _tagged(self, result: dict[str, Any]) -> dict[str, Any]:
        if self.show_plan:
            self.show_plan = False
            result["extensions"] = {**(result.get("extensions") or {}), "queryPlan": self.plan.to_json()}
        if result.get("errors"):
            result["extensions"] = {**(result.get("extensions") or {}), "requestId": self.request_id}
        return result
