"""``fedgw token``: print a token signed by the local development key, which ``fedgw up`` trusts.

Paste it into GraphiQL's headers editor as ``{"Authorization": "Bearer <token>"}`` (``--format header`` prints
exactly that) to act as any user with any scopes. The key lives under the data directory and is created on
first use (``gateway.server.auth.dev_key``); it is for local development only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from typing import Any

__all__ = ["add_parser", "parse_ttl", "run"]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_ttl(text: str) -> int:
    """``90``, ``90s``, ``15m``, ``1h`` or ``7d`` as seconds (positive)."""
    match = re.fullmatch(r"\s*(\d+)\s*([smhd]?)\s*", text)
    if not match or int(match.group(1)) <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a lifetime like 3600, 30m, 1h or 7d")
    return int(match.group(1)) * _UNITS[match.group(2) or "s"]


def _claim(text: str) -> tuple[str, Any]:
    name, sep, raw = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=VALUE")
    try:
        return name, json.loads(raw)
    except json.JSONDecodeError:
        return name, raw


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "token",
        help="print a development token that `fedgw up` accepts",
        description="Print a JWT signed by the local development key (for GraphiQL's headers editor).",
    )
    p.add_argument("--sub", required=True, help="the subject, e.g. User:1")
    p.add_argument(
        "--scope", action="append", default=[], help="a granted scope (repeatable, or space-separated)"
    )
    p.add_argument("--ttl", type=parse_ttl, default=3600, help="lifetime: 3600, 30m, 1h, 7d (default 1h)")
    p.add_argument(
        "--claim", action="append", type=_claim, default=[], help="an extra claim NAME=VALUE (JSON or text)"
    )
    p.add_argument(
        "--format",
        choices=("token", "header"),
        default="token",
        help="the bare token or a headers-editor JSON",
    )
    p.add_argument(
        "--data-dir", default=os.environ.get("DATA_DIR", "data"), help="where the development key lives"
    )


def run(args: argparse.Namespace) -> int:
    from gateway.server.auth.dev_key import ensure_dev_key

    reserved = {"iss", "aud", "sub", "iat", "exp", "scope"}
    extra = dict(args.claim)
    clash = sorted(reserved & extra.keys())
    if clash:
        print(f"error: --claim cannot set {', '.join(clash)}; use --sub, --scope or --ttl", file=sys.stderr)
        return 2
    scopes = [s for item in args.scope for s in item.split()]
    token = ensure_dev_key(args.data_dir).sign(args.sub, scopes, args.ttl, **extra)
    if args.format == "header":
        print(json.dumps({"Authorization": f"Bearer {token}"}))
    else:
        print(token)
    return 0
