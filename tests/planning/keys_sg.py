"""A hand-written supergraph for key tests: several keys, a compound key, a non-resolvable key."""

from __future__ import annotations

from .supergraphs import supergraph_from

__all__ = ["KEYS_SUPERGRAPH"]

KEYS_SUPERGRAPH = supergraph_from(
    ["a", "b", "c", "d"],
    """
type Query @join__type(graph: A) @join__type(graph: B) @join__type(graph: C) @join__type(graph: D) {
  things: [Thing] @join__field(graph: A)
  refs: [Thing] @join__field(graph: D)
  orgThings: [OrgThing] @join__field(graph: A)
}

type Thing
  @join__type(graph: A, key: "id")
  @join__type(graph: B, key: "id")
  @join__type(graph: B, key: "sku")
  @join__type(graph: C, key: "sku")
  @join__type(graph: D, key: "id", resolvable: false)
{
  id: ID! @join__field(graph: A) @join__field(graph: B) @join__field(graph: D)
  sku: String @join__field(graph: B) @join__field(graph: C)
  name: String @join__field(graph: A)
  price: Int @join__field(graph: B)
  color: String @join__field(graph: C)
}

type Org @join__type(graph: A) @join__type(graph: B) {
  id: ID!
}

type OrgThing
  @join__type(graph: A, key: "id org { id }")
  @join__type(graph: B, key: "id org { id }")
{
  id: ID!
  org: Org!
  title: String @join__field(graph: A)
  stock: Int @join__field(graph: B)
}
""",
)
