"""The executor: runs a query plan against the subgraphs and builds the client's GraphQL response.

Plan semantics are those of ``gateway.planning.plan`` (Apollo's query plan shape); entity fetches follow the
Apollo Federation subgraph spec ("Query._entities"); the response follows GraphQL spec section 7.1 "Response
Format", with null propagation as in section 6.4.4 "Handling Field Errors".
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Undefined,
    execute_sync,
    get_named_type,
    value_from_ast,
)

from ..composition.supergraph import Supergraph
from ..planning.plan import (
    ConditionNode,
    EventSourceNode,
    FetchNode,
    FieldSelection,
    FlattenNode,
    InlineFragmentSelection,
    ParallelNode,
    PlanNode,
    QueryPlan,
    RequiresSelection,
    SequenceNode,
    SubscriptionNode,
)
from ..telemetry.request import current_record
from .batching import (
    EntityOperation,
    merge_entity_operations,
    representations_variable,
    split_entity_response,
)
from .client import HeaderPolicy, SubgraphClient, SubgraphFetchError, SubgraphRequest, SubgraphResponse
from .entities import (
    EntityBatch,
    PathSegment,
    build_representation,
    collect_objects,
    deep_merge,
    find_objects,
    parse_flatten_path,
)
from .masking import SUBGRAPH_REQUEST_FAILED, ErrorMasking
from .nats_events import render_subject
from .shaping import CompiledOperation, FailureMark, ResponseShaper
from .sharing import StreamOverflow
from .subscriptions import SubscriptionSources

__all__ = ["SUBGRAPH_REQUEST_FAILED", "SUBSCRIPTION_OVERFLOW", "Executor"]

logger = logging.getLogger(__name__)

ResponsePath = tuple[str | int, ...]

# A subscriber that fell ``max_pending`` events behind its shared upstream (gateway.execution.sharing).
SUBSCRIPTION_OVERFLOW = "SUBSCRIPTION_OVERFLOW"


# A resolvable @key of the fetch's subgraph as a representation selection (``EntityKey.selections``).
_Key = tuple[RequiresSelection, ...]


class _PreparedFetch:
    """What the executor derives from a ``FetchNode``, once per plan (kept in the executor's ``_PreparedPlan``)."""

    __slots__ = (
        "_flat_keys",
        "_fragment_by_type",
        "_keys",
        "_keys_by_type",
        "entity_keys",
        "entity_operation",
        "flatten_path",
        "requires",
        "root_keys",
        "schema",
        "segments",
        "typename_rewrites",
    )

    def __init__(self, fetch: FetchNode, schema: Any, flatten_path: tuple[str, ...] | None) -> None:
        self.schema = schema
        self.segments: tuple[PathSegment, ...] = parse_flatten_path(flatten_path or ())
        self.flatten_path = flatten_path
        self.requires = fetch.requires
        # Apollo's inputRewrites (ValueSetter on __typename): the target knows the entity as an @interfaceObject.
        self.typename_rewrites: dict[str, str] = {
            r.type_condition: r.set_typename_to for r in fetch.input_rewrites
        }
        document = fetch.document
        operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        # Response keys the fetch provides: at the root for a root fetch, per type condition under _entities.
        self.root_keys: frozenset[str] = frozenset()
        self.entity_keys: dict[str | None, set[str]] = {}
        if fetch.requires is None:
            keys: dict[str | None, set[str]] = {}
            _response_keys(operation.selection_set, None, fragments, keys)
            self.root_keys = frozenset(k for ks in keys.values() for k in ks)
        else:
            for sel in operation.selection_set.selections:
                if isinstance(sel, FieldNode) and sel.name.value == "_entities" and sel.selection_set:
                    _response_keys(sel.selection_set, None, fragments, self.entity_keys)
        self._fragment_by_type: dict[Any, Any] = {}
        self._keys_by_type: dict[Any, frozenset[str]] = {}
        # The operation's parts for merging with other entity fetches to the same subgraph (None: send alone).
        self.entity_operation = (
            EntityOperation.of(fetch.operation, document) if fetch.requires is not None else None
        )
        # The keys a representation must hold, by __typename; and the field names of a type's only key when it
        # is flat (the common case), for a faster check.
        self._keys: dict[str, list[_Key]] = {}
        for key in fetch.entity_keys:
            self._keys.setdefault(key.type_name, []).append(key.selections)
        self._flat_keys: dict[str, tuple[str, ...] | None] = {
            t: _flat_key(ks) for t, ks in self._keys.items()
        }

    def identifies(self, representation: dict[str, Any]) -> bool:
        """Whether ``representation`` holds one of the target's resolvable ``@key``s without a null in it."""
        typename = representation.get("__typename")
        keys = self._keys.get(typename) if isinstance(typename, str) else None
        if keys is None:
            return True  # the plan names no key for the type: the subgraph decides
        flat = self._flat_keys[typename]  # type: ignore[index]
        if flat is not None:
            for name in flat:
                if representation.get(name) is None:
                    return False
            return True
        return any(_complete(key, representation) for key in keys)

    def matches(self, type_condition: str, typename: Any) -> bool:
        """Whether an object of runtime type ``typename`` falls under ``type_condition``."""
        if type_condition == typename:
            return True
        if not isinstance(typename, str) or self.schema is None:
            return False
        cond = self.schema.get_type(type_condition)
        obj = self.schema.get_type(typename)
        if isinstance(cond, GraphQLInterfaceType | GraphQLUnionType) and isinstance(obj, GraphQLObjectType):
            return bool(self.schema.is_sub_type(cond, obj))
        return False

    def fragment_for(self, typename: Any) -> Any:
        """The ``requires`` inline fragment for ``typename`` (exact type first, then abstract), or None."""
        try:
            return self._fragment_by_type[typename]
        except KeyError:
            pass
        found = None
        for frag in self.requires or ():
            if frag.type_condition == typename:
                found = frag
                break
        if found is None:
            for frag in self.requires or ():
                if self.matches(frag.type_condition, typename):
                    found = frag
                    break
        self._fragment_by_type[typename] = found
        return found

    def keys_for(self, typename: Any) -> frozenset[str]:
        """The response keys this entity fetch should add to an object of type ``typename``."""
        try:
            return self._keys_by_type[typename]
        except KeyError:
            pass
        keys: set[str] = set()
        for cond, ks in self.entity_keys.items():
            if cond is None or self.matches(cond, typename):
                keys |= ks
        frozen = frozenset(keys)
        self._keys_by_type[typename] = frozen
        return frozen


def _response_keys(
    selection_set: SelectionSetNode,
    type_condition: str | None,
    fragments: Mapping[str, Any],
    out: dict[str | None, set[str]],
) -> None:
    for sel in selection_set.selections:
        if isinstance(sel, FieldNode):
            out.setdefault(type_condition, set()).add(sel.alias.value if sel.alias else sel.name.value)
        elif isinstance(sel, InlineFragmentNode):
            cond = sel.type_condition.name.value if sel.type_condition else type_condition
            _response_keys(sel.selection_set, cond, fragments, out)
        elif isinstance(sel, FragmentSpreadNode):
            fragment = fragments.get(sel.name.value)
            if fragment is not None:
                _response_keys(fragment.selection_set, fragment.type_condition.name.value, fragments, out)


class _PreparedPlan:
    """What the executor derives from a ``QueryPlan`` (the plan itself stays as the planner made it).

    Refers to its plan weakly: the plan cache decides how long a plan lives, and this goes with it (the
    executor's entry is dropped when the plan is freed). Fetches are looked up by identity, which stays theirs
    while the plan lives.
    """

    __slots__ = ("_fetches", "merged", "operation", "plan", "schema")

    def __init__(
        self, plan_ref: weakref.ref[QueryPlan], plan: QueryPlan, api_schema: GraphQLSchema, schema: Any
    ) -> None:
        self.plan = plan_ref
        self.schema = schema
        self.operation = (
            CompiledOperation(
                api_schema,
                plan.document,
                plan.operation_name,
                dict(plan.response_aliases),
                plan.dropped_fragments,
            )
            if plan.document is not None
            else None
        )
        self._fetches: dict[int, _PreparedFetch] = {}
        # Merged operation text of entity fetches sent together, by the identities of the fetches merged.
        self.merged: dict[tuple[int, ...], tuple[str, str] | None] = {}

    def fetch(self, fetch: FetchNode, flatten_path: tuple[str, ...] | None = None) -> _PreparedFetch:
        prepared = self._fetches.get(id(fetch))
        if prepared is None:
            prepared = self._fetches[id(fetch)] = _PreparedFetch(fetch, self.schema, flatten_path)
        return prepared


class _Run:
    """The state of one execution: merged data, errors, objects whose fetch failed."""

    __slots__ = ("data", "defaults", "errors", "headers", "marks", "prepared", "queues", "variables")

    def __init__(
        self, prepared: _PreparedPlan, variables: Mapping[str, Any], headers: dict[str, str] | None
    ) -> None:
        self.prepared = prepared
        self.defaults: Mapping[str, Any] = {}
        self.data: dict[str, Any] = {}
        self.errors: list[dict[str, Any]] = []
        self.marks: dict[int, tuple[dict[str, Any], dict[str, FailureMark]]] = {}
        self.variables = variables
        self.headers = headers
        # Entity fetches waiting to be sent together, by subgraph (see Executor._send_entities).
        self.queues: dict[str, list[_QueuedFetch]] = {}

    def branch(self) -> _Run:
        """The same execution with its own error list, so parallel branches report errors in plan order."""
        child = _Run.__new__(_Run)
        child.data, child.defaults, child.marks = self.data, self.defaults, self.marks
        child.variables, child.headers, child.errors = self.variables, self.headers, []
        child.queues, child.prepared = self.queues, self.prepared
        return child

    def mark_failed(self, obj: dict[str, Any], keys: frozenset[str], mark: FailureMark) -> None:
        entry = self.marks.get(id(obj))
        if entry is None:
            entry = (obj, {})  # holding obj keeps its id from being reused
            self.marks[id(obj)] = entry
        for key in keys:
            entry[1].setdefault(key, mark)


# The null of an entity whose own error is already reported at its path: its fields add no further error.
_EXPLAINED = FailureMark(None)

_QueuedFetch = tuple[FetchNode, SubgraphRequest, "asyncio.Future[SubgraphResponse | FailureMark] | None"]

# Plans prepared for execution kept at once (least recently run dropped first); an entry also goes when its
# plan is freed (the plan cache let it go), so this bounds only plans that something else keeps alive.
_PREPARED_CACHE_SIZE = 4096


class Executor:
    """Executes query plans (``gateway.planning.plan``) through a :class:`SubgraphClient`.

    ``header_policy`` chooses which client request headers every subgraph request carries (none by default).
    ``batch_entity_fetches`` sends the entity fetches of one execution that wait for the same subgraph at the
    same time as one request (``gateway.execution.batching``). ``masking`` decides what of subgraph errors
    clients see (``gateway.execution.masking``; by default only client-facing messages and codes).
    ``subscriptions`` opens subscription streams (``gateway.execution.subscriptions``; kept across
    supergraph reloads, so one instance serves every executor of a process); each event is then run like a
    query's plan after its root fetch (``execute_event``).
    """

    def __init__(
        self,
        supergraph: Supergraph,
        client: SubgraphClient,
        *,
        header_policy: HeaderPolicy | None = None,
        batch_entity_fetches: bool = True,
        masking: ErrorMasking | None = None,
        subscriptions: SubscriptionSources | None = None,
    ) -> None:
        self.supergraph = supergraph
        self.subscriptions = subscriptions
        self.masking = masking or ErrorMasking()
        self.client = client
        self.header_policy = header_policy or HeaderPolicy()
        self.batch_entity_fetches = batch_entity_fetches
        self._type_schema = supergraph.schema if supergraph.schema is not None else supergraph.api_schema
        # Plans prepared for execution, by identity; an entry goes when its plan is freed (``_prepare``).
        self._prepared: OrderedDict[int, _PreparedPlan] = OrderedDict()

    async def execute(
        self,
        plan: QueryPlan,
        variables: Mapping[str, Any] | None,
        *,
        request_headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Run ``plan`` and return ``{"data": ..., "errors": [...]}`` ("errors" only when there are some)."""
        variables = variables or {}
        prepared = self._prepare(plan)
        run = _Run(prepared, variables, self.header_policy.apply(request_headers) or None)
        operation = prepared.operation
        shape = None
        if operation is not None:
            shape = operation.shape(variables)
            run.defaults = operation.defaults
        if plan.node is not None:
            await self._node(plan.node, run)
        if shape is None:
            data: dict[str, Any] | None = run.data  # no client operation to shape by: data as merged
        else:
            if shape.introspection is not None:
                self._introspect(shape.introspection, variables, run)
            data = ResponseShaper(run.errors, run.marks).shape(shape.root, run.data)
        response: dict[str, Any] = {"data": data}
        if run.errors:
            response["errors"] = run.errors
        return response

    # -- subscriptions (gateway.planning.subscription, gateway.execution.subscriptions) ----------------------

    def event_stream(
        self,
        plan: QueryPlan,
        variables: Mapping[str, Any] | None,
        *,
        request_headers: Mapping[str, str] | None = None,
    ) -> AsyncIterator[SubgraphResponse]:
        """The upstream events of a subscription plan: the subgraph's ``next`` payloads, or event-driven
        messages as ``{response key: message}`` data. Raises ``SubgraphFetchError`` when the stream fails and
        ``ValueError`` when an event subject cannot be built from the arguments."""
        node = plan.node
        if not isinstance(node, SubscriptionNode):
            raise TypeError("event_stream needs a subscription plan")
        if self.subscriptions is None:
            raise SubgraphFetchError(
                node.primary.service_name, "SUBGRAPH_UNKNOWN", "This gateway has no subscription transport"
            )
        variables = variables or {}
        headers = self.header_policy.apply(request_headers) or None
        primary = node.primary
        if isinstance(primary, EventSourceNode):
            return self._event_messages(primary, variables)
        subgraph = self.supergraph.subgraphs.get(primary.service_name)
        url = subgraph.url if subgraph is not None else ""
        request = self._request(primary, _Run(self._prepare(plan), variables, headers))
        return self.subscriptions.subgraph_stream(primary.service_name, url, request)

    async def _event_messages(
        self, primary: EventSourceNode, variables: Mapping[str, Any]
    ) -> AsyncIterator[SubgraphResponse]:
        assert self.subscriptions is not None
        subscription_type = self.supergraph.api_schema.subscription_type
        field_def = subscription_type.fields[primary.field_name] if subscription_type is not None else None
        root = next(
            s
            for d in primary.fetch.document.definitions
            if isinstance(d, OperationDefinitionNode)
            for s in d.selection_set.selections
            if isinstance(s, FieldNode)
        )
        arguments = _argument_values(field_def, root, variables) if field_def is not None else {}
        subjects = [render_subject(t, arguments) for t in primary.subjects]
        named = get_named_type(field_def.type) if field_def is not None else None
        typename = named.name if isinstance(named, GraphQLObjectType) else None
        messages = self.subscriptions.event_stream(
            primary.service_name, primary.provider_id, subjects, primary.stream
        )
        async for message in messages:
            if typename is not None and "__typename" not in message:
                message = {"__typename": typename, **message}
            yield SubgraphResponse({primary.response_key: message})

    async def execute_event(
        self,
        plan: QueryPlan,
        variables: Mapping[str, Any] | None,
        event: SubgraphResponse,
        *,
        request_headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """One event of a subscription as the client's response: the event's data merged as the root fetch's
        answer would be, the per-event plan run on it, then masked, null-propagated and shaped."""
        node = plan.node
        if not isinstance(node, SubscriptionNode):
            raise TypeError("execute_event needs a subscription plan")
        variables = variables or {}
        prepared = self._prepare(plan)
        run = _Run(prepared, variables, self.header_policy.apply(request_headers) or None)
        operation = prepared.operation
        shape = None
        if operation is not None:
            shape = operation.shape(variables)
            run.defaults = operation.defaults
        primary = node.primary
        fetch = primary.fetch if isinstance(primary, EventSourceNode) else primary
        self._merge_root(fetch, event, run)
        if node.rest is not None and run.data:
            await self._node(node.rest, run)
        data = (
            run.data if shape is None else ResponseShaper(run.errors, run.marks).shape(shape.root, run.data)
        )
        response: dict[str, Any] = {"data": data}
        if run.errors:
            response["errors"] = run.errors
        return response

    def stream_error(self, plan: QueryPlan, exc: BaseException) -> dict[str, Any]:
        """The last response of a subscription whose upstream failed: a masked error, no data."""
        node = plan.node
        service = node.primary.service_name if isinstance(node, SubscriptionNode) else "unknown"
        if isinstance(exc, SubgraphFetchError):
            error = self.masking.transport_error(service, exc.code, exc.message, status=exc.status)
        elif isinstance(exc, StreamOverflow):
            message = "This subscription fell too far behind its events and was ended; subscribe again."
            error = {"message": message, "extensions": {"code": SUBSCRIPTION_OVERFLOW}}
        elif isinstance(exc, ValueError) and isinstance(node, SubscriptionNode):
            # An event subject the arguments cannot fill (gateway.execution.nats_events.render_subject).
            primary = node.primary
            path = [primary.response_key] if isinstance(primary, EventSourceNode) else None
            error = {"message": f"Cannot subscribe: {exc}.", "extensions": {"code": "BAD_USER_INPUT"}}
            if path:
                error["path"] = path
        else:
            logger.error("subscription to subgraph %s failed: %r", service, exc)
            error = self.masking.transport_error(service, "SUBGRAPH_UNKNOWN", repr(exc))
        return {"data": None, "errors": [error]}

    async def subscribe(
        self,
        plan: QueryPlan,
        variables: Mapping[str, Any] | None,
        *,
        request_headers: Mapping[str, str] | None = None,
    ) -> AsyncIterator[dict[str, Any]]:
        """Every event of a subscription plan as a client response; a failing upstream ends it with one
        masked error response."""
        try:
            events = self.event_stream(plan, variables, request_headers=request_headers)
            async for event in events:
                yield await self.execute_event(plan, variables, event, request_headers=request_headers)
        except (SubgraphFetchError, StreamOverflow, ValueError) as exc:
            yield self.stream_error(plan, exc)

    def _introspect(self, document: Any, variables: Mapping[str, Any], run: _Run) -> None:
        """Answer ``__schema``/``__type`` from the API schema (GraphQL spec section 4 "Introspection")."""
        result = execute_sync(self.supergraph.api_schema, document, variable_values=dict(variables))
        if result.data:
            run.data.update(result.data)
        # Paths and locations are the client's own: these fields come straight from its document.
        run.errors.extend(dict(error.formatted) for error in result.errors or ())

    async def _node(self, node: PlanNode, run: _Run) -> None:
        if isinstance(node, FetchNode):
            await self._root_fetch(node, run)
        elif isinstance(node, FlattenNode):
            await self._entity_fetch(node, run)
        elif isinstance(node, SequenceNode):
            for child in node.nodes:
                await self._node(child, run)
        elif isinstance(node, ParallelNode):
            if len(node.nodes) == 1:
                await self._node(node.nodes[0], run)
            elif node.nodes:
                branches = [run.branch() for _ in node.nodes]
                await asyncio.gather(*(self._node(c, b) for c, b in zip(node.nodes, branches, strict=True)))
                for b in branches:
                    run.errors.extend(b.errors)
        elif isinstance(node, ConditionNode):
            value = run.variables.get(node.condition, run.defaults.get(node.condition, False))
            branch = node.if_clause if value else node.else_clause
            if branch is not None:
                await self._node(branch, run)
        elif isinstance(node, SubscriptionNode):
            raise TypeError("A subscription plan runs through Executor.subscribe, not execute")
        else:
            raise TypeError(f"Unknown plan node {type(node).__name__}")

    def _prepare(self, plan: QueryPlan) -> _PreparedPlan:
        """The executor's own derived form of ``plan``, built on its first run and kept while the plan lives."""
        key = id(plan)
        prepared = self._prepared.get(key)
        if prepared is not None and prepared.plan() is plan:
            self._prepared.move_to_end(key)
            return prepared
        entries = self._prepared

        def forget(ref: weakref.ref[QueryPlan]) -> None:
            entry = entries.get(key)
            if entry is not None and entry.plan is ref:
                del entries[key]

        prepared = _PreparedPlan(
            weakref.ref(plan, forget), plan, self.supergraph.api_schema, self._type_schema
        )
        entries[key] = prepared
        if len(entries) > _PREPARED_CACHE_SIZE:
            entries.popitem(last=False)
        return prepared

    def _request(self, fetch: FetchNode, run: _Run, extra: dict[str, Any] | None = None) -> SubgraphRequest:
        variables = dict(extra) if extra else {}
        for name in fetch.variable_usages:
            if name in run.variables:
                variables[name] = run.variables[name]
        return SubgraphRequest(fetch.operation, variables or None, fetch.operation_name, run.headers)

    async def _send(self, fetch: FetchNode, request: SubgraphRequest) -> SubgraphResponse | FailureMark:
        """One subgraph request, counted in the request's record (``gateway.telemetry.request``) when it has one."""
        record = current_record()
        if record is None:
            outcome, _ = await self._send_once(fetch, request)
            return outcome
        started = time.perf_counter()
        outcome, code = await self._send_once(fetch, request)
        record.fetched(fetch.service_name, time.perf_counter() - started, code)
        return outcome

    async def _send_once(
        self, fetch: FetchNode, request: SubgraphRequest
    ) -> tuple[SubgraphResponse | FailureMark, str | None]:
        """The answer, and the transport error code when there is none."""
        service = fetch.service_name
        try:
            return await self.client.fetch(service, request), None
        except SubgraphFetchError as exc:
            mark = FailureMark(
                self.masking.transport_error(service, exc.code, exc.message, status=exc.status)
            )
            return mark, exc.code
        except Exception as exc:
            logger.exception("request to subgraph %s failed", service)
            return FailureMark(
                self.masking.transport_error(service, "SUBGRAPH_UNKNOWN", repr(exc))
            ), "SUBGRAPH_UNKNOWN"

    async def _root_fetch(self, fetch: FetchNode, run: _Run) -> None:
        outcome = await self._send(fetch, self._request(fetch, run))
        self._merge_root(fetch, outcome, run)

    def _merge_root(self, fetch: FetchNode, outcome: SubgraphResponse | FailureMark, run: _Run) -> None:
        prepared = run.prepared.fetch(fetch)
        if isinstance(outcome, FailureMark):
            run.mark_failed(run.data, prepared.root_keys, outcome)
            return
        service = fetch.service_name
        data = outcome.data or {}
        # The root fields this fetch left null: where an error without a path belongs (GraphQL spec 7.1.2).
        unresolved = frozenset(k for k in prepared.root_keys if data.get(k) is None)
        for error in outcome.errors or ():
            path = error.get("path")
            if isinstance(path, list) and path:
                run.errors.append(self.masking.subgraph_error(error, service, list(path)))
            elif unresolved:
                mark = FailureMark(self.masking.subgraph_error(error, service, None))
                run.mark_failed(run.data, unresolved, mark)
                unresolved = frozenset()  # the first such error explains them; any others pass as they are
            else:
                run.errors.append(self.masking.subgraph_error(error, service, None))
        if outcome.data:
            deep_merge(run.data, outcome.data)

    async def _entity_fetch(self, flatten: FlattenNode, run: _Run) -> None:
        fetch = flatten.node
        prepared = run.prepared.fetch(fetch, flatten.path)
        batch = EntityBatch()
        # The segments prepared with the fetch, unless the same FetchNode stands under another Flatten too.
        segments = (
            prepared.segments if prepared.flatten_path == flatten.path else parse_flatten_path(flatten.path)
        )
        for obj in find_objects(run.data, segments):
            typename = obj.get("__typename")
            fragment = prepared.fragment_for(typename)
            if fragment is None:
                continue
            representation = build_representation(fragment.selections, obj, prepared.matches)
            if representation is None:
                # A field the representation needs is missing: if an earlier fetch for it failed, so does this one.
                entry = run.marks.get(id(obj))
                if entry is not None and entry[1]:
                    run.mark_failed(obj, prepared.keys_for(typename), next(iter(entry[1].values())))
                continue
            if prepared.typename_rewrites:
                rewrite = prepared.typename_rewrites.get(fragment.type_condition)
                if rewrite is not None:
                    representation["__typename"] = rewrite
            if not prepared.identifies(representation):
                # A null key field names no entity (subgraph spec, "_entities"): the fields stay unresolved.
                continue
            batch.add(representation, obj, ())  # paths only when an error needs them, below
        if not batch.representations:
            return
        request = self._request(fetch, run, {"representations": batch.representations})
        if self.batch_entity_fetches and prepared.entity_operation is not None:
            outcome = await self._send_entities(fetch, request, run)
        else:
            outcome = await self._send(fetch, request)
        if isinstance(outcome, FailureMark):
            self._fail_batch(batch, prepared, outcome, run)
            return
        service = fetch.service_name
        count = len(batch.representations)
        entities = outcome.data.get("_entities") if outcome.data else None
        if type(entities) is not list or len(entities) != count:
            if not outcome.errors:
                got = "no _entities list" if type(entities) is not list else f"{len(entities)} entities"
                message = f'Subgraph "{service}" returned {got} for {count} representations'
                mark = FailureMark(
                    self.masking.transport_error(service, "SUBGRAPH_INVALID_RESPONSE", message)
                )
                self._fail_batch(batch, prepared, mark, run)
                return
            entities = [None] * count
        explained = self._place_entity_errors(
            outcome.errors or (), entities, batch, prepared, segments, run, service
        )
        for i, (entity, origins) in enumerate(zip(entities, batch.origins, strict=True)):
            if type(entity) is dict:
                for obj, _ in origins:
                    deep_merge(obj, entity)
            elif i in explained:
                mark = explained[i]
                for obj, _ in origins:
                    run.mark_failed(obj, prepared.keys_for(obj.get("__typename")), mark)

    def _place_entity_errors(
        self,
        errors: Sequence[Mapping[str, Any]],
        entities: list[Any],
        batch: EntityBatch,
        prepared: _PreparedFetch,
        segments: tuple[PathSegment, ...],
        run: _Run,
        service: str,
    ) -> dict[int, FailureMark]:
        """Put an entity fetch's errors at client paths; what explains each entity that came back null.

        An error at ``["_entities", i, ...]`` goes to the path of every object representation ``i`` came from;
        the fields of a null entity are then explained by it (no "Cannot return null" for its siblings). An error
        without such a path explains every null entity (reported where the fields it nulls stand); with none
        null, it is passed on without a path.
        """
        explained: dict[int, FailureMark] = {}
        paths: dict[int, ResponsePath] | None = None
        unplaced: list[Mapping[str, Any]] = []
        for error in errors:
            error_path = error.get("path")
            if (
                isinstance(error_path, list)
                and len(error_path) >= 2
                and error_path[0] == "_entities"
                and type(error_path[1]) is int
                and 0 <= error_path[1] < len(batch.origins)
            ):
                index, rest = error_path[1], error_path[2:]
                if paths is None:
                    paths = {id(obj): path for obj, path in collect_objects(run.data, segments)}
                for n, (obj, _) in enumerate(batch.origins[index]):
                    origin = paths.get(id(obj))
                    client_path = None if origin is None else [*origin, *rest]
                    run.errors.append(self.masking.subgraph_error(error, service, client_path, log=n == 0))
                explained.setdefault(index, _EXPLAINED)
            else:
                unplaced.append(error)
        nulls = [i for i, entity in enumerate(entities) if type(entity) is not dict and i not in explained]
        for error in unplaced:
            if nulls:
                mark = FailureMark(self.masking.subgraph_error(error, service, None))
                for i in nulls:
                    explained[i] = mark
                nulls = []  # the first such error explains them; any others are passed on as they are
            else:
                run.errors.append(self.masking.subgraph_error(error, service, None))
        return explained

    async def _send_entities(
        self, fetch: FetchNode, request: SubgraphRequest, run: _Run
    ) -> SubgraphResponse | FailureMark:
        """Send an entity fetch together with the others of this execution that wait for the same subgraph.

        The first fetch to wait for a subgraph yields once to the event loop, so every fetch that becomes ready
        in the same turn (siblings of a ``Parallel``, fetches after one merged request) joins it; then it sends
        one merged request and hands each fetch its part.
        """
        service = fetch.service_name
        queue = run.queues.get(service)
        if queue is not None:
            waiter: asyncio.Future[SubgraphResponse | FailureMark] = (
                asyncio.get_running_loop().create_future()
            )
            queue.append((fetch, request, waiter))
            return await waiter
        queue = [(fetch, request, None)]
        run.queues[service] = queue
        try:
            await asyncio.sleep(0)
        except BaseException:
            for _, _, queued in queue[1:]:
                if queued is not None and not queued.done():
                    queued.cancel()  # nobody will send their part
            raise
        finally:
            if run.queues.get(service) is queue:
                del run.queues[service]
        if len(queue) == 1:
            return await self._send(fetch, request)
        followers = [waiter for _, _, waiter in queue[1:] if waiter is not None]
        try:
            outcomes = await self._send_merged(queue, run.prepared)
        except BaseException:
            for waiter in followers:
                if not waiter.done():
                    waiter.cancel()
            raise
        for waiter, outcome in zip(followers, outcomes[1:], strict=True):
            if not waiter.done():
                waiter.set_result(outcome)
        return outcomes[0]

    async def _send_merged(
        self, queue: list[_QueuedFetch], prepared: _PreparedPlan
    ) -> list[SubgraphResponse | FailureMark]:
        key = tuple(id(f) for f, _, _ in queue)  # fetches of ``prepared``'s plan, alive while it is
        if key in prepared.merged:
            merged_operation = prepared.merged[key]
        else:
            parts = [prepared.fetch(f).entity_operation for f, _, _ in queue]
            operations = [p for p in parts if p is not None]
            merged_operation = merge_entity_operations(operations) if len(operations) == len(queue) else None
            prepared.merged[key] = merged_operation
        if merged_operation is None:
            return list(await asyncio.gather(*(self._send(f, r) for f, r, _ in queue)))
        variables: dict[str, Any] = {}
        for i, (_, part, _) in enumerate(queue):
            for name, value in (part.variables or {}).items():
                variables[representations_variable(i) if name == "representations" else name] = value
        name, text = merged_operation
        merged = SubgraphRequest(text, variables, name, queue[0][1].headers)
        outcome = await self._send(queue[0][0], merged)
        if isinstance(outcome, FailureMark):
            return [outcome] * len(queue)
        return list(split_entity_response(outcome, len(queue)))

    @staticmethod
    def _fail_batch(batch: EntityBatch, prepared: _PreparedFetch, mark: FailureMark, run: _Run) -> None:
        for origins in batch.origins:
            for obj, _ in origins:
                run.mark_failed(obj, prepared.keys_for(obj.get("__typename")), mark)


def _argument_values(field_def: Any, node: FieldNode, variables: Mapping[str, Any]) -> dict[str, Any]:
    """The root field's argument values (defaults included), for an event subject's ``{{ args.name }}``."""
    given = {a.name.value: a.value for a in node.arguments or ()}
    out: dict[str, Any] = {}
    for name, argument in field_def.args.items():
        if name in given:
            value = value_from_ast(given[name], argument.type, dict(variables))
            if value is not Undefined:
                out[name] = value
        elif argument.default_value is not Undefined:
            out[name] = argument.default_value
    return out


def _flat_key(keys: list[_Key]) -> tuple[str, ...] | None:
    """The field names of the only key in ``keys`` when none has a sub-selection or a type condition."""
    if len(keys) != 1:
        return None
    names: list[str] = []
    for selection in keys[0]:
        if not isinstance(selection, FieldSelection) or selection.selections:
            return None
        names.append(selection.name)
    return tuple(names)


def _complete(key: _Key, value: Any) -> bool:
    """Whether ``value`` has every field of ``key``, none of them null (lists: every element)."""
    if type(value) is list:
        return all(_complete(key, item) for item in value)
    if type(value) is not dict:
        return False
    for selection in key:
        if isinstance(selection, InlineFragmentSelection):
            continue  # a key on an abstract field: its fragments apply to some types only
        field = value.get(selection.name)
        if field is None or (selection.selections and not _complete(selection.selections, field)):
            return False
    return True
