"""The caller's claims as the gateway forwards them (a JSON ``x-claims`` header it verified and wrote), and the
ownership rules every service checks itself: the gateway's directives say who may ask, the service says whose
data they may see or change.

Services trust this header because only the gateway reaches them (it drops any client-sent header of that
name); ``SUBGRAPH_CLAIMS_HEADER`` renames it. Staff are told apart by scopes: ``orders:manage`` (change order
status, read every order and its customer's contact details), ``products:manage`` (catalogue and stock), ``users:manage`` (change any account).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from strawberry.types import Info

from subgraphs.common.errors import UserInputError

__all__ = [
    "FORBIDDEN",
    "ORDERS_MANAGE",
    "PRODUCTS_MANAGE",
    "USERS_MANAGE",
    "Caller",
    "caller",
    "readable_order",
    "require_owner_or",
    "require_scope",
    "require_signed_in",
]

T = TypeVar("T")

FORBIDDEN = "FORBIDDEN"
ORDERS_MANAGE = "orders:manage"
PRODUCTS_MANAGE = "products:manage"
USERS_MANAGE = "users:manage"


@dataclass(frozen=True)
class Caller:
    """Who sends the request: ``subject`` is the token's ``sub`` (``User:1``), ``None`` when anonymous."""

    subject: str | None = None
    scopes: frozenset[str] = frozenset()

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> Caller:
        raw = headers.get(os.environ.get("SUBGRAPH_CLAIMS_HEADER", "x-claims"))
        try:
            claims: Any = json.loads(raw) if raw else None
        except ValueError:
            claims = None
        if not isinstance(claims, dict):
            return cls()
        scope = claims.get("scope", claims.get("scp", ""))
        scopes = scope.split() if isinstance(scope, str) else [s for s in scope if isinstance(s, str)]
        sub = claims.get("sub")
        return cls(sub if isinstance(sub, str) else None, frozenset(scopes))

    def is_user(self, user_id: str | None) -> bool:
        """Whether the caller is the user with global ID ``user_id`` (``User:1``)."""
        return self.subject is not None and user_id is not None and self.subject == user_id

    def may(self, scope: str) -> bool:
        return scope in self.scopes


def caller(info: Info) -> Caller:
    """The caller of the request ``info`` belongs to (cached on the context)."""
    context = info.context
    found = context.get("caller") if isinstance(context, dict) else None
    if found is None:
        request = context.get("request") if isinstance(context, dict) else None
        found = Caller.from_headers(request.headers) if request is not None else Caller()
        if isinstance(context, dict):
            context["caller"] = found
    return found  # type: ignore[no-any-return]


def require_signed_in(info: Info) -> Caller:
    found = caller(info)
    if found.subject is None:
        raise UserInputError("Sign in first.", code="UNAUTHENTICATED")
    return found


def require_owner_or(info: Info, user_id: str | None, scope: str, what: str) -> Caller:
    """The caller, when they are ``user_id`` or hold ``scope``; else a ``FORBIDDEN`` error naming ``what``."""
    found = caller(info)
    if found.is_user(user_id) or found.may(scope):
        return found
    raise UserInputError(f"You may not access {what}.", code=FORBIDDEN)


def require_scope(info: Info, scope: str) -> Caller:
    """The caller, when they hold ``scope`` (staff); else ``FORBIDDEN``."""
    found = caller(info)
    if not found.may(scope):
        raise UserInputError(f"This needs the scope {scope!r}.", code=FORBIDDEN)
    return found


def readable_order(info: Info, order: T) -> T:
    """``order`` (anything with a private ``user_id`` row key), when the caller placed it or is staff; guest
    orders are staff's alone. ``None`` passes (a missing order is null, whoever asks)."""
    if order is not None:
        user_pk = getattr(order, "user_id", None)
        owner = f"User:{user_pk}" if user_pk is not None else None
        require_owner_or(info, owner, ORDERS_MANAGE, f"order {getattr(order, 'id', '')}")
    return order
