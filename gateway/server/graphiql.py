"""The GraphiQL page, served from the gateway's own static files (no CDN), with a query-plan panel; its
fetcher sends subscriptions over GraphQL over WebSocket to ``ws(s)://<host>/graphql``."""

from __future__ import annotations

import html
from pathlib import Path

import orjson

__all__ = ["STATIC_DIR", "graphiql_html"]

STATIC_DIR = Path(__file__).parent / "static"

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="{static}/graphiql.min.css">
<style>html, body, #graphiql {{ height: 100%; margin: 0; }}</style>
</head>
<body>
<div id="graphiql">Loading GraphiQL...</div>
<script id="gateway-graphiql-config" type="application/json">{config}</script>
<script src="{static}/react.production.min.js"></script>
<script src="{static}/react-dom.production.min.js"></script>
<script src="{static}/graphiql.min.js"></script>
<script src="{static}/gateway-graphiql.js"></script>
</body>
</html>
"""


def graphiql_html(
    *,
    endpoint: str = "graphql",
    static_path: str = "static",
    query_plan_header: str | None = None,
    title: str = "Federation gateway",
) -> str:
    """The page. Paths are relative so it works at ``/`` and ``/graphql`` and behind a path prefix.

    ``query_plan_header`` is the header that asks for ``extensions.queryPlan``; None when the gateway does
    not expose plans (the panel then says so).
    """
    # Subscriptions use GraphQL over WebSocket on the same path (the page turns http(s) into ws(s)).
    config = orjson.dumps(
        {"endpoint": endpoint, "subscriptionEndpoint": endpoint, "queryPlanHeader": query_plan_header}
    ).decode()
    # JSON inside <script> must not close the tag.
    config = config.replace("</", "<\\/")
    return _PAGE.format(title=html.escape(title), static=html.escape(static_path), config=config)
