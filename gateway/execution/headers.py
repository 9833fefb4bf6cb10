"""Which client request headers reach subgraphs: an explicit allow-list, never the hop-by-hop ones.

The W3C trace context (``traceparent``, ``tracestate``) is not the policy's business: the subgraph client
sends it on every request, its own span's while tracing and the client's as it came otherwise
(``gateway.execution.client``), so allowing it here would only split identical queries apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = ["HeaderPolicy"]

# Headers that describe one HTTP hop, never forwarded whatever the policy says (RFC 9110 section 7.6.1).
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
        "content-type",
        "accept",
        "accept-encoding",
    }
)


# Sent by the subgraph client itself (see the module docstring).
_TRACE_CONTEXT = frozenset({"traceparent", "tracestate"})


@dataclass(frozen=True)
class HeaderPolicy:
    """Which client request headers reach subgraphs: an explicit allow-list (case-insensitive).

    ``allow`` names headers copied from the client request when present; ``static`` headers are always sent.
    Hop-by-hop and body-describing headers (``content-length``, ``host``, ...) are never copied.
    """

    allow: Iterable[str] = ()
    static: Mapping[str, str] | None = None

    def __post_init__(self) -> None:
        allowed = frozenset(h.lower() for h in self.allow) - _HOP_BY_HOP - _TRACE_CONTEXT
        object.__setattr__(self, "allow", allowed)

    def apply(self, request_headers: Mapping[str, str] | None) -> dict[str, str]:
        """The headers to send to every subgraph for one client request."""
        out: dict[str, str] = {k.lower(): v for k, v in self.static.items()} if self.static else {}
        allowed: frozenset[str] = self.allow  # type: ignore[assignment]
        if request_headers and allowed:
            for name, value in request_headers.items():
                lname = name.lower()
                if lname in allowed:
                    out[lname] = value
        return out
