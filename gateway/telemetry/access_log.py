"""The access log: one line per request at INFO on the ``gateway.access`` logger, and the log formats.

The line names the request id the client got (``X-Request-Id``), method, path, HTTP status, duration in
milliseconds, the operation's name and type, its outcome, the number of subgraph fetches, whether the plan came
from the cache, the client's ``apollographql-client-name``/``-version`` headers when sent, and the trace id when
tracing is on. ``text`` renders it as ``key=value`` pairs; ``json`` renders every log record (access lines,
errors and their tracebacks) as one JSON object per line, with the fields as keys.

Every record also carries the request id bound while it was logged (``gateway.execution.masking``), so an
error in the log is found from the id the client was shown. The JSON formatter is a few lines over orjson, which
the gateway already uses, rather than another dependency.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson

__all__ = [
    "ACCESS_LOGGER",
    "JsonFormatter",
    "RequestIdFilter",
    "TextFormatter",
    "configure_logging",
    "log_access",
]

ACCESS_LOGGER = logging.getLogger("gateway.access")
LOG_FORMATS = ("text", "json")

# LogRecord's own attributes: what is not among them was passed in ``extra`` and becomes a JSON key.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def log_access(fields: dict[str, Any]) -> None:
    """Log one access line; ``fields`` in the order they are printed (None values are left out)."""
    if not ACCESS_LOGGER.isEnabledFor(logging.INFO):
        return
    present = {k: v for k, v in fields.items() if v is not None}
    text = " ".join(f"{k}={_text(v)}" for k, v in present.items())
    ACCESS_LOGGER.info(text, extra={"access": present})


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if not text or any(c.isspace() or c in '"=' for c in text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


class RequestIdFilter(logging.Filter):
    """Sets ``record.request_id`` from ``current`` (the request being served; ``-`` outside requests)."""

    def __init__(self, current: Callable[[], str | None]) -> None:
        super().__init__()
        self._current = current

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = self._current() or "-"
        return True


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = "-"
        return super().format(record)


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request_id, the ``extra`` fields (an access
    line's fields at the top level) and ``exception`` with the traceback text."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
        }
        access = getattr(record, "access", None)
        if isinstance(access, dict):
            out["message"] = "request"
            out.update(access)
        else:
            out["message"] = record.getMessage()
        out.setdefault("request_id", getattr(record, "request_id", None) or "-")
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and key not in ("access", "request_id") and key not in out:
                out[key] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            out["exception"] = record.exc_text
        return orjson.dumps(out, default=str).decode()


def configure_logging(
    level: str = "info", log_format: str = "text", *, current_request_id: Callable[[], str | None]
) -> logging.Handler:
    """The root logger's one handler on stderr, in ``log_format`` (``text`` or ``json``), with the request id."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format must be one of {', '.join(LOG_FORMATS)}, got {log_format!r}")
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(RequestIdFilter(current_request_id))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper())
    return handler
