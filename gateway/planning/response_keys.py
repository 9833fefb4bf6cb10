"""Response keys in subgraph operations: the client's, the ones the planner gives the fields it adds, and aliases
for fields whose subgraph type differs from the supergraph's.

Fields the planner adds (keys, ``@requires``) use their own name as response key, unless the client's selection
uses that response key for something else (another field or other arguments); then the planner's field is
aliased ``__fk_<name>`` and the representation reads it from there (``FieldSelection.response_key``). A required
field with arguments has one alias per argument set in the whole plan (``__fk_weight__1``), unless the client
selects that very field there.
"""

from __future__ import annotations

from gateway.planning.normalize import NField, NSelection
from gateway.planning.query_graph import QueryGraph, entry_name, field_key
from gateway.planning.selection import OutSelectionSet

__all__ = ["ClientKeys", "ResponseKeys", "client_keys"]

# The client's fields at one object level by response key (several when fragments reuse a key).
ClientKeys = dict[str, list[NField]]


def client_keys(selections: list[NSelection]) -> ClientKeys:
    """Response keys the client uses at one object level, through fragments."""
    out: ClientKeys = {}
    stack = list(selections)
    while stack:
        s = stack.pop()
        if isinstance(s, NField):
            out.setdefault(s.response_key, []).append(s)
        else:
            stack.extend(s.selections)
    return out


class ResponseKeys:
    """The aliases one plan gives, the same in every fetch so fetches merging at one path agree."""

    def __init__(self, graph: QueryGraph) -> None:
        self.graph = graph
        # Field with arguments -> the alias every fetch uses for it (see ``planner_key``).
        self._argument_aliases: dict[str, str] = {}
        # (response key, subgraph type) -> alias, for fields whose subgraph type differs (see ``subgraph_key``).
        self._type_aliases: dict[tuple[str, str], str] = {}

    def planner_key(self, name: str, entry: str, clients: ClientKeys, out: OutSelectionSet) -> str:
        """The response key for a field the planner adds (``entry``: its name and arguments).

        Without arguments: its name, unless the client or another planner field uses that key at this level for
        something else; then ``__fk_<name>`` (``__fk_<name>_<n>`` when even that is taken). With arguments: the
        client's own key when the client selects that very field there, else an alias that is the same for that
        field and arguments everywhere in the plan (``__fk_<name>__<n>``), so two fetches that merge at one path
        never write different arguments' values under one key.
        """
        aliases = self._argument_aliases
        if entry != name:
            selected = clients.get(name, ())
            if selected and all(f.key == entry for f in selected):
                return name
            base = aliases.get(entry)
            if base is None:
                base = f"__fk_{name}__{1 + sum(1 for e in aliases if entry_name(e) == name)}"
                aliases[entry] = base
            candidates = [base]
        else:
            candidates = [name, f"__fk_{name}"]

        def free(candidate: str) -> bool:
            if any(f.key != entry for f in clients.get(candidate, ())):
                return False
            mine = out.fields.get((candidate, ""))
            return mine is None or field_key(mine.name, mine.arguments) == entry

        for candidate in candidates:
            if free(candidate):
                return candidate
        n = 2
        while not free(f"{candidates[-1]}_{n}"):
            n += 1
        return f"{candidates[-1]}_{n}"

    def subgraph_key(
        self,
        type_name: str,
        subgraph: str,
        name: str,
        key: str,
        abstract_depth: int,
        client_aliases: dict[str, str] | None,
    ) -> str:
        """The response key of ``type_name.name`` in ``subgraph``'s operation.

        Under an abstract position, two fields of one response key on different object types must have the same
        response shape in the subgraph's own schema (GraphQL spec 5.3.2, SameResponseShape). The client's
        operation is valid against the supergraph, so only a field whose subgraph type differs from the
        supergraph's can break that: it is aliased ``<key>__alias_<n>``, one alias per subgraph type, like
        Apollo's query planner (``addAliasesForNonMergingFields``). For a client field the alias is recorded in
        ``client_aliases`` so the response is shaped from it (``QueryPlan.response_aliases``); paths below keep
        the alias.
        """
        if not abstract_depth or name == "__typename":
            return key
        own = self.graph.subgraph_field_type(type_name, name, subgraph)
        if own == self.graph.supergraph.field(type_name, name).type:
            return key
        alias = self._type_aliases.get((key, own))
        if alias is None:
            taken = sum(1 for k, _ in self._type_aliases if k == key)
            alias = self._type_aliases[(key, own)] = f"{key}__alias_{taken}"
        if client_aliases is not None:
            client_aliases[alias] = key
        return alias
