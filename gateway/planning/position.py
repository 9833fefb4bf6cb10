"""Where the selection walk stands: one fetch step, the place in its selection set, the query graph node
("type T in subgraph S") and the response path, with what the path brings along."""

from __future__ import annotations

from typing import NamedTuple

from gateway.planning.fetch_step import FetchStep
from gateway.planning.query_graph import FieldSet
from gateway.planning.representation import Conditions
from gateway.planning.response_keys import ClientKeys
from gateway.planning.selection import OutSelectionSet

__all__ = ["Position"]


class Position(NamedTuple):
    """One place of the walk (a tuple: the walk makes many and changes one or two fields at a time)."""

    step: FetchStep
    # The step's selection set at this place, being filled.
    out: OutSelectionSet
    type_name: str
    subgraph: str
    # Response keys from the root; ``"@"`` for every element of a list.
    path: tuple[str, ...]
    # What ``@provides`` on the path brings along here (field set entry -> its sub-selection).
    provided: dict[str, FieldSet]
    # The ``@skip``/``@include`` variable conditions on the path.
    conditions: Conditions
    # The client's response keys at this object level (so fields the planner adds do not collide).
    client_keys: ClientKeys
    # How many abstract positions (an interface, a union, ``_entities``) enclose this one.
    abstract_depth: int
