"""What clients see of errors and what the service logs: unexpected ones masked, coded ones unchanged."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from subgraphs.common.db import Database
from tests.conftest import Service, running

LEAKS = ("select", "sqlite", "users.id", "traceback", "operationalerror", "python", "no such table")


@pytest.fixture
async def broken_users(tmp_path) -> AsyncIterator[Service]:
    """A real users service whose table is dropped after start-up: every read fails inside the driver."""
    from subgraphs.users.app import create_app
    from subgraphs.users.models import Base

    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'users.db'}", Base)
    app = create_app(db, seed_data=False)
    async with running("users", app, db) as service:
        async with db.engine.begin() as conn:
            await conn.execute(text("DROP TABLE users"))
        yield service


async def test_an_unexpected_error_reaches_the_client_as_a_generic_one(broken_users, caplog):
    caplog.set_level(logging.INFO, logger="subgraphs")
    response = await broken_users.client.post(
        "/graphql",
        json={"query": '{ user(id: "User:1") { id } }'},
        headers={"X-Request-Id": "req-1234"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["data"] == {"user": None}
    assert body["errors"] == [
        {
            "message": "Unexpected error.",
            "locations": [{"line": 1, "column": 3}],
            "path": ["user"],
            "extensions": {"code": "INTERNAL_SERVER_ERROR"},
        }
    ]
    assert not any(leak in response.text.lower() for leak in LEAKS), response.text
    assert response.headers["X-Request-Id"] == "req-1234"
    (record,) = [r for r in caplog.records if r.name.startswith("subgraphs") and r.levelno >= logging.ERROR]
    assert record.exc_info is not None  # the traceback stays in the log
    assert "req-1234" in record.getMessage() and "user" in record.getMessage()


async def test_a_request_without_an_id_gets_one(broken_users, caplog):
    caplog.set_level(logging.INFO, logger="subgraphs")
    response = await broken_users.client.post("/graphql", json={"query": "{ users { totalCount } }"})
    request_id = response.headers["X-Request-Id"]
    assert len(request_id) >= 16
    (record,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert request_id in record.getMessage()


async def test_a_hostile_request_id_is_replaced(broken_users):
    response = await broken_users.client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"X-Request-Id": "a\tb" + "x" * 500}
    )
    assert response.headers["X-Request-Id"] != "a\tb" + "x" * 500
    assert response.headers["X-Request-Id"].isalnum()


async def test_coded_errors_pass_unchanged_and_log_one_line(services, caplog):
    caplog.set_level(logging.INFO, logger="subgraphs")
    body = await services.users.query('{ user(id: "Product:1") { id } }')
    assert body["errors"] == [
        {
            "message": "Invalid User ID 'Product:1': expected the form 'User:<number>'.",
            "locations": [{"line": 1, "column": 3}],
            "path": ["user"],
            "extensions": {"code": "BAD_USER_INPUT", "argument": "id"},
        }
    ]
    (record,) = [r for r in caplog.records if r.name.startswith("subgraphs")]
    assert record.levelno == logging.INFO
    assert record.exc_info is None
    line = record.getMessage()
    assert "\n" not in line
    assert "BAD_USER_INPUT" in line and "user" in line and "Invalid User ID" in line


async def test_many_bad_ids_log_one_line_each_without_a_traceback(services, caplog):
    caplog.set_level(logging.DEBUG)
    reps = [{"__typename": "User", "id": f"User:x{i}"} for i in range(900)]
    body = await services.users.query(
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id } } }", {"r": reps}
    )
    assert len(body["errors"]) == 900
    assert {e["extensions"]["code"] for e in body["errors"]} == {"BAD_USER_INPUT"}
    records = [r for r in caplog.records if r.levelno >= logging.INFO and r.name.startswith("subgraphs")]
    assert len(records) == 900
    assert all(r.exc_info is None and "\n" not in r.getMessage() for r in records)
    assert "Traceback" not in caplog.text


async def test_a_client_message_cannot_forge_log_lines(services, caplog):
    caplog.set_level(logging.INFO, logger="subgraphs")
    await services.users.query('{ user(id: "User:1\\nERROR forged") { id } }')
    (record,) = [r for r in caplog.records if r.name.startswith("subgraphs")]
    assert "\n" not in record.getMessage()


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ user(id: ", "GRAPHQL_PARSE_FAILED"),
        ('{ user(id: "User:1") { nope } }', "GRAPHQL_VALIDATION_FAILED"),
        ("{ users(first: 99999999999) { totalCount } }", "BAD_USER_INPUT"),
        ('{ users(first: "ten") { totalCount } }', "BAD_USER_INPUT"),
    ],
)
async def test_request_errors_carry_a_code(services, query, code):
    body = await services.users.query(query)
    (error,) = body["errors"]
    assert error["extensions"]["code"] == code
    assert error["message"] != "Unexpected error."


async def test_invalid_variables_are_bad_user_input(services):
    body = await services.users.query("query($f: Int!) { users(first: $f) { totalCount } }", {"f": 2**40})
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "$f" in error["message"]


async def test_an_unknown_entity_type_is_bad_user_input_not_a_crash(services):
    body = await services.orders.query(
        "query($r: [_Any!]!) { _entities(representations: $r) { __typename } }",
        {"r": [{"__typename": "Spaceship", "id": "1"}, {"__typename": "Order", "id": "Order:1"}, "x"]},
    )
    assert body["data"]["_entities"][1] == {"__typename": "Order"}
    errors = {tuple(e["path"]): e for e in body["errors"]}
    assert set(errors) == {("_entities", 0), ("_entities", 2)}
    assert all(e["extensions"]["code"] == "BAD_USER_INPUT" for e in errors.values())
    assert "Spaceship" in errors[("_entities", 0)]["message"]


async def test_one_failed_batch_logs_its_traceback_once(broken_users, caplog):
    caplog.set_level(logging.INFO, logger="subgraphs")
    reps = [{"__typename": "User", "id": f"User:{i}"} for i in range(1, 51)]
    body = (
        await broken_users.client.post(
            "/graphql",
            json={
                "query": "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id } } }",
                "variables": {"r": reps},
            },
        )
    ).json()
    assert len(body["errors"]) == 50
    assert {e["message"] for e in body["errors"]} == {"Unexpected error."}
    records = [r for r in caplog.records if r.name.startswith("subgraphs")]
    assert len(records) == 50
    assert sum(r.exc_info is not None for r in records) == 1
