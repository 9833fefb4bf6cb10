"""Inputs out of range get BAD_USER_INPUT saying what was wrong, never a driver message (SQLite and PostgreSQL)."""

from __future__ import annotations

import base64

import pytest

HUGE = "9" * 100_000
INT64_MAX = 2**63 - 1
LEAKS = ("sqlite", "asyncpg", "postgres", "python", "int()", "set_int_max_str_digits", "select ", "traceback")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request):
    return request.getfixturevalue("services" if request.param == "sqlite" else "postgres_services")


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode()


def assert_bad_input(body, *, argument=None, says=None, code="BAD_USER_INPUT"):
    assert body.get("errors"), body
    error = body["errors"][0]
    text = str(body).lower()
    assert not any(leak in text for leak in LEAKS), body
    assert error["extensions"]["code"] == code, error
    if argument is not None:
        assert error["extensions"].get("argument") == argument, error
    if says is not None:
        assert says.lower() in error["message"].lower(), error
    return error


ENTITIES = "query($r: [_Any!]!) { _entities(representations: $r) { __typename %s } }"

CASES = [
    # (service, query, variables, argument, says)
    ("users", f'{{ user(id: "User:{INT64_MAX + 1}") {{ id }} }}', None, "id", "out of range"),
    ("users", f'{{ user(id: "User:{HUGE}") {{ id }} }}', None, "id", "out of range"),
    ("users", '{ user(id: "User:\u00b2") { id } }', None, "id", "User:<number>"),
    ("users", '{ user(id: "User:-1") { id } }', None, "id", "User:<number>"),
    ("users", f"{{ user(id: {HUGE}) {{ id }} }}", None, None, "100000 digits"),
    ("users", "query($id: ID!) { user(id: $id) { id } }", {"id": 2**70}, "id", "User:<number>"),
    ("users", "{ users(first: -1) { totalCount } }", None, "first", "between 0 and"),
    ("users", "{ users(first: 5001) { totalCount } }", None, "first", "between 0 and"),
    ("users", "{ users(first: 2147483648) { totalCount } }", None, None, "32-bit"),
    ("users", f"{{ users(first: {HUGE}) {{ totalCount }} }}", None, None, "digits"),
    ("users", '{ users(after: "a") { totalCount } }', None, "after", "cursor"),
    (
        "users",
        f'{{ users(after: "{_cursor(f"cursor:{INT64_MAX}")}") {{ totalCount }} }}',
        None,
        "after",
        "cursor",
    ),
    (
        "users",
        f'{{ users(after: "{_cursor("cursor:" + "9" * 5000)}") {{ totalCount }} }}',
        None,
        "after",
        "cursor",
    ),
    (
        "users",
        'mutation { createUser(input: {name: "N", email: "n@example.com", address: {country: "DE", street: "%s"}}) { id } }'
        % ("x" * 201),
        None,
        "address.street",
        "at most 200",
    ),
    (
        "users",
        'mutation { createUser(input: {name: "A\\u0000B", email: "nul@example.com", address: {country: "DE"}}) { id } }',
        None,
        "name",
        "control character",
    ),
    (
        "users",
        f'mutation {{ updateUser(id: "User:{HUGE}", input: {{name: "x"}}) {{ id }} }}',
        None,
        "id",
        "out of range",
    ),
    (
        "users",
        ENTITIES % "",
        {"r": [{"__typename": "User", "id": f"User:{INT64_MAX + 1}"}]},
        "id",
        "out of range",
    ),
    ("users", ENTITIES % "", {"r": [{"__typename": "User", "id": 5}]}, "id", "User:<number>"),
    ("users", ENTITIES % "", {"r": [{"__typename": "User"}]}, "representations[0]", "lacks 'id'"),
    ("products", f'{{ product(id: "Product:{INT64_MAX + 1}") {{ id }} }}', None, "id", "out of range"),
    ("products", '{ product(sku: "SKU\\u0000") { id } }', None, "sku", "control character"),
    (
        "products",
        '{ products(filter: {minPrice: "1e30"}) { totalCount } }',
        None,
        "filter.minPrice",
        "amount",
    ),
    ("products", '{ products(filter: {maxPrice: "-1"}) { totalCount } }', None, "filter.maxPrice", "amount"),
    (
        "products",
        '{ products(filter: {search: "a\\u0000"}) { totalCount } }',
        None,
        "filter.search",
        "control",
    ),
    ("products", '{ products(filter: {minPrice: "abc"}) { totalCount } }', None, None, "Decimal"),
    (
        "products",
        'mutation { createProduct(input: {sku: "S-BIG", name: "Big", price: {amount: "1e20", currency: EUR}, '
        "category: HOME, weightGrams: 10}) { id } }",
        None,
        "input.price.amount",
        "amount",
    ),
    (
        "products",
        'mutation { createProduct(input: {sku: "S-STOCK", name: "Many", price: {amount: "1", currency: EUR}, '
        "category: HOME, weightGrams: 10, stock: 2147483647}) { id } }",
        None,
        "input.stock",
        "stock",
    ),
    (
        "products",
        'mutation { createProduct(input: {sku: "%s", name: "Long", price: {amount: "1", currency: EUR}, '
        "category: HOME, weightGrams: 10}) { id } }" % ("S" * 41),
        None,
        "input.sku",
        "at most 40",
    ),
    (
        "products",
        'mutation { adjustStock(id: "Product:1", delta: 2147483647) { stock } }',
        None,
        "delta",
        "delta",
    ),
    (
        "products",
        'mutation { adjustStock(id: "Product:1", delta: -2147483648) { stock } }',
        None,
        "delta",
        "delta",
    ),
    ("products", ENTITIES % "", {"r": [{"__typename": "Product", "sku": 5}]}, "sku", "string"),
    ("orders", f'{{ order(id: "Order:{INT64_MAX + 1}") {{ id }} }}', None, "id", "out of range"),
    ("orders", f'{{ orders(userId: "User:{HUGE}") {{ totalCount }} }}', None, "userId", "out of range"),
    ("orders", f'{{ node(id: "User:{INT64_MAX + 1}") {{ id }} }}', None, "id", "out of range"),
    ("orders", '{ node(id: "nonsense") { id } }', None, "id", "Type:<number>"),
    ("orders", "{ orders(first: -3) { totalCount } }", None, "first", "between 0 and"),
    (
        "orders",
        f'mutation {{ placeOrder(input: {{guestEmail: "g@example.com", items: [{{productId: "Product:{INT64_MAX + 1}", quantity: 1}}]}}) {{ id }} }}',
        None,
        "input.items[0].productId",
        "out of range",
    ),
    (
        "orders",
        'mutation { placeOrder(input: {guestEmail: "%s@example.com", items: [{productId: "Product:1", quantity: 1}]}) { id } }'
        % ("g" * 400),
        None,
        "input.guestEmail",
        "email",
    ),
    (
        "orders",
        f'mutation {{ updateOrderStatus(id: "Order:{HUGE}", status: PAID) {{ id }} }}',
        None,
        "id",
        "out of range",
    ),
    (
        "orders",
        ENTITIES % '... on User { orders(after: "a") { totalCount } }',
        {"r": [{"__typename": "User", "id": "User:1"}]},
        "after",
        "cursor",
    ),
    (
        "orders",
        ENTITIES % "... on User { orders(first: 100000) { totalCount } }",
        {"r": [{"__typename": "User", "id": "User:1"}]},
        "first",
        "between 0 and",
    ),
    ("orders", ENTITIES % "", {"r": [{"__typename": "User", "id": f"User:{HUGE}"}]}, "id", "out of range"),
    (
        "orders",
        ENTITIES % "",
        {"r": [{"__typename": "OrderItem", "order": "Order:1", "line": 1}]},
        "order",
        "order",
    ),
    (
        "orders",
        ENTITIES % "",
        {"r": [{"__typename": "OrderItem", "order": {"id": "Order:1"}, "line": "first"}]},
        "line",
        "line",
    ),
    (
        "orders",
        ENTITIES % "",
        {"r": [{"__typename": "OrderItem", "order": {"id": "Order:1"}, "line": 2**64}]},
        "line",
        "line",
    ),
    (
        "orders",
        ENTITIES % "... on Product { shippingCost { amount } }",
        {
            "r": [
                {
                    "__typename": "Product",
                    "id": "Product:1",
                    "weightGrams": "heavy",
                    "price": {"currency": "EUR"},
                }
            ]
        },
        "weightGrams",
        "weightGrams",
    ),
    (
        "orders",
        ENTITIES % "... on Product { shippingCost { amount } }",
        {
            "r": [
                {"__typename": "Product", "id": "Product:1", "weightGrams": 10, "price": {"currency": "XYZ"}}
            ]
        },
        "price",
        "currency",
    ),
]


@pytest.mark.parametrize(
    ("service", "query", "variables", "argument", "says"),
    CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)],
)
async def test_out_of_range_input_is_bad_user_input(backend, service, query, variables, argument, says):
    body = await getattr(backend, service).query(query, variables)
    assert_bad_input(body, argument=argument, says=says)


@pytest.mark.parametrize(
    ("service", "query", "key"),
    [
        ("users", f'{{ x: user(id: "User:{INT64_MAX}") {{ id }} }}', "x"),
        ("users", '{ x: user(id: "User:3000000000") { id } }', "x"),
        ("users", '{ x: user(id: "User:0") { id } }', "x"),
        ("products", f'{{ x: product(id: "Product:{INT64_MAX}") {{ id }} }}', "x"),
        ("products", '{ x: product(sku: "%s") { id } }' % ("S" * 500), "x"),
        ("orders", f'{{ x: order(id: "Order:{INT64_MAX}") {{ id }} }}', "x"),
        ("orders", f'{{ x: orders(userId: "User:{INT64_MAX}") {{ totalCount }} }}', "x"),
    ],
)
async def test_keys_in_range_that_match_nothing_are_not_errors(backend, service, query, key):
    body = await getattr(backend, service).query(query)
    assert "errors" not in body, body
    assert body["data"][key] in (None, {"totalCount": 0})


async def test_a_cursor_far_past_the_end_is_an_empty_page(backend):
    far = _cursor(f"cursor:{2**62}")
    for service, query in [
        ("users", '{ users(after: "%s") { totalCount edges { cursor } pageInfo { hasPreviousPage } } }'),
        ("orders", '{ orders(after: "%s") { totalCount edges { cursor } pageInfo { hasPreviousPage } } }'),
    ]:
        body = await getattr(backend, service).query(query % far)
        assert "errors" not in body, body
        (page,) = body["data"].values()
        assert page["edges"] == [] and page["pageInfo"]["hasPreviousPage"] and page["totalCount"] > 0
    body = await backend.orders.query(
        ENTITIES % '... on User { orders(after: "%s") { totalCount edges { cursor } } }' % far,
        {"r": [{"__typename": "User", "id": "User:1"}]},
    )
    assert "errors" not in body, body
    assert body["data"]["_entities"][0]["orders"]["edges"] == []


async def test_an_order_for_a_product_key_that_matches_nothing_is_product_not_found(backend):
    body = await backend.orders.query(
        'mutation { placeOrder(input: {guestEmail: "g@example.com", items: [{productId: "Product:'
        + str(INT64_MAX)
        + '", quantity: 1}]}) { id } }'
    )
    assert_bad_input(body, code="PRODUCT_NOT_FOUND", argument="input.items")


async def test_a_representation_may_carry_more_than_the_field_requires(backend):
    # Hive Gateway sends the price it already has (without its currency) along with a product for timesOrdered.
    body = await backend.orders.query(
        ENTITIES % "... on Product { timesOrdered }",
        {"r": [{"__typename": "Product", "id": "Product:262", "price": {"amount": "73.08"}, "name": "x"}]},
    )
    assert "errors" not in body, body
    assert body["data"]["_entities"][0]["timesOrdered"] >= 0


async def test_an_order_with_absurdly_many_lines_is_refused(backend):
    items = [{"productId": "Product:1", "quantity": 1}] * 101
    body = await backend.orders.query(
        'mutation($items: [OrderItemInput!]!) { placeOrder(input: {guestEmail: "g@example.com", items: $items}) '
        "{ id } }",
        {"items": items},
    )
    assert_bad_input(body, argument="input.items", says="at most 100 items")


async def test_a_stock_adjustment_past_the_maximum_is_refused(backend):
    body = await backend.products.query(
        'mutation { adjustStock(id: "Product:2", delta: 999999999) { stock } }'
    )
    assert_bad_input(body, argument="delta", says="at most")


async def test_a_huge_number_in_the_json_body_is_a_400_saying_so(backend):
    response = await backend.users.client.post(
        "/graphql",
        content=b'{"query": "query($f: Int!) { users(first: $f) { totalCount } }", "variables": {"f": %s}}'
        % HUGE.encode(),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    assert "100000 digits" in response.text
    assert "set_int_max_str_digits" not in response.text


async def test_a_deeply_nested_json_body_is_a_400(backend):
    response = await backend.users.client.post(
        "/graphql",
        content=b'{"query": "{ __typename }", "variables": {"x": ' + b"[" * 200_000 + b"]" * 200_000 + b"}}",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400


async def test_more_distinct_keys_than_a_statement_takes_are_loaded_in_chunks(backend):
    # PostgreSQL takes at most 32,767 parameters in one statement; a batch is split well below that.
    reps = [{"__typename": "User", "id": f"User:{i}"} for i in range(1, 40_001)]
    with backend.users.sql.capture() as statements:
        body = await backend.users.query(ENTITIES % "... on User { id }", {"r": reps})
    assert "errors" not in body, str(body)[:500]
    assert body["data"]["_entities"][0] == {"__typename": "User", "id": "User:1"}
    assert body["data"]["_entities"][-1] is None
    assert 1 < len(statements) <= 10
