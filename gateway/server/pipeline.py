"""The gateway's request pipeline: plan cache -> limits -> parse -> validate -> operation -> plan -> execute.

Follows GraphQL spec section 6 ("Execution": ``GetOperation``, ``CoerceVariableValues``) and GraphQL over HTTP
(GET may only run queries). The planner and the executor are injected, so the pipeline is tested with fakes and
runs the real ``gateway.planning.plan_operation`` and ``gateway.execution.Executor`` in production. Identical
queries in flight at the same time (same document, operation name, variables, override labels and auth context)
execute once (``gateway.server.inflight``; ``ServerSettings.deduplicate_inflight``).

Nothing a document asks can hold the gateway for long: its text is scanned for the token and nesting limits
before the parser runs, the parsed document is measured against the operation limits before validation, and
planning spends from a work budget (``gateway.server.limits``, ``gateway.planning.budget``). A document not in
the plan cache is prepared on a worker thread (``gateway.server.workers``) so the event loop keeps serving.

Telemetry (``gateway.telemetry``): while tracing is on, a request is a ``supergraph`` span with ``parse_query``
and ``query_planning`` (cache misses only) and ``execution`` under it, as Apollo Router names them; the
operation that validated is written to the request's record for the access log and the metrics; each loaded
supergraph gets the next generation number.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import importlib
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol, cast

import orjson
from graphql import (
    DocumentNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    Source,
    Token,
)
from graphql.execution.values import get_variable_values
from graphql.language import Lexer
from graphql.language.parser import Parser, nested_too_deeply_error

from gateway.composition.supergraph import Supergraph
from gateway.execution.masking import (
    accepted_request_id,
    current_request_id,
    new_request_id,
    request_id_scope,
)
from gateway.planning.budget import BUDGET_EXCEEDED, CANCELLED, PlanningBudget, planning_budget
from gateway.planning.plan import QueryPlan
from gateway.server.authorization import (
    AuthorizationGuard,
    Filtering,
    Principal,
    authorization_guards,
    failing_guards,
    filter_operation,
    load_policy_function,
    restore_unauthorized,
    unauthorized_errors,
)
from gateway.server.demand_control import CostEstimator
from gateway.server.errors import (
    BAD_USER_INPUT,
    GRAPHQL_PARSE_FAILED,
    GRAPHQL_VALIDATION_FAILED,
    INTERNAL_SERVER_ERROR,
    METHOD_NOT_ALLOWED,
    OPERATION_RESOLUTION_FAILURE,
    QUERY_PLANNING_FAILED,
    STREAMING_TRANSPORT_REQUIRED,
    TOO_MANY_SUBSCRIPTIONS,
    ErrorKind,
    error_dict,
    graphql_error_dict,
)
from gateway.server.inflight import InflightOperations, operation_key
from gateway.server.introspection import INTROSPECTION_DISABLED, selects_introspection
from gateway.server.limits import LimitExceeded, check_document, document_size_exceeded, scan_text
from gateway.server.memory import release_memory
from gateway.server.overrides import OverrideLabels, OverridePolicy, override_labels_of
from gateway.server.plan_cache import PlanCache, PlanCacheKey, estimate_entry_bytes, plan_cache_key
from gateway.server.request import GraphQLRequest
from gateway.server.runtime import PermanentGeneration
from gateway.server.settings import ServerSettings
from gateway.server.subscription_stream import SubscriptionStream
from gateway.server.validation import validate_document
from gateway.server.workers import WorkerPool
from gateway.telemetry.metrics import GatewayMetrics, GatewayState, PlanCacheCounts
from gateway.telemetry.request import current_record, traced
from gateway.telemetry.tracing import ACTIVE, span

__all__ = [
    "Gateway",
    "GatewayResponse",
    "OperationExecutor",
    "Planner",
    "PreparedOperation",
    "RequestFailure",
    "SubscriptionStream",
]

logger = logging.getLogger("gateway.server")

_TRUE = frozenset({"true", "1", "yes", "on"})


class Planner(Protocol):
    """``gateway.planning.plan_operation``'s signature."""

    def __call__(
        self,
        supergraph: Supergraph,
        document: DocumentNode,
        operation_name: str | None,
        *,
        override_labels: frozenset[str],
    ) -> QueryPlan: ...


class OperationExecutor(Protocol):
    """``gateway.execution.Executor``'s signature: runs a plan and returns the GraphQL response map."""

    async def execute(
        self,
        plan: QueryPlan,
        variables: dict[str, Any],
        *,
        request_headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]: ...


ExecutorFactory = Callable[[Supergraph], OperationExecutor]


@dataclass(frozen=True)
class PreparedOperation:
    """What the plan cache keeps for a document that parsed, validated and planned."""

    document: DocumentNode
    operation: OperationDefinitionNode
    plan: QueryPlan
    # What keeping this entry costs in memory, estimated (gateway.server.plan_cache.estimate_entry_bytes).
    size: int = 0
    # The selections that authorization directives guard (gateway.server.authorization); empty: none.
    guards: tuple[AuthorizationGuard, ...] = ()
    # Set on the plan of a document filtered for a request that may not see some selections.
    filtering: Filtering | None = None


@dataclass(frozen=True)
class RequestFailure:
    """A document that cannot run (parse, validation, operation or planning errors); cached like a plan."""

    errors: tuple[dict[str, Any], ...]
    kind: ErrorKind = ErrorKind.REQUEST


@dataclass(frozen=True)
class GatewayResponse:
    """A GraphQL response map plus what the HTTP layer needs: why there is no data (the status code) and the
    request id (the ``X-Request-Id`` header; also in ``extensions.requestId`` when there are errors)."""

    result: dict[str, Any]
    error_kind: ErrorKind | None = None
    cache_hit: bool = False
    request_id: str | None = None


def _default_planner() -> Planner:
    # Imported by name: the planner package is developed alongside and loaded only when no planner is given.
    planning = importlib.import_module("gateway.planning")
    return cast(Planner, planning.plan_operation)


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    """A request header by lower-case name (Starlette's headers are case-insensitive, plain dicts are not)."""
    if not headers:
        return None
    value = headers.get(name)
    if value is None and isinstance(headers, dict):
        value = next((v for k, v in headers.items() if k.lower() == name), None)
    return value


def _select_operation(document: DocumentNode, operation_name: str | None) -> OperationDefinitionNode | str:
    """GraphQL spec 6.1 ``GetOperation``: the operation to run, or why there is none."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        if len(operations) == 1:
            return operations[0]
        if not operations:
            return "The document contains no operation."
        return "The document contains several operations; provide 'operationName' to choose one."
    for operation in operations:
        if operation.name is not None and operation.name.value == operation_name:
            return operation
    return f"Unknown operation named '{operation_name}'."


def _copied(result: dict[str, Any]) -> dict[str, Any]:
    """A response map whose data may be changed in place (deduplicated callers share theirs)."""
    data = result.get("data")
    return {**result, "data": orjson.loads(orjson.dumps(data))} if data is not None else dict(result)


def _parse(query: str, max_tokens: int | None) -> DocumentNode:
    """``graphql.parse`` (with ``max_tokens``, no empty selection sets), leaving no token chain behind.

    The lexer links each token to the next and the previous: a reference cycle through the whole text. Once
    parsing ends, well or not, the chain is cut, so each token is kept only by the locations it starts or ends.
    A document that is not kept (or the tokens of a syntax error) is then freed at once by reference counting,
    not by a young collection of tens of thousands of objects (a pause of the event loop); a kept one holds no
    comment tokens (with their copies of the text), punctuation or other tokens that start or end no node.
    Nothing walks the chain after parsing: locations keep their offsets and source, all error locations need.
    graphql-core's ``parse`` makes its lexer inside, so this makes the parser itself, as ``parse`` does."""
    lexer = Lexer(Source(query))
    parser = Parser(lexer.source, max_tokens=max_tokens, allow_empty_selection_sets=False, lexer=lexer)
    try:
        return parser.parse_document()
    except RecursionError:
        pass
    finally:
        _unlink(lexer.token)
    raise nested_too_deeply_error(parser)


def _unlink(token: Token | None) -> None:
    """Cut the token chain ``token`` is on, both ways."""
    following = token.next if token is not None else None
    while token is not None:
        before = token.prev
        token.prev = token.next = None
        token = before
    while following is not None:
        after = following.next
        following.prev = following.next = None
        following = after


@dataclass(frozen=True)
class _Admitted:
    """An operation that passed every check before execution, with what running it needs."""

    entry: PreparedOperation
    variables: dict[str, Any]
    labels: frozenset[str]
    hit: bool
    cost: int | None  # shown in extensions.cost when set
    base: PreparedOperation  # ``entry`` before authorization filtering
    executor: OperationExecutor  # of the supergraph generation the operation was planned on


class Gateway:
    """Runs GraphQL requests against one supergraph (see the module docstring for the steps).

    ``executor`` is used as is for every supergraph; ``executor_factory`` builds a new executor for each
    supergraph (at start and on ``reload``). Give one of them, or neither for planning only (``plan``,
    as ``explain`` does). ``planner`` defaults to ``gateway.planning.plan_operation``.
    """

    def __init__(
        self,
        supergraph: Supergraph | None,
        *,
        executor: OperationExecutor | None = None,
        executor_factory: ExecutorFactory | None = None,
        planner: Planner | None = None,
        settings: ServerSettings | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if executor is not None and executor_factory is not None:
            raise ValueError("Give Gateway 'executor' or 'executor_factory', not both.")
        self.settings = settings or ServerSettings()
        self._planner = planner  # resolved on first use, so serving /health needs no planner import
        self._executor_factory = executor_factory
        self._executor: OperationExecutor | None = executor
        self._rng = rng or random.Random()
        self.plan_cache: PlanCache[PreparedOperation | RequestFailure] = PlanCache(
            self.settings.plan_cache_size,
            max_bytes=self.settings.plan_cache_bytes,
            max_document_bytes=self.settings.plan_cache_max_document_bytes,
            failure_capacity=self.settings.plan_cache_failures,
        )
        self.workers = WorkerPool()
        self.permanent = PermanentGeneration(enabled=self.settings.freeze_cached_plans)
        self._running = 0  # requests in ``run`` now: plans cached meanwhile are frozen when none is
        self._preparing: dict[
            tuple[int, PlanCacheKey], asyncio.Future[PreparedOperation | RequestFailure]
        ] = {}
        self._supergraph: Supergraph | None = None
        self._costs: CostEstimator | None = None
        self._overrides = OverridePolicy(OverrideLabels(), header=None)
        policy = self.settings.authorization_policy
        self._policy = load_policy_function(policy) if policy else None
        self.inflight = InflightOperations()
        self.metrics = GatewayMetrics(max_operation_names=self.settings.metrics_max_operation_names)
        self.metrics.watch(GatewayState(self._circuits, self._plan_cache_counts))
        # Open subscription streams (SubscriptionStream): counted for the limit, checked on reload.
        self.subscriptions: set[SubscriptionStream] = set()
        # Counts supergraphs served; a request keeps the supergraph, executor and plans of the generation it
        # started on, whatever reloads happen while it runs.
        self.generation = 0
        if supergraph is not None:
            self.reload(supergraph)

    def _circuits(self) -> dict[str, str]:
        circuits = getattr(getattr(self._executor, "client", None), "circuits", None)
        return {name: c.state.value for name, c in circuits().items()} if callable(circuits) else {}

    def _plan_cache_counts(self) -> PlanCacheCounts:
        cache = self.plan_cache
        return PlanCacheCounts(cache.hits, cache.misses, len(cache), cache.bytes)

    @property
    def supergraph(self) -> Supergraph | None:
        return self._supergraph

    def reload(self, supergraph: Supergraph, *, executor: OperationExecutor | None = None) -> None:
        """Swap in a new supergraph (hot reload): new executor when there is a factory, empty plan cache."""
        if executor is not None:
            new_executor: OperationExecutor | None = executor
        elif self._executor_factory is not None:
            new_executor = self._executor_factory(supergraph)
        else:
            new_executor = self._executor
        self._overrides = OverridePolicy(
            override_labels_of(supergraph), header=self.settings.override_labels_header, rng=self._rng
        )
        self._supergraph = supergraph
        self._costs = CostEstimator(supergraph, self.settings.demand_control)
        self._executor = new_executor
        self.generation += 1
        self.metrics.supergraph_loaded(self.generation)
        if len(self.plan_cache):
            self.plan_cache.clear()
            self.permanent.release()
            release_memory()  # what the old plans held goes back to the system, not only to the allocator
        for stream in list(self.subscriptions):
            stream.reloaded(self)

    @property
    def executor(self) -> OperationExecutor | None:
        return self._executor

    def override_labels(self, headers: Mapping[str, str] | None) -> frozenset[str]:
        """The progressive-override labels enabled for one request (``gateway.server.overrides``)."""
        return self._overrides.enabled(headers)

    def prepare(
        self, query: str, operation_name: str | None, override_labels: frozenset[str] = frozenset()
    ) -> tuple[PreparedOperation | RequestFailure, bool]:
        """Parse, validate, select the operation and plan, through the cache. Returns (entry, cache hit)."""
        oversized = document_size_exceeded(query, self.settings.limits)
        if oversized is not None:
            return RequestFailure((oversized.to_error(),), ErrorKind.LIMIT), False
        key = plan_cache_key(query, operation_name, override_labels)
        cached = self.plan_cache.get(key)
        if cached is not None:
            return cached, True
        supergraph, generation = self._supergraph, self.generation
        assert supergraph is not None
        entry = self._prepare_uncached(query, operation_name, override_labels, self._new_budget(), supergraph)
        self._remember(key, query, entry, generation)
        return entry, False

    async def prepare_async(
        self,
        query: str,
        operation_name: str | None,
        override_labels: frozenset[str] = frozenset(),
        *,
        supergraph: Supergraph | None = None,
        generation: int | None = None,
    ) -> tuple[PreparedOperation | RequestFailure, bool]:
        """``prepare`` for a request: a cold document is prepared on a worker thread, and its planning stops
        when the request is cancelled. ``supergraph`` and ``generation`` (default: the current ones) are those
        the request started on; a plan made for an older generation is used but never cached."""
        # Refused before its text is hashed for the cache key (or handed to a worker): no cost per byte.
        oversized = document_size_exceeded(query, self.settings.limits)
        if oversized is not None:
            return RequestFailure((oversized.to_error(),), ErrorKind.LIMIT), False
        if supergraph is None or generation is None:
            supergraph, generation = self._supergraph, self.generation
        assert supergraph is not None
        planned_on = supergraph
        key = plan_cache_key(query, operation_name, override_labels)
        if generation == self.generation:
            cached = self.plan_cache.get(key)
            if cached is not None:
                return cached, True
        if not self.settings.prepare_in_worker:
            budget = self._new_budget()
            entry = self._prepare_uncached(query, operation_name, override_labels, budget, supergraph)
            self._remember(key, query, entry, generation)
            return entry, False
        entry = await self._on_worker(
            key,
            query,
            lambda budget: self._prepare_uncached(query, operation_name, override_labels, budget, planned_on),
            generation,
        )
        return entry, False

    async def _on_worker(
        self,
        key: PlanCacheKey,
        query: str,
        prepare: Callable[[PlanningBudget], PreparedOperation | RequestFailure],
        generation: int,
    ) -> PreparedOperation | RequestFailure:
        """``prepare`` on a worker thread, remembered under ``key`` for ``generation``; identical cold keys
        arriving together (on one generation) are prepared once, and the work stops when every request waiting
        for it is cancelled."""
        preparing_key = (generation, key)
        preparing = self._preparing.get(preparing_key)
        if preparing is None:
            preparing = asyncio.ensure_future(self._run_on_worker(key, query, prepare, generation))
            self._preparing[preparing_key] = preparing
            preparing.add_done_callback(lambda _: self._preparing.pop(preparing_key, None))
        return await asyncio.shield(preparing)

    async def _run_on_worker(
        self,
        key: PlanCacheKey,
        query: str,
        prepare: Callable[[PlanningBudget], PreparedOperation | RequestFailure],
        generation: int,
    ) -> PreparedOperation | RequestFailure:
        budget = self._new_budget()

        def call() -> PreparedOperation | RequestFailure:
            return prepare(budget)

        if ACTIVE.on and traced():  # the worker's spans belong to this request's trace
            call = functools.partial(contextvars.copy_context().run, call)
        try:
            entry = await self.workers.run(call)
        except asyncio.CancelledError:
            budget.cancel()  # the worker's planning stops at its next step
            raise
        self._remember(key, query, entry, generation)
        return entry

    def _new_budget(self) -> PlanningBudget:
        # Without a limit the budget still lets a cancelled request stop its planning.
        units = self.settings.limits.planning_budget
        return PlanningBudget(units if units is not None else 1 << 62)

    def _remember(
        self, key: PlanCacheKey, query: str, entry: PreparedOperation | RequestFailure, generation: int
    ) -> None:
        """Cache ``entry`` unless its document is too long to keep, the request that planned it went away or
        it was planned for a supergraph that is no longer served."""
        if generation != self.generation or not self.plan_cache.cacheable(query):
            return
        if isinstance(entry, RequestFailure):
            if entry.errors and entry.errors[0].get("extensions", {}).get("code") == CANCELLED:
                return
            self.plan_cache.put(key, entry, failure=True)
        else:
            self.plan_cache.put(key, entry, size=entry.size)
            self.permanent.after_caching(busy=self._running > 0)

    def _prepare_uncached(
        self,
        query: str,
        operation_name: str | None,
        override_labels: frozenset[str],
        budget: PlanningBudget | None = None,
        supergraph: Supergraph | None = None,
    ) -> PreparedOperation | RequestFailure:
        supergraph = supergraph or self._supergraph
        assert supergraph is not None
        limits = self.settings.limits
        parse_started = time.time_ns() if ACTIVE.on and traced() else 0
        scan = scan_text(query, limits)
        if scan.exceeded is not None:
            return RequestFailure((scan.exceeded.to_error(),), ErrorKind.LIMIT)
        try:
            document = _parse(query, limits.max_tokens)
            exceeded = check_document(document, limits)
            if exceeded is not None:
                return RequestFailure((exceeded.to_error(),), ErrorKind.LIMIT)
            errors = validate_document(supergraph.api_schema, document, allow_empty_selection_sets=False)
        except GraphQLError as error:
            return RequestFailure((graphql_error_dict(error, GRAPHQL_PARSE_FAILED),))
        except RecursionError:  # nesting the text scan allowed but this interpreter's stack does not
            deepest = limits.max_recursion or 0
            return RequestFailure(
                (LimitExceeded("max_recursion", deepest, deepest).to_error(),), ErrorKind.LIMIT
            )
        if parse_started:
            ACTIVE.tracer.start_span("parse_query", start_time=parse_started).end()
        if errors:
            return RequestFailure(tuple(graphql_error_dict(e, GRAPHQL_VALIDATION_FAILED) for e in errors))
        operation = _select_operation(document, operation_name)
        if isinstance(operation, str):
            return RequestFailure((error_dict(operation, OPERATION_RESOLUTION_FAILURE),))
        selected_name = operation.name.value if operation.name else None
        try:
            if self._planner is None:
                self._planner = _default_planner()
            attributes = {"graphql.operation.name": selected_name} if selected_name else None
            with span("query_planning", attributes), planning_budget(budget):
                plan = self._planner(supergraph, document, selected_name, override_labels=override_labels)
        except Exception as exc:
            # An operation the supergraph cannot satisfy is the request's fault (a 4xx), never a 500; a planner
            # bug (RecursionError, ...) is logged with its trace and answered the same way, without internals.
            code = getattr(exc, "code", None)
            if code in (BUDGET_EXCEEDED, CANCELLED):
                message = f"Query planning stopped: {getattr(exc, 'message', exc)}."
                return RequestFailure((error_dict(message, str(code)),), ErrorKind.LIMIT)
            if isinstance(code, str):
                # Planning errors are values with codes and safe messages.
                logger.warning("query planning failed: %s", exc)
                message = f"Query planning failed: {getattr(exc, 'message', exc)}"
                return RequestFailure(
                    (error_dict(message, QUERY_PLANNING_FAILED, reason=code),), ErrorKind.REQUEST
                )
            logger.exception("query planning crashed")
            return RequestFailure(
                (error_dict("Query planning failed.", QUERY_PLANNING_FAILED),), ErrorKind.REQUEST
            )
        guards = authorization_guards(supergraph, document, operation)
        return PreparedOperation(document, operation, plan, estimate_entry_bytes(query, scan.tokens), guards)

    def _principal(self, headers: Mapping[str, str] | None) -> Principal:
        # The claims header is trusted only when authentication is on: operation_control then writes it.
        name = self.settings.claims_header
        value = _header(headers, name) if name else None
        try:
            return Principal.from_claims_header(value, self._policy)
        except ValueError:  # not JSON: the gateway did not write it
            return Principal(policy=self._policy)

    def _token_expiry(self, headers: Mapping[str, str] | None) -> float | None:
        """The verified token's ``exp`` (seconds since the epoch), from the claims the gateway wrote."""
        name = self.settings.claims_header
        value = _header(headers, name) if name else None
        if not value:
            return None
        try:
            expiry = orjson.loads(value).get("exp")
        except (orjson.JSONDecodeError, AttributeError):
            return None
        return float(expiry) if isinstance(expiry, int | float) and not isinstance(expiry, bool) else None

    async def _filtered(
        self,
        request: GraphQLRequest,
        labels: frozenset[str],
        entry: PreparedOperation,
        failing: frozenset[tuple[int, ...]],
        supergraph: Supergraph,
        generation: int,
    ) -> PreparedOperation | RequestFailure:
        """``entry`` planned without the ``failing`` selections; cached by that set, never by the token.
        Planned on a worker thread like any cold document: planning the filtered form of a large document
        costs what planning the document does."""
        facts = labels | {"unauthorized:" + ".".join(map(str, s)) for s in failing}
        key = plan_cache_key(request.query, request.operation_name, facts)
        cached = self.plan_cache.get(key) if generation == self.generation else None
        if cached is not None:
            return cached

        def prepare(budget: PlanningBudget) -> PreparedOperation | RequestFailure:
            return self._filter_and_plan(labels, entry, failing, budget, supergraph)

        if not self.settings.prepare_in_worker:
            filtered = prepare(self._new_budget())
            self._remember(key, request.query, filtered, generation)
            return filtered
        return await self._on_worker(key, request.query, prepare, generation)

    def _filter_and_plan(
        self,
        labels: frozenset[str],
        entry: PreparedOperation,
        failing: frozenset[tuple[int, ...]],
        budget: PlanningBudget,
        supergraph: Supergraph,
    ) -> PreparedOperation | RequestFailure:
        filtering = filter_operation(supergraph, entry.document, entry.operation, entry.guards, failing)
        if filtering.document is None:
            return replace(entry, filtering=filtering)  # nothing left to plan or run
        operation = cast(OperationDefinitionNode, filtering.document.definitions[0])
        name = operation.name.value if operation.name else None
        if self._planner is None:
            self._planner = _default_planner()
        try:
            with planning_budget(budget):
                plan = self._planner(supergraph, filtering.document, name, override_labels=labels)
        except Exception as exc:
            code = getattr(exc, "code", None)
            if code in (BUDGET_EXCEEDED, CANCELLED):
                message = f"Query planning stopped: {getattr(exc, 'message', exc)}."
                return RequestFailure((error_dict(message, str(code)),), ErrorKind.LIMIT)
            logger.warning("query planning of a filtered operation failed: %s", exc)
            return RequestFailure((error_dict("Query planning failed.", QUERY_PLANNING_FAILED),))
        return PreparedOperation(filtering.document, operation, plan, entry.size, filtering=filtering)

    async def execute(
        self,
        request: GraphQLRequest,
        *,
        headers: Mapping[str, str] | None = None,
        http_method: str = "POST",
    ) -> dict[str, Any]:
        """Run one request and return its GraphQL response map (``data``/``errors``/``extensions``)."""
        return (await self.run(request, headers=headers, http_method=http_method)).result

    async def run(
        self,
        request: GraphQLRequest,
        *,
        headers: Mapping[str, str] | None = None,
        http_method: str = "POST",
    ) -> GatewayResponse:
        """Like ``execute``, also telling why there is no ``data`` (for the HTTP status code).

        The request id is the client's well-formed ``X-Request-Id`` or a new one; it is bound while the request
        runs (so logged subgraph errors carry it, ``gateway.execution.masking``) and returned with any error.
        """
        incoming = _header(headers, "x-request-id")
        request_id = accepted_request_id(incoming) or new_request_id()
        self._running += 1
        try:
            with request_id_scope(request_id):
                if ACTIVE.on and traced():
                    outcome = await self._traced_run(request, headers, http_method)
                else:
                    outcome = await self._run(request, headers, http_method)
        finally:
            self._running -= 1
            if not self._running:
                self.permanent.idle()
        if outcome.result.get("errors"):
            extensions = outcome.result.get("extensions")
            outcome.result["extensions"] = {**(extensions or {}), "requestId": request_id}
        return replace(outcome, request_id=request_id)

    async def _traced_run(
        self, request: GraphQLRequest, headers: Mapping[str, str] | None, http_method: str
    ) -> GatewayResponse:
        with ACTIVE.tracer.start_as_current_span("supergraph") as supergraph_span:
            outcome = await self._run(request, headers, http_method)
            record = current_record()
            if record is not None and record.prepared:
                if record.operation_name:
                    supergraph_span.set_attribute("graphql.operation.name", record.operation_name)
                supergraph_span.set_attribute("graphql.operation.type", record.operation_type or "")
            elif request.operation_name:
                supergraph_span.set_attribute("graphql.operation.name", request.operation_name)
            supergraph_span.set_attribute("graphql.plan_cache.hit", outcome.cache_hit)
            if outcome.result.get("errors"):
                codes = sorted(
                    {
                        str(e.get("extensions", {}).get("code"))
                        for e in outcome.result["errors"]
                        if isinstance(e, dict) and isinstance(e.get("extensions"), dict)
                    }
                )
                supergraph_span.set_attribute("graphql.error.codes", codes)
            return outcome

    async def _admit(
        self,
        request: GraphQLRequest,
        headers: Mapping[str, str] | None,
        http_method: str,
        streaming: bool = False,
    ) -> _Admitted | GatewayResponse:
        """Every check before execution (plan, method, introspection, variables, authorization, demand
        control): the operation ready to run, or the response that refuses it."""
        # The generation this request runs on, whatever reload happens while it does.
        supergraph, executor, costs = self._supergraph, self._executor, self._costs
        generation = self.generation
        if supergraph is None or executor is None:
            missing = "supergraph" if supergraph is None else "executor"
            return GatewayResponse(
                {"errors": [error_dict(f"The gateway has no {missing} loaded.", INTERNAL_SERVER_ERROR)]},
                ErrorKind.INTERNAL,
            )
        labels = self._overrides.enabled(headers)
        entry, hit = await self.prepare_async(
            request.query, request.operation_name, labels, supergraph=supergraph, generation=generation
        )
        if isinstance(entry, RequestFailure):
            return GatewayResponse({"errors": list(entry.errors)}, entry.kind, hit)
        record = current_record()
        if record is not None:
            operation = entry.operation
            record.operation(operation.name.value if operation.name else None, operation.operation.value)
            record.cache_hit = hit
        kind = entry.operation.operation
        if http_method == "GET" and kind is not OperationType.QUERY:
            if not (streaming and kind is OperationType.SUBSCRIPTION):
                message = f"Only query operations may be sent with GET; send this {kind.value} with POST."
                return GatewayResponse(
                    {"errors": [error_dict(message, METHOD_NOT_ALLOWED)]}, ErrorKind.METHOD_NOT_ALLOWED, hit
                )
        if kind is OperationType.SUBSCRIPTION and not streaming:
            message = (
                "Subscriptions need a streaming transport: GraphQL over WebSocket (graphql-transport-ws), "
                'GraphQL over SSE (Accept: text/event-stream) or multipart (Accept: multipart/mixed; subscriptionSpec="1.0").'
            )
            return GatewayResponse(
                {"errors": [error_dict(message, STREAMING_TRANSPORT_REQUIRED)]}, ErrorKind.REQUEST, hit
            )
        if not self.settings.introspection and selects_introspection(entry.document, entry.operation):
            message = "Introspection is disabled on this gateway."
            return GatewayResponse(
                {"errors": [error_dict(message, INTROSPECTION_DISABLED)]}, ErrorKind.REQUEST, hit
            )
        coerced = get_variable_values(
            supergraph.api_schema,
            entry.operation.variable_definitions or (),
            request.variables or {},
            50,
        )
        if isinstance(coerced, list):
            return GatewayResponse(
                {"errors": [graphql_error_dict(e, BAD_USER_INPUT) for e in coerced]}, ErrorKind.REQUEST, hit
            )
        variables = coerced.coerced
        base = entry
        if entry.guards:
            failing = failing_guards(entry.guards, self._principal(headers))
            if failing and self.settings.reject_unauthorized:
                errors = unauthorized_errors(entry.guards, failing)
                return GatewayResponse({"errors": errors}, ErrorKind.FORBIDDEN, hit)
            if failing:
                filtered = await self._filtered(request, labels, entry, failing, supergraph, generation)
                if isinstance(filtered, RequestFailure):
                    return GatewayResponse({"errors": list(filtered.errors)}, filtered.kind, hit)
                entry = filtered
        if entry.filtering is not None and entry.filtering.document is None:
            return GatewayResponse(restore_unauthorized({}, entry.filtering), None, hit)
        cost = None
        demand = self.settings.demand_control
        show_cost = demand.include_in_extensions or (_header(headers, demand.header) or "").lower() in _TRUE
        if costs is not None and (demand.max is not None or show_cost):
            # Demand control (gateway.server.demand_control): refused before any subgraph is called.
            cost, refusal = costs.check(entry.document, entry.operation, variables)
            if refusal is not None:
                return GatewayResponse({"errors": [refusal.to_error()]}, ErrorKind.LIMIT, hit)
        return _Admitted(entry, variables, labels, hit, cost if show_cost else None, base, executor)

    async def _run(
        self,
        request: GraphQLRequest,
        headers: Mapping[str, str] | None,
        http_method: str,
        admitted: _Admitted | GatewayResponse | None = None,
    ) -> GatewayResponse:
        if admitted is None:
            admitted = await self._admit(request, headers, http_method)
        if isinstance(admitted, GatewayResponse):
            return admitted
        entry, variables, labels, hit = admitted.entry, admitted.variables, admitted.labels, admitted.hit
        executor = admitted.executor
        demand = self.settings.demand_control
        try:
            key = None
            if self.settings.deduplicate_inflight and entry.operation.operation is OperationType.QUERY:
                # The executor's HeaderPolicy (gateway.execution.HeaderPolicy) decides what subgraphs see.
                apply = getattr(getattr(executor, "header_policy", None), "apply", None)
                forwarded = apply(headers) if callable(apply) else None
                key = operation_key(
                    request.query, request.operation_name, request.variables, labels, forwarded, headers
                )
            with span("execution"):
                if key is None:
                    result = await executor.execute(entry.plan, variables, request_headers=headers)
                else:
                    shared = await self.inflight.run(
                        (id(executor), key),
                        lambda: executor.execute(entry.plan, variables, request_headers=headers),
                    )
                    # Every caller gets its own top-level map: the extensions below are per request.
                    result = dict(shared)
                    if isinstance(shared.get("extensions"), dict):
                        result["extensions"] = dict(shared["extensions"])
            if entry.filtering is not None:
                result = restore_unauthorized(_copied(result), entry.filtering)
        except Exception:
            logger.exception("execution crashed [request_id=%s]", current_request_id())
            return GatewayResponse(
                {"errors": [error_dict("Internal server error.", INTERNAL_SERVER_ERROR)]},
                ErrorKind.INTERNAL,
                hit,
            )
        if self.settings.expose_query_plan and headers:
            asked = headers.get(self.settings.query_plan_header)
            if asked is not None and asked.lower() in _TRUE:
                extensions = result.setdefault("extensions", {})
                extensions["queryPlan"] = entry.plan.to_json()
        if admitted.cost is not None:
            result.setdefault("extensions", {})["cost"] = {"estimated": admitted.cost, "max": demand.max}
        return GatewayResponse(result, None if "data" in result else ErrorKind.INTERNAL, hit)

    async def start(
        self,
        request: GraphQLRequest,
        *,
        headers: Mapping[str, str] | None = None,
        http_method: str = "POST",
    ) -> GatewayResponse | SubscriptionStream:
        """For the streaming transports (WebSocket, SSE, multipart): a subscription's event stream, or the one
        response of a query or mutation (or of a request refused before it ran). A refused subscription has
        the same coded errors as over HTTP; over ``subscriptions.max_total`` it gets ``TOO_MANY_SUBSCRIPTIONS``."""
        incoming = _header(headers, "x-request-id")
        request_id = accepted_request_id(incoming) or new_request_id()
        with request_id_scope(request_id):
            admitted = await self._admit(request, headers, http_method, streaming=True)
            if (
                not isinstance(admitted, GatewayResponse)
                and admitted.entry.operation.operation is OperationType.SUBSCRIPTION
            ):
                limit = self.settings.subscriptions.max_total
                if limit is not None and len(self.subscriptions) >= limit:
                    message = f"The gateway serves at most {limit} subscriptions at once; try again later."
                    admitted = GatewayResponse(
                        {"errors": [error_dict(message, TOO_MANY_SUBSCRIPTIONS, limit="max_total")]},
                        ErrorKind.LIMIT,
                    )
                else:
                    stream = SubscriptionStream(
                        self, request, admitted, headers, admitted.executor, request_id
                    )
                    if self.settings.expose_query_plan:
                        asked = _header(headers, self.settings.query_plan_header)
                        stream.show_plan = asked is not None and asked.lower() in _TRUE
                    stream.expire_at(self._token_expiry(headers))
                    self.subscriptions.add(stream)
                    return stream
            outcome = await self._run(request, headers, http_method, admitted)
        if outcome.result.get("errors"):
            extensions = outcome.result.get("extensions")
            outcome.result["extensions"] = {**(extensions or {}), "requestId": request_id}
        return replace(outcome, request_id=request_id)

    def plan(
        self, query: str, operation_name: str | None = None, override_labels: frozenset[str] = frozenset()
    ) -> QueryPlan | RequestFailure:
        """The plan of one operation, or why it cannot run (used by ``explain``)."""
        entry, _ = self.prepare(query, operation_name, override_labels)
        return entry.plan if isinstance(entry, PreparedOperation) else entry
