"""Entity interfaces and @interfaceObject: jumps into and out of a subgraph that sees the interface as an object."""

from __future__ import annotations

from .supergraphs import assert_plan, fixture

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
