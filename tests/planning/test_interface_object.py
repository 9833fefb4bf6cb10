"""Entity interfaces and @interfaceObject: jumps into and out of a subgraph that sees the interface as an object."""

from __future__ import annotations

from .supergraphs import assert_plan, fixture, supergraph_from

ABSTRACT = fixture("abstract.apollo")
GUILD = fixture("abstract.guild")


def test_field_of_an_interface_object_reached_from_the_implementations() -> None:
    """Representations are rewritten to __typename Account."""
    assert_plan(
        ABSTRACT,
        "{ accounts { name balance } }",
        """
        Sequence {
          Fetch(accounts) {accounts{__typename name ... on BusinessAccount{__typename id} ... on PersonalAccount{__typename id}}}
          Flatten(accounts.@) Fetch(billing) {... on BusinessAccount {__typename id} ... on PersonalAccount {__typename id}} => query($representations:[_Any!]!){_entities(representations:$representations){... on Account{balance}}} [... on BusinessAccount.__typename=Account] [... on PersonalAccount.__typename=Account]
        }
        """,
        depth=2,
        fetches=2,
    )


def test_interface_object_root_then_entity_interface_fields() -> None:
    """billing only knows Account: name comes from accounts."""
    assert_plan(
        ABSTRACT,
        "{ richestAccount { balance name } }",
        """
        Sequence {
          Fetch(billing) {richestAccount{balance __typename id}}
          Flatten(richestAccount) Fetch(accounts) {... on Account {__typename id}} => query($representations:[_Any!]!){_entities(representations:$representations){... on Account{__typename name}}}
        }
        """,
        depth=2,
        fetches=2,
    )


def test_concrete_typename_and_type_conditions_come_from_the_entity_interface() -> None:
    """billing cannot tell implementations apart."""
    assert_plan(
        ABSTRACT,
        "{ richestAccount { balance __typename ... on PersonalAccount { birthday } } }",
        """
        Sequence {
          Fetch(billing) {richestAccount{balance __typename id}}
          Flatten(richestAccount) Fetch(accounts) {... on Account {__typename id}} => query($representations:[_Any!]!){_entities(representations:$representations){... on Account{__typename ... on PersonalAccount{birthday}}}}
        }
        """,
        depth=2,
        fetches=2,
    )


def test_interface_object_fields_alone_need_no_jump() -> None:
    assert_plan(
        ABSTRACT,
        "{ richestAccount { id balance } }",
        """
        Fetch(billing) {richestAccount{id balance}}
        """,
        depth=1,
        fetches=1,
    )


def test_guild_composed_interface_object() -> None:
    assert_plan(
        GUILD,
        "{ accounts { balance ... on BusinessAccount { vatNumber } } }",
        """
        Sequence {
          Fetch(accounts) {accounts{__typename ... on BusinessAccount{__typename id vatNumber} ... on PersonalAccount{__typename id}}}
          Flatten(accounts.@) Fetch(billing) {... on BusinessAccount {__typename id} ... on PersonalAccount {__typename id}} => query($representations:[_Any!]!){_entities(representations:$representations){... on Account{balance}}} [... on BusinessAccount.__typename=Account] [... on PersonalAccount.__typename=Account]
        }
        """,
        depth=2,
        fetches=2,
    )


TWO_OBJECTS = supergraph_from(
    ["accounts", "billing", "audit"],
    """
type Query @join__type(graph: ACCOUNTS) @join__type(graph: BILLING) @join__type(graph: AUDIT) {
  lastActor: Account! @join__field(graph: AUDIT)
}
interface Account @join__type(graph: ACCOUNTS, key: "id") @join__type(graph: BILLING, key: "id", isInterfaceObject: true) @join__type(graph: AUDIT, key: "id", resolvable: false, isInterfaceObject: true) {
  id: ID!
  balance: Int! @join__field(graph: BILLING)
}
type User implements Account @join__implements(graph: ACCOUNTS, interface: "Account") @join__type(graph: ACCOUNTS, key: "id") {
  id: ID!
  balance: Int! @join__field
  email: String! @join__field(graph: ACCOUNTS)
}
""",
)


def test_interface_object_to_interface_object_always_names_the_interface() -> None:
    """accounts may set the real __typename (User) before billing's fetch runs: its representations are
    rewritten to Account whatever type name the object has by then."""
    assert_plan(
        TWO_OBJECTS,
        "{ lastActor { __typename balance } }",
        """
        Sequence {
          Fetch(audit) {lastActor{__typename id}}
          Parallel {
            Flatten(lastActor) Fetch(accounts) {... on Account {__typename id}} => query($representations:[_Any!]!){_entities(representations:$representations){... on Account{__typename}}}
            Flatten(lastActor) Fetch(billing) {... on Account {__typename id}} => query($representations:[_Any!]!){_entities(representations:$representations){... on Account{balance}}} [... on Account.__typename=Account]
          }
        }
        """,
        depth=2,
        fetches=3,
    )
