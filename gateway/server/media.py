"""``Accept`` and ``Content-Type`` handling for GraphQL over HTTP.

See https://graphql.github.io/graphql-over-http/draft/#sec-Accept and #sec-Media-Types: a server supports
``application/graphql-response+json`` and ``application/json``; a request without ``Accept`` is treated as
``application/json``; responses are UTF-8.
"""

from __future__ import annotations

__all__ = [
    "GRAPHQL_RESPONSE_JSON",
    "HTML",
    "JSON",
    "is_json_content_type",
    "negotiate",
    "prefers_html",
]

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
HTML = "text/html"


def _media_ranges(accept: str) -> list[tuple[str, float]]:
    """Each media range of an ``Accept`` header with its quality (RFC 9110 12.5.1); non-UTF-8 ranges dropped."""
    out: list[tuple[str, float]] = []
    for part in accept.split(","):
        pieces = part.split(";")
        media = pieces[0].strip().lower()
        if not media:
            continue
        quality = 1.0
        acceptable = True
        for param in pieces[1:]:
            name, _, value = param.partition("=")
            name = name.strip().lower()
            value = value.strip().strip('"').lower()
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
            elif name == "charset" and value not in ("utf-8", "utf8"):
                acceptable = False
        if acceptable:
            out.append((media, quality))
    return out


def _quality(ranges: list[tuple[str, float]], media: str, *, wildcards: bool = True) -> tuple[float, int]:
    """The quality of ``media`` under the most specific matching range, and that range's specificity."""
    main = media.split("/", 1)[0]
    best: tuple[float, int] = (0.0, -1)
    for range_, quality in ranges:
        if range_ == media:
            specificity = 2
        elif wildcards and range_ == f"{main}/*":
            specificity = 1
        elif wildcards and range_ == "*/*":
            specificity = 0
        else:
            continue
        if specificity > best[1]:
            best = (quality, specificity)
    return best


def negotiate(accept: str | None) -> str | None:
    """The response media type for an ``Accept`` header, or None when neither JSON type is acceptable (406).

    An explicit ``application/graphql-response+json`` wins ties; a wildcard alone gets ``application/json``
    (the media type every client understands).
    """
    if accept is None or not accept.strip():
        return JSON
    ranges = _media_ranges(accept)
    best: tuple[float, int, int] = (0.0, -1, 0)
    chosen: str | None = None
    for media in (GRAPHQL_RESPONSE_JSON, JSON):
        quality, specificity = _quality(ranges, media)
        if quality <= 0.0:
            continue
        preference = int(media == GRAPHQL_RESPONSE_JSON) if specificity == 2 else int(media == JSON)
        score = (quality, specificity, preference)
        if score > best:
            best, chosen = score, media
    return chosen


def prefers_html(accept: str | None) -> bool:
    """Whether the client (a browser) names ``text/html`` at least as highly as any JSON response type."""
    if not accept:
        return False
    ranges = _media_ranges(accept)
    html, _ = _quality(ranges, HTML, wildcards=False)
    if html <= 0.0:
        return False
    json_best = max(_quality(ranges, m)[0] for m in (GRAPHQL_RESPONSE_JSON, JSON))
    return html >= json_best


def is_json_content_type(content_type: str | None) -> bool:
    """``application/json`` with no charset or UTF-8 (spec "POST": the body is JSON, UTF-8 assumed)."""
    if not content_type:
        return False
    pieces = content_type.split(";")
    if pieces[0].strip().lower() != JSON:
        return False
    for param in pieces[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            return False
    return True
