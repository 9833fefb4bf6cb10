"""The configuration reference (``docs/config.md``), printed from the models that validate ``gateway.yaml``.

``fedgw config --reference > docs/config.md`` writes it; a test checks that the committed file is what the
models print, so a key added to ``gateway.config_schema`` shows up in the reference or fails the build.
"""

from __future__ import annotations

import types
import typing
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

import gateway.config_schema as schema

__all__ = ["render_reference"]

_LABELS = {
    schema._count: "integer ≥ 0",
    schema._optional_count: "integer ≥ 0, or null (no limit)",
    schema._whole: "integer",
    schema._number: "number",
    schema._flag: "true / false",
    schema._duration: "duration: seconds, or `500ms`, `2s`, `1m`",
    schema._text: "string",
    schema._names: "list of strings",
    schema._workers: "integer ≥ 1, or `auto` (one per core)",
}


def _validator_label(metadata: list[Any]) -> str | None:
    for item in metadata:
        label = _LABELS.get(getattr(item, "func", None))  # type: ignore[arg-type]
        if label is not None:
            return label
    return None


def _label(annotation: Any, metadata: list[Any]) -> str:
    found = _validator_label(metadata)
    if found is not None:
        return found
    if typing.get_origin(annotation) is typing.Annotated:
        base, *extra = typing.get_args(annotation)
        return _label(base, list(extra))
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return " / ".join(f"`{a}`" for a in typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return " or ".join(_label(a, []) for a in args)
    if origin is list:
        (item,) = typing.get_args(annotation)
        return f"list of {_label(item, [])}"
    if origin is dict:
        return f"mapping of name to {_label(typing.get_args(annotation)[1], [])}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "mapping (below)"
    return getattr(annotation, "__name__", str(annotation))


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True)
    if value is None or value is PydanticUndefined:
        return "—"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, list):
        return "`[" + ", ".join(str(v) for v in value) + "]`"
    return f"`{value}`"


def _nested(annotation: Any) -> tuple[type[BaseModel], str] | None:
    """The section model inside ``annotation`` and how its keys are reached (``[]`` list item, ``.<name>``)."""
    origin = typing.get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, ""
    if origin is list:
        found = _nested(typing.get_args(annotation)[0])
        return (found[0], "[]") if found else None
    if origin is dict:
        found = _nested(typing.get_args(annotation)[1])
        return (found[0], ".<name>") if found else None
    for arg in typing.get_args(annotation):
        found = _nested(arg)
        if found:
            return found
    return None


def _cell(text: str) -> str:
    return _markdown(text).replace("|", "\\|").replace("\n", " ")


def _markdown(text: str) -> str:
    """Docstrings quote code as reStructuredText does (double backticks); Markdown takes one."""
    return text.replace("``", "`")


def _section(model: type[BaseModel], path: str, out: list[str]) -> None:
    title = f"`{path}`" if path else "Top level"
    out += [
        f"## {title}",
        "",
        _cell((model.__doc__ or "").strip().splitlines()[0] if model.__doc__ else ""),
        "",
    ]
    out += [
        "| key | type | default | environment | flag | meaning |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    below: list[tuple[type[BaseModel], str]] = []
    for name, field in model.model_fields.items():
        key = field.alias or name
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        env, flag = extra.get("env"), extra.get("flag")
        nested = _nested(field.annotation)
        label = (
            "mapping (below)" if nested and not nested[1] else _label(field.annotation, list(field.metadata))
        )
        if nested and nested[1] == "[]":
            label = "list of mappings (below)"
        elif nested and nested[1]:
            label = "mapping of name to mapping (below)"
        out.append(
            "| "
            + " | ".join(
                [
                    f"`{key}`",
                    _cell(label),
                    _cell(_default(field)) if not nested or field.is_required() else "—",
                    f"`{env}`" if env else "",
                    _cell(" ".join(f"`{f.strip()}`" for f in str(flag).split("/"))) if flag else "",
                    _cell(field.description or ""),
                ]
            )
            + " |"
        )
        if nested:
            below.append((nested[0], f"{path + '.' if path else ''}{key}{nested[1]}"))
    out.append("")
    for sub, sub_path in below:
        if sub_path.endswith(".<name>") and (twin := _twin(below, sub, sub_path)):
            # Per-name entries take the keys of their 'all' twin; only the precedence differs.
            out += [
                f"## `{sub_path}`",
                "",
                f"The keys of `{twin}`, for one subgraph: each one given here wins over `{twin}` and over the"
                " environment; a key left out is taken from them. (`--subgraph-timeout` still sets every"
                " request timeout.)",
                "",
            ]
            continue
        _section(sub, sub_path, out)


def _twin(below: list[tuple[type[BaseModel], str]], model: type[BaseModel], path: str) -> str | None:
    """The section of the same model documented in full beside ``path`` (``all`` beside ``subgraphs.<name>``)."""
    return next((p for m, p in below if m is model and p != path and not p.endswith(".<name>")), None)


def render_reference() -> str:
    """The reference as Markdown: the precedence rule, then one table per section of the file."""
    intro = (schema.__doc__ or "").split("\n\n")
    precedence = next((p for p in intro if p.startswith("Precedence")), "")
    out = [
        "# gateway.yaml reference",
        "",
        "<!-- Printed from gateway/config_schema.py by `fedgw config --reference > docs/config.md`; edit the"
        " models, not this file. -->",
        "",
        "Every key the gateway's config file takes, its type and default, and the environment variable and"
        " `fedgw serve` flag that override it. An unknown key or a bad value stops the gateway with an error"
        " naming the key, what it expects and what it got (`fedgw config` checks a file without serving).",
        "",
        _markdown(" ".join(line.strip() for line in precedence.splitlines())),
        "",
        "Durations are seconds (`2`, `0.5`) or text with a unit (`500ms`, `2s`, `1m`). Relative paths are"
        " resolved against the directory of the config file. Variables take the same values as the keys"
        " (`true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off` for switches; `none` lifts a limit).",
        "",
    ]
    _section(schema.GatewayFile, "", out)
    return "\n".join(out).rstrip() + "\n"
