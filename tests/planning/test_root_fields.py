"""Root fields spread over several subgraphs; introspection fields stay in the gateway."""

from __future__ import annotations

from .supergraphs import assert_plan, fixture

SHOP = fixture("shop.apollo")


def test_root_fields_of_different_subgraphs_run_in_parallel() -> None:
    """One fetch per subgraph, all at once."""
    assert_plan(
        SHOP,
        "{ me { name } topProducts { name } topReviews { body } }",
        """
        Parallel {
          Fetch(accounts) {me{name}}
          Fetch(products) {topProducts{name}}
          Fetch(reviews) {topReviews{body}}
        }
        """,
        depth=1,
        fetches=3,
    )


def test_root_fields_of_one_subgraph_share_a_fetch() -> None:
    """Aliases of the same field with different arguments stay apart."""
    assert_plan(
        SHOP,
        'query { a: user(id: "1") { name } b: user(id: "2") { name } users { id } }',
        """
        Fetch(accounts) {a:user(id:"1"){name} b:user(id:"2"){name} users{id}}
        """,
        depth=1,
        fetches=1,
    )


def test_introspection_and_root_typename_are_not_sent() -> None:
    """__schema, __type and root __typename are answered by the gateway."""
    assert_plan(
        SHOP,
        "{ me { name } __typename __schema { queryType { name } } }",
        """
        Fetch(accounts) {me{name}}
        """,
        depth=1,
        fetches=1,
    )


def test_introspection_only_needs_no_fetch() -> None:
    assert_plan(
        SHOP,
        '{ __type(name: "User") { name } __typename }',
        """
        <gateway only>
        """,
        depth=0,
        fetches=0,
    )


def test_federation1_supergraph_root_fields() -> None:
    """A join v0.1 supergraph (Federation 1 composer) plans the same way."""
    assert_plan(
        fixture("fed1.apollo-v1"),
        "{ me { name } topProducts { name } }",
        """
        Parallel {
          Fetch(accounts) {me{name}}
          Fetch(products) {topProducts{name}}
        }
        """,
        depth=1,
        fetches=2,
    )
