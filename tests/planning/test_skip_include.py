"""@skip/@include: literals are evaluated while planning, variables pass through or guard whole fetches."""

from __future__ import annotations

from .supergraphs import assert_plan, fixture

SHOP = fixture("shop.apollo")


def test_literal_conditions_are_evaluated() -> None:
    """Dropped fields cause no fetch; kept ones lose the directive."""
    assert_plan(
        SHOP,
        "{ me { name @skip(if: true) reviews @include(if: false) { body } id @include(if: true) } topProducts @skip(if: false) { name } }",
        """
        Parallel {
          Fetch(accounts) {me{id}}
          Fetch(products) {topProducts{name}}
        }
        """,
        depth=1,
        fetches=2,
    )


def test_variable_condition_on_a_local_field_passes_through() -> None:
    assert_plan(
        SHOP,
        "query($s: Boolean!) { me { name @skip(if: $s) username } }",
        """
        Fetch(accounts) query($s:Boolean!){me{name @skip(if:$s) username}}
        """,
        depth=1,
        fetches=1,
    )


def test_variable_condition_guards_a_whole_jump() -> None:
    """The reviews fetch exists only for the conditional field."""
    assert_plan(
        SHOP,
        "query($withReviews: Boolean!) { topProducts { name reviews @include(if: $withReviews) { body author { name } } } }",
        """
        Sequence {
          Fetch(products) {topProducts{name __typename upc}}
          Condition($withReviews) {
            if:
              Sequence {
                Flatten(topProducts.@) Fetch(reviews) {... on Product {__typename upc}} => query($representations:[_Any!]!,$withReviews:Boolean!){_entities(representations:$representations){... on Product{reviews @include(if:$withReviews){body author{__typename id}}}}}
                Flatten(topProducts.@.reviews.@.author) Fetch(accounts) {... on User {__typename id}} => query($representations:[_Any!]!){_entities(representations:$representations){... on User{name}}}
              }
          }
        }
        """,
        depth=3,
        fetches=3,
    )


def test_variable_condition_on_a_root_field() -> None:
    assert_plan(
        SHOP,
        "query($s: Boolean!) { me @include(if: $s) { name } topProducts { name } }",
        """
        Parallel {
          Condition($s) {
            if:
              Fetch(accounts) query($s:Boolean!){me @include(if:$s){name}}
          }
          Fetch(products) {topProducts{name}}
        }
        """,
        depth=1,
        fetches=2,
    )


def test_variable_condition_on_a_fragment() -> None:
    assert_plan(
        SHOP,
        "query($s: Boolean!) { ... @skip(if: $s) { me { name } } topProducts { name } }",
        """
        Parallel {
          Condition($s) {
            else:
              Fetch(accounts) query($s:Boolean!){... @skip(if:$s){me{name}}}
          }
          Fetch(products) {topProducts{name}}
        }
        """,
        depth=1,
        fetches=2,
    )


def test_jump_shared_by_conditional_and_unconditional_fields_is_not_guarded() -> None:
    assert_plan(
        SHOP,
        "query($s: Boolean!) { me { numberOfReviews reviews @include(if: $s) { body } } }",
        """
        Sequence {
          Fetch(accounts) {me{__typename id}}
          Flatten(me) Fetch(reviews) {... on User {__typename id}} => query($representations:[_Any!]!,$s:Boolean!){_entities(representations:$representations){... on User{numberOfReviews reviews @include(if:$s){body}}}}
        }
        """,
        depth=2,
        fetches=2,
    )


def test_literal_conditions_that_remove_every_subfield_leave_typename() -> None:
    """The subgraph needs a selection set; the client gets {} for the object."""
    assert_plan(
        SHOP,
        "{ me { name @include(if: false) } topProducts { name @skip(if: true) } }",
        """
        Parallel {
          Fetch(accounts) {me{__typename}}
          Fetch(products) {topProducts{__typename}}
        }
        """,
        depth=1,
        fetches=2,
    )


def test_requirement_fetched_only_under_a_condition_gets_its_own_conditional_fetch() -> None:
    """shippingEstimate's price and weight are fetched only when $s is false: joining inStock's fetch would
    drop every representation (and inStock with it) when $s is true."""
    assert_plan(
        SHOP,
        "query($s: Boolean!) { topProducts { inStock } topProducts @skip(if: $s) { shippingEstimate } }",
        """
        Sequence {
          Fetch(products) query($s:Boolean!){topProducts{__typename upc} topProducts @skip(if:$s){__typename upc price weight}}
          Parallel {
            Flatten(topProducts.@) Fetch(inventory) {... on Product {__typename upc}} => query($representations:[_Any!]!){_entities(representations:$representations){... on Product{inStock}}}
            Condition($s) {
              else:
                Flatten(topProducts.@) Fetch(inventory) {... on Product {__typename upc price weight}} => query($representations:[_Any!]!){_entities(representations:$representations){... on Product{shippingEstimate}}}
            }
          }
        }
        """,
        depth=2,
        fetches=3,
    )


def test_fields_a_conditional_copy_brings_into_a_shared_jump_keep_its_condition() -> None:
    """Both copies of topProducts share the reviews fetch, which runs unguarded: what only the @include copy
    selects stays under its condition (GraphQL spec 6.3.2, CollectFields), or its errors would reach the other
    copy's fields when $s is false."""
    assert_plan(
        SHOP,
        "query($s: Boolean!) { topProducts @include(if: $s) { reviews { body } } topProducts { reviews { id } } }",
        """
        Sequence {
          Fetch(products) query($s:Boolean!){topProducts @include(if:$s){__typename upc} topProducts{__typename upc}}
          Flatten(topProducts.@) Fetch(reviews) {... on Product {__typename upc}} => query($representations:[_Any!]!,$s:Boolean!){_entities(representations:$representations){... on Product @include(if:$s){reviews{body}} ... on Product{reviews{id}}}}
        }
        """,
        depth=2,
        fetches=2,
    )


def test_copies_under_different_conditions_share_a_jump_each_under_its_own() -> None:
    assert_plan(
        SHOP,
        "query($s: Boolean!, $t: Boolean!) { topProducts @include(if: $s) { reviews { body } } topProducts @skip(if: $t) { reviews { id } } }",
        """
        Sequence {
          Fetch(products) query($s:Boolean!,$t:Boolean!){topProducts @include(if:$s){__typename upc} topProducts @skip(if:$t){__typename upc}}
          Flatten(topProducts.@) Fetch(reviews) {... on Product {__typename upc}} => query($representations:[_Any!]!,$s:Boolean!,$t:Boolean!){_entities(representations:$representations){... on Product @include(if:$s){reviews{body}} ... on Product @skip(if:$t){reviews{id}}}}
        }
        """,
        depth=2,
        fetches=2,
    )


def test_a_way_in_under_two_conditions_nests_them_one_directive_each() -> None:
    """@include is not repeatable (GraphQL spec 5.7.3, Directives Are Unique Per Location): a way into a shared
    entity fetch under both $s and $t writes one fragment inside the other, or the subgraph refuses the whole
    operation and every field of the fetch fails with it."""
    assert_plan(
        SHOP,
        "query($s: Boolean!, $t: Boolean!) { topProducts @include(if: $s) { reviews @include(if: $t) { author { name } } } topProducts { reviews { author { id name } } } }",
        """
        Sequence {
          Fetch(products) query($s:Boolean!){topProducts @include(if:$s){__typename upc} topProducts{__typename upc}}
          Flatten(topProducts.@) Fetch(reviews) {... on Product {__typename upc}} => query($representations:[_Any!]!,$s:Boolean!,$t:Boolean!){_entities(representations:$representations){... on Product @include(if:$s){reviews @include(if:$t){author{__typename id}}} ... on Product{reviews{author{id __typename}}}}}
          Flatten(topProducts.@.reviews.@.author) Fetch(accounts) {... on User {__typename id}} => query($representations:[_Any!]!,$s:Boolean!,$t:Boolean!){_entities(representations:$representations){... on User @include(if:$s){... @include(if:$t){name}} ... on User{name}}}
        }
        """,
        depth=3,
        fetches=3,
    )
