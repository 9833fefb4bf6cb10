"""@link imports: renamed directives, namespaced directives when not imported, unknown names."""

from __future__ import annotations

from .support import Oracle, assert_composes_like_oracle, assert_fails_like_oracle, fed2


def test_renamed_import(oracle: Oracle) -> None:
    a = (
        'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", '
        'import: [{name: "@key", as: "@primaryKey"}, "@shareable"]) '
        'type Query { t: T } type T @primaryKey(fields: "id") { id: ID! x: Int @shareable }'
    )
    b = fed2("key", "shareable") + 'type T @key(fields: "id") { id: ID! x: Int @shareable y: Int }'
    result = assert_composes_like_oracle([("a", a), ("b", b)], oracle)
    assert [k.fields for k in result.supergraph().type("T").keys("a")] == ["id"]


def test_namespaced_directives_when_not_imported(oracle: Oracle) -> None:
    a = (
        'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3") '
        'type Query { t: T } type T @federation__key(fields: "id") { id: ID! x: Int @federation__shareable }'
    )
    b = fed2("key", "shareable") + 'type T @key(fields: "id") { id: ID! x: Int @shareable }'
    result = assert_composes_like_oracle([("a", a), ("b", b)], oracle)
    assert [k.fields for k in result.supergraph().type("T").keys("a")] == ["id"]


def test_imported_directive_keeps_its_namespaced_name(oracle: Oracle) -> None:
    a = (
        fed2("key")
        + 'type Query { t: T } type T @federation__key(fields: "id") @key(fields: "x") { id: ID! x: ID! }'
    )
    # Apollo's composition knows an imported directive only by its import name and refuses this set; we
    # follow The Guild's (and the link spec's namespacing) and accept both names.
    result = assert_composes_like_oracle([("a", a)], oracle, like_apollo=False)
    assert [k.fields for k in result.supergraph().type("T").keys("a")] == ["id", "x"]


def test_federation_directive_not_imported(oracle: Oracle) -> None:
    a = fed2() + 'type Query { t: T } type T @key(fields: "id") { id: ID! }'
    assert_fails_like_oracle([("a", a)], oracle, "INVALID_GRAPHQL", "@key", "@federation__key")


def test_renamed_spec_namespace() -> None:
    # ``as:`` renames the namespace (link v1.0); the reference composer does not support it, so no oracle here.
    from .support import compose_sdls

    a = (
        'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", as: "fed") '
        'type Query { t: T } type T @fed__key(fields: "id") { id: ID! }'
    )
    result = compose_sdls([("a", a)])
    assert result.errors == []
    assert '@join__type(graph: A, key: "id")' in (result.supergraph_sdl or "")


def test_compose_directive(oracle: Oracle) -> None:
    a = (
        'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@composeDirective"]) '
        '@link(url: "https://myspecs.dev/myDirective/v1.0", import: ["@myDirective"]) '
        '@composeDirective(name: "@myDirective") '
        "directive @myDirective(x: String) on FIELD_DEFINITION | OBJECT "
        'type Query { a: Int @myDirective(x: "1") }'
    )
    # The API schema keeps the composed directive's definition; read_supergraph drops it, so compare ours only.
    result = assert_composes_like_oracle([("a", a)], oracle, read_back=False)
    sdl = result.supergraph_sdl or ""
    assert '@link(url: "https://myspecs.dev/myDirective/v1.0", import: ["@myDirective"])' in sdl
    assert 'a: Int @myDirective(x: "1")' in sdl


def test_malformed_link_imports_are_errors_not_crashes() -> None:
    from .support import compose_sdls

    def codes(imports: str) -> list[str]:
        sdl = (
            f'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: {imports}) '
            "type Query { a: Int }"
        )
        return [e.code for e in compose_sdls([("a", sdl)]).errors]

    assert codes("3") == ["INVALID_LINK_DIRECTIVE_USAGE"]
    assert codes('[{as: "@k"}]') == ["INVALID_LINK_DIRECTIVE_USAGE"]
    assert codes('[{name: "@key", as: "k"}]') == ["INVALID_LINK_DIRECTIVE_USAGE"]
    bad_url = compose_sdls([("a", "extend schema @link(url: 3) type Query { a: Int }")])
    assert [e.code for e in bad_url.errors] == ["INVALID_LINK_IDENTIFIER"]
