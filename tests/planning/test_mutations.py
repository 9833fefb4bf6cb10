"""Mutations: root fields strictly in sequence; neighbours on one subgraph may share a fetch."""

from __future__ import annotations

from .supergraphs import assert_plan, fixture

SHOP = fixture("shop.apollo")


def test_mutation_root_fields_run_in_sequence() -> None:
    """Each mutation's entity fetches finish before the next mutation starts."""
    assert_plan(
        SHOP,
        'mutation { a: updateName(id: "1", name: "x") { name reviews { body } } b: login(username: "u") { id } addProduct(upc: "1", name: "p") { name inStock } c: updateName(id: "2", name: "y") { name } }',
        """
        Sequence {
          Fetch(accounts) mutation{a:updateName(id:"1",name:"x"){name __typename id} b:login(username:"u"){id}}
          Flatten(a) Fetch(reviews) {... on User {__typename id}} => query($representations:[_Any!]!){_entities(representations:$representations){... on User{reviews{body}}}}
          Fetch(products) mutation{addProduct(upc:"1",name:"p"){name __typename upc}}
          Flatten(addProduct) Fetch(inventory) {... on Product {__typename upc}} => query($representations:[_Any!]!){_entities(representations:$representations){... on Product{inStock}}}
          Fetch(accounts) mutation{c:updateName(id:"2",name:"y"){name}}
        }
        """,
        depth=5,
        fetches=5,
    )


def test_single_mutation() -> None:
    assert_plan(
        SHOP,
        'mutation M($upc: String!) { addReview(upc: $upc, body: "ok") { id body } }',
        """
        Fetch(reviews) mutation M__reviews__0($upc:String!){addReview(upc:$upc,body:"ok"){id body}}
        """,
        depth=1,
        fetches=1,
    )


def test_mutations_on_alternating_subgraphs_never_merge() -> None:
    assert_plan(
        SHOP,
        'mutation { a: updateName(id: "1", name: "x") { id } addProduct(upc: "1", name: "p") { upc } b: updateName(id: "2", name: "y") { id } }',
        """
        Sequence {
          Fetch(accounts) mutation{a:updateName(id:"1",name:"x"){id}}
          Fetch(products) mutation{addProduct(upc:"1",name:"p"){upc}}
          Fetch(accounts) mutation{b:updateName(id:"2",name:"y"){id}}
        }
        """,
        depth=3,
        fetches=3,
    )
