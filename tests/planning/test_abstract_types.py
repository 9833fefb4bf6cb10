"""Interfaces and unions whose implementations live in different subgraphs; type conditions; __typename."""

from __future__ import annotations

from .supergraphs import assert_plan, fixture

ABSTRACT = fixture("abstract.apollo")
GUILD = fixture("abstract.guild")


def test_interface_fields_resolvable_on_the_interface_stay_abstract() -> None:
    """__typename is always fetched for abstract types."""
    assert_plan(
        ABSTRACT,
        "{ media { id title } }",
        """
        Fetch(media) {media{__typename id title}}
        """,
        depth=1,
        fetches=1,
    )


def test_type_conditions_jump_per_implementation() -> None:
    """rating lives in ratings for both implementations: one fetch for both."""
    assert_plan(
        ABSTRACT,
        "{ media { id title ... on Book { rating } ... on Movie { duration rating } } }",
        """
        Sequence {
          Fetch(media) {media{__typename id title ... on Book{__typename id} ... on Movie{duration __typename id}}}
          Flatten(media.@) Fetch(ratings) {... on Book {__typename id} ... on Movie {__typename id}} => query($representations:[_Any!]!){_entities(representations:$representations){... on Book{rating} ... on Movie{rating}}}
        }
        """,
        depth=2,
        fetches=2,
    )


def test_union_members_split_across_subgraphs() -> None:
    """Feed's Book comes from ratings; its title from media."""
    assert_plan(
        ABSTRACT,
        "{ feed { ... on Book { title } ... on Podcast { title } } }",
        """
        Sequence {
          Fetch(ratings) {feed{__typename ... on Book{__typename id} ... on Podcast{title}}}
          Flatten(feed.@) Fetch(media) {... on Book {__typename id}} => query($representations:[_Any!]!){_entities(representations:$representations){... on Book{title}}}
        }
        """,
        depth=2,
        fetches=2,
    )


def test_union_and_interface_roots_in_parallel() -> None:
    assert_plan(
        ABSTRACT,
        '{ search(term: "x") { ... on Book { title rating } ... on Movie { __typename rating } } feed { __typename } }',
        """
        Parallel {
          Sequence {
            Fetch(media) {search(term:"x"){__typename ... on Book{title __typename id} ... on Movie{__typename id}}}
            Flatten(search.@) Fetch(ratings) {... on Book {__typename id} ... on Movie {__typename id}} => query($representations:[_Any!]!){_entities(representations:$representations){... on Book{rating} ... on Movie{rating}}}
          }
          Fetch(ratings) {feed{__typename}}
        }
        """,
        depth=2,
        fetches=3,
    )


def test_fragment_on_an_interface_inside_a_union() -> None:
    """... on Media inside SearchResult applies to every member implementing it."""
    assert_plan(
        ABSTRACT,
        '{ search(term: "x") { ... on Media { title } } }',
        """
        Fetch(media) {search(term:"x"){__typename ... on Book{title} ... on Movie{title}}}
        """,
        depth=1,
        fetches=1,
    )


def test_interface_fragment_in_a_subgraph_that_does_not_know_the_interface() -> None:
    """ratings has no Media: the condition becomes its implementations."""
    assert_plan(
        ABSTRACT,
        "{ feed { ... on Media { id title } } }",
        """
        Sequence {
          Fetch(ratings) {feed{__typename ... on Book{id __typename}}}
          Flatten(feed.@) Fetch(media) {... on Book {__typename id}} => query($representations:[_Any!]!){_entities(representations:$representations){... on Book{title}}}
        }
        """,
        depth=2,
        fetches=2,
    )


def test_guild_composed_supergraph_plans_the_same() -> None:
    assert_plan(
        GUILD,
        "{ media { id title ... on Book { rating } ... on Movie { duration rating } } }",
        """
        Sequence {
          Fetch(media) {media{__typename id title ... on Book{__typename id} ... on Movie{duration __typename id}}}
          Flatten(media.@) Fetch(ratings) {... on Book {__typename id} ... on Movie {__typename id}} => query($representations:[_Any!]!){_entities(representations:$representations){... on Book{rating} ... on Movie{rating}}}
        }
        """,
        depth=2,
        fetches=2,
    )
