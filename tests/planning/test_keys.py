"""Entity jumps through @key: choice among keys and subgraphs, compound keys, resolvable: false."""

from __future__ import annotations

from .keys_sg import KEYS_SUPERGRAPH as SG
from .supergraphs import assert_plan, plan_json

ENTITIES = "query($representations:[_Any!]!){_entities(representations:$representations)"


def test_jump_by_the_key_the_current_subgraph_has() -> None:
    assert_plan(
        SG,
        "{ things { name price } }",
        f"""
        Sequence {{
          Fetch(a) {{things{{name __typename id}}}}
          Flatten(things.@) Fetch(b) {{... on Thing {{__typename id}}}} => {ENTITIES}{{... on Thing{{price}}}}}}
        }}
        """,
        depth=2,
        fetches=2,
    )


def test_key_not_available_locally_is_collected_through_another_subgraph() -> None:
    # c only knows Thing by sku; a only has id; b maps id -> sku.
    assert_plan(
        SG,
        "{ things { color } }",
        f"""
        Sequence {{
          Fetch(a) {{things{{__typename id}}}}
          Flatten(things.@) Fetch(b) {{... on Thing {{__typename id}}}} => {ENTITIES}{{... on Thing{{sku}}}}}}
          Flatten(things.@) Fetch(c) {{... on Thing {{__typename sku}}}} => {ENTITIES}{{... on Thing{{color}}}}}}
        }}
        """,
        depth=3,
        fetches=3,
    )


def test_the_intermediate_fetch_is_shared_with_fields_it_resolves() -> None:
    assert_plan(
        SG,
        "{ things { price color } }",
        f"""
        Sequence {{
          Fetch(a) {{things{{__typename id}}}}
          Flatten(things.@) Fetch(b) {{... on Thing {{__typename id}}}} => {ENTITIES}{{... on Thing{{price sku}}}}}}
          Flatten(things.@) Fetch(c) {{... on Thing {{__typename sku}}}} => {ENTITIES}{{... on Thing{{color}}}}}}
        }}
        """,
        depth=3,
        fetches=3,
    )


def test_resolvable_false_key_is_a_source_never_a_target() -> None:
    assert_plan(
        SG,
        "{ refs { id name } }",
        f"""
        Sequence {{
          Fetch(d) {{refs{{id __typename}}}}
          Flatten(refs.@) Fetch(a) {{... on Thing {{__typename id}}}} => {ENTITIES}{{... on Thing{{name}}}}}}
        }}
        """,
        depth=2,
        fetches=2,
    )
    assert_plan(SG, "{ refs { id } }", "Fetch(d) {refs{id}}", depth=1, fetches=1)
    # Fetching from a never jumps into d (its key is resolvable: false), even for a field d declares.
    plan = plan_json(SG, "{ things { id name } }")
    assert "Fetch" in str(plan) and "'d'" not in str(plan)


def test_compound_key_with_nested_selection() -> None:
    plan = assert_plan(
        SG,
        "{ orgThings { title stock } }",
        f"""
        Sequence {{
          Fetch(a) {{orgThings{{title __typename id org{{id}}}}}}
          Flatten(orgThings.@) Fetch(b) {{... on OrgThing {{__typename id org {{id}}}}}} => {ENTITIES}{{... on OrgThing{{stock}}}}}}
        }}
        """,
        depth=2,
        fetches=2,
    )
    flatten = plan["node"]["nodes"][1]  # type: ignore[index]
    assert flatten["node"]["requires"] == [
        {
            "kind": "InlineFragment",
            "typeCondition": "OrgThing",
            "selections": [
                {"kind": "Field", "name": "__typename"},
                {"kind": "Field", "name": "id"},
                {"kind": "Field", "name": "org", "selections": [{"kind": "Field", "name": "id"}]},
            ],
        }
    ]


def test_nested_jumps_chain_from_entity_fetches() -> None:
    from .supergraphs import fixture

    sg = fixture("shop.apollo")
    assert_plan(
        sg,
        "{ topReviews { author { name username } product { name } } }",
        f"""
        Sequence {{
          Fetch(reviews) {{topReviews{{author{{__typename id username}} product{{__typename upc}}}}}}
          Parallel {{
            Flatten(topReviews.@.author) Fetch(accounts) {{... on User {{__typename id}}}} => {ENTITIES}{{... on User{{name}}}}}}
            Flatten(topReviews.@.product) Fetch(products) {{... on Product {{__typename upc}}}} => {ENTITIES}{{... on Product{{name}}}}}}
          }}
        }}
        """,
        depth=2,
        fetches=3,
    )
