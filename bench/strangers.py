"""The stranger's attempts for ``bench/abuse.py``: what a caller may not read or change, tried every way we know.

Each attempt is one request against the running system and a rule saying what "refused" means for it: an HTTP
refusal (401, 403, 404, 400), or a GraphQL answer whose protected field is null with a refusing code
(``FORBIDDEN``, ``UNAUTHORIZED_FIELD_OR_TYPE``, ``UNAUTHENTICATED``), or one that carries none of the protected
values at all. Tokens are signed with the development key the system trusts (``fedgw up``'s), and forged in
the ways a stranger would: another key under the same ``kid``, expired, for another audience or issuer,
``alg: none``, HMAC keyed with the public key. The safelist attempts run against a second gateway serving only
a persisted-operation manifest.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from gateway.server.auth.dev_key import DevKey

__all__ = ["SAFELISTED", "Attempt", "manifest", "safelist_attempts", "stranger_attempts"]

REFUSING = frozenset({"FORBIDDEN", "UNAUTHORIZED_FIELD_OR_TYPE", "UNAUTHENTICATED"})
Verdict = Callable[[int, Any], bool]


@dataclass
class Attempt:
    """One request a stranger sends and how to tell it was refused."""

    name: str
    request: dict[str, Any]
    refused: Verdict
    headers: dict[str, str] = field(default_factory=dict)


def _codes(body: Any) -> set[str]:
    errors = body.get("errors") if isinstance(body, dict) else None
    return {str((e.get("extensions") or {}).get("code")) for e in errors or () if isinstance(e, dict)}


def http_refusal(*statuses: int) -> Verdict:
    return lambda status, body: status in statuses


def null_field(name: str) -> Verdict:
    """Refused: ``data.<name>`` (or data) is null, with a refusing code."""

    def verdict(status: int, body: Any) -> bool:
        if status in (401, 403):
            return True
        data = body.get("data") if isinstance(body, dict) else None
        return (data is None or data.get(name) is None) and bool(_codes(body) & REFUSING)

    return verdict


def no_values(*keys: str) -> Verdict:
    """Refused: no non-null value under any of ``keys`` anywhere in the answer's data."""

    def found(value: Any) -> bool:
        if isinstance(value, dict):
            return any((k in keys and v is not None) or found(v) for k, v in value.items())
        if isinstance(value, list):
            return any(found(v) for v in value)
        return False

    def verdict(status: int, body: Any) -> bool:
        data = body.get("data") if isinstance(body, dict) else None
        return status in (401, 403) or not found(data)

    return verdict


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(key: DevKey, sub: str, **extra: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"iss": "fedgw-dev", "aud": "fedgw", "sub": sub, "iat": now, "exp": now + 600, **extra}


def forged_tokens(key: DevKey) -> dict[str, str]:
    """Tokens the gateway must refuse (401), by what is wrong with them."""
    other = ec.generate_private_key(ec.SECP256R1())
    payload = _claims(key, "User:2", scope="orders:manage")
    public_pem = key.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    hs_header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": key.kid}).encode())
    hs_payload = _b64(json.dumps(payload).encode())
    hs_signature = _b64(hmac.new(public_pem, f"{hs_header}.{hs_payload}".encode(), hashlib.sha256).digest())
    none_header = _b64(json.dumps({"alg": "none", "typ": "JWT", "kid": key.kid}).encode())
    return {
        "signed by another key under the trusted kid": jwt.encode(
            payload, other, algorithm="ES256", headers={"kid": key.kid}
        ),
        "expired an hour ago": key.sign("User:2", ["orders:manage"], -3600),
        "for another audience": key.sign("User:2", ["orders:manage"], 600, aud="another-service"),
        "from another issuer": key.sign("User:2", ["orders:manage"], 600, iss="https://evil.example"),
        "alg none": f"{none_header}.{hs_payload}.",
        "HS256 keyed with the public key": f"{hs_header}.{hs_payload}.{hs_signature}",
        "not a JWT": "not-a-token",
    }


def stranger_attempts(key: DevKey | None, theirs: dict[str, str]) -> list[Attempt]:
    """``theirs``: another customer's (User:2's) ``order`` and ``payment`` IDs."""
    order, payment = theirs.get("order", "Order:1"), theirs.get("payment", "Payment:1")
    q = lambda text, **variables: {"json": {"query": text, "variables": variables}}  # noqa: E731
    attempts = [
        Attempt(
            "a guest adjusts stock",
            q('mutation { adjustStock(id: "Product:1", delta: -5) { id stock } }'),
            null_field("adjustStock"),
        ),
        Attempt(
            "a guest changes User:1's email",
            q('mutation { updateUser(id: "User:1", input: {email: "x@evil.example"}) { id email } }'),
            null_field("updateUser"),
        ),
        Attempt(
            "a guest changes an order's status",
            q("mutation($id: ID!) { updateOrderStatus(id: $id, status: CANCELLED) { id } }", id=order),
            null_field("updateOrderStatus"),
        ),
        Attempt(
            "a guest cancels an order",
            q("mutation($id: ID!) { cancelOrder(id: $id) { id status } }", id=order),
            null_field("cancelOrder"),
        ),
        Attempt(
            "a guest reads orders",
            q("{ orders(first: 5) { edges { node { id total { amount } } } } }"),
            null_field("orders"),
        ),
        Attempt(
            "a guest reads customers' emails and addresses",
            q("{ users(first: 5) { edges { node { name email address { city } } } } }"),
            no_values("email", "address"),
        ),
        Attempt(
            "a guest reads an order by node(id:)",
            q("query($id: ID!) { node(id: $id) { id ... on Order { total { amount } } } }", id=order),
            null_field("node"),
        ),
        Attempt(
            "a guest reads a payment",
            q("query($id: ID!) { payment(id: $id) { id amount { amount } } }", id=payment),
            null_field("payment"),
        ),
        Attempt(
            "a guest lists every payment",
            q("{ payments(first: 5) { edges { node { id amount { amount } } } } }"),
            null_field("payments"),
        ),
        Attempt(
            "a guest sends claims of its own (x-claims: staff)",
            q("{ orders(first: 5) { edges { node { id } } } }"),
            null_field("orders"),
            {"x-claims": json.dumps({"sub": "User:2", "scope": "orders:manage"})},
        ),
    ]
    if key is None:
        return attempts
    ada = {"authorization": "Bearer " + key.sign("User:1", [], 600)}
    attempts += [
        Attempt(
            "a customer reads another customer's order",
            q("query($id: ID!) { order(id: $id) { id total { amount } } }", id=order),
            null_field("order"),
            ada,
        ),
        Attempt(
            "a customer reads another customer's order by node(id:)",
            q("query($id: ID!) { node(id: $id) { id ... on Order { total { amount } } } }", id=order),
            null_field("node"),
            ada,
        ),
        Attempt(
            "a customer reads another customer's payment",
            q("query($id: ID!) { payment(id: $id) { id amount { amount } } }", id=payment),
            null_field("payment"),
            ada,
        ),
        Attempt(
            "a customer reads another customer's payments",
            q('{ user(id: "User:2") { name payments { totalCount edges { node { id } } } } }'),
            no_values("payments", "totalCount"),
            ada,
        ),
        Attempt(
            "a customer reads another customer's contact details",
            q('{ user(id: "User:2") { name email address { city } } }'),
            no_values("email", "address"),
            ada,
        ),
        Attempt(
            "a customer cancels another customer's order",
            q("mutation($id: ID!) { cancelOrder(id: $id) { id status } }", id=order),
            null_field("cancelOrder"),
            ada,
        ),
        Attempt(
            "a customer refunds a payment (not staff)",
            q("mutation($id: ID!) { refundPayment(id: $id) { id state } }", id=payment),
            null_field("refundPayment"),
            ada,
        ),
        Attempt(
            "a customer adjusts stock (not staff)",
            q('mutation { adjustStock(id: "Product:1", delta: 5) { id stock } }'),
            null_field("adjustStock"),
            ada,
        ),
    ]
    for what, token in forged_tokens(key).items():
        attempts.append(
            Attempt(
                f"a token {what}",
                q("query($id: ID!) { order(id: $id) { id } }", id=order),
                http_refusal(401),
                {"authorization": "Bearer " + token},
            )
        )
    return attempts


# The one operation the safelisting gateway serves.
SAFELISTED = "query Catalogue { products(first: 2) { edges { node { id name } } } }"


def manifest(path: Path) -> str:
    """Write a persisted-operation manifest holding ``SAFELISTED``; its operation id."""
    op_id = hashlib.sha256(SAFELISTED.encode()).hexdigest()
    path.write_text(
        json.dumps(
            {
                "format": "apollo-persisted-query-manifest",
                "version": 1,
                "operations": [{"id": op_id, "name": "Catalogue", "type": "query", "body": SAFELISTED}],
            }
        )
    )
    return op_id


def safelist_attempts(op_id: str) -> list[Attempt]:
    unlisted = "{ products(first: 100) { edges { node { id name stock } } } }"
    sha = hashlib.sha256(unlisted.encode()).hexdigest()
    apq = {"persistedQuery": {"version": 1, "sha256Hash": sha}}
    return [
        Attempt("a freeform query not in the safelist", {"json": {"query": unlisted}}, http_refusal(403)),
        Attempt(
            "the safelisted body with a field added",
            {"json": {"query": SAFELISTED.replace("id name", "id name stock")}},
            http_refusal(403),
        ),
        Attempt("an unknown documentId", {"json": {"documentId": "0" * 64}}, http_refusal(404)),
        Attempt(
            "a listed documentId with another body",
            {"json": {"documentId": op_id, "query": unlisted}},
            http_refusal(400),
        ),
        Attempt(
            "registering an automatic persisted query",
            {"json": {"query": unlisted, "extensions": apq}},
            http_refusal(400, 403, 404),
        ),
        Attempt(
            "a freeform query by GET",
            {"method": "GET", "params": {"query": unlisted}},
            http_refusal(403),
        ),
        Attempt(
            "a batch with an unlisted operation",
            {
                "content": json.dumps([{"documentId": op_id}, {"query": unlisted}]).encode(),
                "headers": {"content-type": "application/json"},
            },
            http_refusal(400, 403),
        ),
    ]
