"""The users service: look-ups, paging, and validated writes."""

from __future__ import annotations

import uuid

CREATE = """mutation($input: CreateUserInput!) { createUser(input: $input) { id name email address { country } createdAt } }"""


def _email() -> str:
    return f"new.{uuid.uuid4().hex[:10]}@example.com"


async def test_user_by_id_and_unknown_id(services):
    body = await services.users.query(
        '{ a: user(id: "User:1") { id name } b: user(id: "User:424242") { id } }'
    )
    assert body["data"]["a"]["id"] == "User:1"
    assert body["data"]["b"] is None


async def test_malformed_id_is_a_coded_error(services):
    body = await services.users.query('{ user(id: "Product:1") { id } }')
    (error,) = body["errors"]
    assert error["path"] == ["user"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "User:<number>" in error["message"]


async def test_paging_walks_the_whole_list_without_overlap(services):
    seen: list[str] = []
    after = None
    for _ in range(3):
        body = await services.users.query(
            "query($after: String) { users(first: 7, after: $after) { totalCount edges { node { id } } "
            "pageInfo { hasNextPage endCursor } } }",
            {"after": after},
        )
        page = body["data"]["users"]
        seen += [e["node"]["id"] for e in page["edges"]]
        after = page["pageInfo"]["endCursor"]
        assert page["pageInfo"]["hasNextPage"]
    assert seen == [f"User:{i}" for i in range(1, 22)]
    assert page["totalCount"] >= 1000


async def test_malformed_cursor_and_page_size(services):
    body = await services.users.query('{ users(after: "not-a-cursor") { totalCount } }')
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "after"}
    body = await services.users.query("{ users(first: -1) { totalCount } }")
    assert body["errors"][0]["extensions"]["argument"] == "first"


async def test_create_user_and_timestamps_carry_a_zone(services):
    email = _email()
    body = await services.users.query(
        CREATE, {"input": {"name": " Ada ", "email": email, "address": {"country": "GB"}}}
    )
    user = body["data"]["createUser"]
    assert user["name"] == "Ada" and user["email"] == email and user["address"]["country"] == "GB"
    assert user["createdAt"].endswith("+00:00")


async def test_invalid_email_is_refused_and_nothing_written(services):
    before = (await services.users.query("{ users(first: 0) { totalCount } }"))["data"]["users"]["totalCount"]
    body = await services.users.query(
        CREATE, {"input": {"name": "X", "email": "no-at-sign", "address": {"country": "DE"}}}
    )
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "email"}
    after = (await services.users.query("{ users(first: 0) { totalCount } }"))["data"]["users"]["totalCount"]
    assert after == before


async def test_duplicate_email_is_a_conflict(services):
    email = _email()
    ok = await services.users.query(
        CREATE, {"input": {"name": "A", "email": email, "address": {"country": "DE"}}}
    )
    assert "errors" not in ok
    body = await services.users.query(
        CREATE, {"input": {"name": "B", "email": email.upper(), "address": {"country": "DE"}}}
    )
    assert body["errors"][0]["extensions"]["code"] == "CONFLICT"
    assert email in body["errors"][0]["message"]


async def test_update_user(services):
    created = await services.users.query(
        CREATE, {"input": {"name": "C", "email": _email(), "address": {"country": "FR"}}}
    )
    uid = created["data"]["createUser"]["id"]
    body = await services.users.query(
        'mutation($id: ID!) { updateUser(id: $id, input: {name: "Claude", address: {country: "IT", city: "Rome"}}) '
        "{ name email address { country city } } }",
        {"id": uid},
    )
    assert body["data"]["updateUser"]["name"] == "Claude"
    assert body["data"]["updateUser"]["address"] == {"country": "IT", "city": "Rome"}
    bad = await services.users.query(
        'mutation { updateUser(id: "User:99999999", input: {name: "x"}) { id } }'
    )
    assert bad["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    bad = await services.users.query(
        'mutation($id: ID!) { updateUser(id: $id, input: {address: {country: "Germany"}}) { id } }',
        {"id": uid},
    )
    assert bad["errors"][0]["extensions"]["argument"] == "address.country"
