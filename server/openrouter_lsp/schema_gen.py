"""Generates `schemas/` (JSON Schema 2020-12) from the attrs types in `protocol.py`.

`openrouter-lsp schemas [--out DIR] [--check]`; `tests/test_schemas.py` fails when the committed
files drift from what this produces.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
import types
import typing
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import attrs

from . import protocol
from .wire import to_camel

DIALECT = "https://json-schema.org/draft/2020-12/schema"
ID_BASE = "https://github.com/openrouter-lsp/openrouter-lsp/schemas/"

class _Builder:
    def __init__(self, *, all_required: bool = False, state_limits: bool = True) -> None:
        self.defs: dict[str, Any] = {}
        self.state_limits = state_limits  # inputs state the limits the server enforces
        # Results always carry every field, defaults included: say so, so that generated
        # client types need no optional checks.
        self.all_required = all_required

    def type_schema(self, tp: Any) -> dict[str, Any]:
        origin = get_origin(tp)
        if tp is str:
            return {"type": "string"}
        if tp is bool:
            return {"type": "boolean"}
        if tp is int:
            return {"type": "integer"}
        if tp is float:
            return {"type": "number"}
        if tp is type(None):
            return {"type": "null"}
        if tp is object:
            return {}
        if origin is Literal:
            return {"enum": list(get_args(tp))}
        if origin in (typing.Union, types.UnionType):
            options = [self.type_schema(arg) for arg in get_args(tp)]
            simple = [o.get("type") for o in options]
            if all(
                isinstance(t, str) and len(o) == 1 for t, o in zip(simple, options, strict=True)
            ):
                return {"type": simple}
            return {"anyOf": options}
        if origin is list:
            return {"type": "array", "items": self.type_schema(get_args(tp)[0])}
        if origin is dict:
            return {"type": "object", "additionalProperties": self.type_schema(get_args(tp)[1])}
        if attrs.has(tp):
            self.define(tp)
            return {"$ref": f"#/$defs/{tp.__name__}"}
        raise TypeError(f"no schema for {tp!r}")

    def object_schema(self, cls: type) -> dict[str, Any]:
        hints = typing.get_type_hints(cls)
        properties: dict[str, Any] = {}
        required: list[str] = []
        for field in attrs.fields(cls):
            name = to_camel(field.name)
            schema = self.type_schema(hints[field.name])
            if self.state_limits:
                limits = _limits(hints[field.name], field)
                if "items" in limits and "anyOf" in schema:
                    # `list[str] | None`: the list's limits go to its option, which keeps the
                    # generated type a plain `string[] | null`.
                    schema = {"anyOf": [_with_list_limits(o, limits) for o in schema["anyOf"]]}
                    limits = {k: v for k, v in limits.items() if k not in _LIST_LIMITS}
                elif "items" in limits:  # each item's limits join the item schema
                    limits["items"] = {**schema["items"], **limits["items"]}
                schema = {**schema, **limits}
            if field.default is attrs.NOTHING or self.all_required:
                required.append(name)
            elif not isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
                schema = {**schema, "default": field.default}
            properties[name] = schema
        result: dict[str, Any] = {"type": "object"}
        doc = inspect.getdoc(cls)
        if doc and not doc.startswith(f"{cls.__name__}("):  # not attrs' generated signature
            result["description"] = doc
        result["properties"] = properties
        if required:
            result["required"] = required
        return result

    def define(self, cls: type) -> None:
        if cls.__name__ not in self.defs:
            self.defs[cls.__name__] = {}  # placeholder against recursion
            self.defs[cls.__name__] = self.object_schema(cls)


_LIST_LIMITS = ("minItems", "maxItems", "items")


def _with_list_limits(option: dict[str, Any], limits: dict[str, Any]) -> dict[str, Any]:
    if option.get("type") != "array":
        return option
    listed = {k: limits[k] for k in _LIST_LIMITS if k in limits}
    return {**option, **listed, "items": {**option["items"], **limits["items"]}}


def _limits(tp: Any, field: attrs.Attribute[Any]) -> dict[str, Any]:
    """The field's declared limits (`protocol.limited`), plus the cap every string has."""
    limits: dict[str, Any] = dict(field.metadata.get(protocol.LIMITS, {}))
    is_union = get_origin(tp) in (typing.Union, types.UnionType)
    if "maxLength" not in limits and (tp is str or (is_union and str in get_args(tp))):
        limits["maxLength"] = protocol.MAX_STRING_CHARS
    return limits


def document(
    cls: type,
    file_name: str,
    title: str,
    *,
    empty_params: bool = False,
    result: bool = False,
    output: bool = False,
) -> dict[str, Any]:
    """`result`: a method's result (every field always present); `output`: anything the server
    sends (no input limits stated)."""
    builder = _Builder(all_required=result, state_limits=not (result or output))
    if empty_params:
        root: dict[str, Any] = {
            "description": "No params: `{}`, `null`, absent params and `[]` are accepted.",
            "anyOf": [{"type": "object"}, {"type": "null"}, {"type": "array", "maxItems": 0}],
        }
    else:
        root = builder.object_schema(cls)
    schema: dict[str, Any] = {"$schema": DIALECT, "$id": ID_BASE + file_name, "title": title}
    schema.update(root)
    if builder.defs:
        schema["$defs"] = dict(sorted(builder.defs.items()))
    return schema


def file_stem(method: str) -> str:
    return method.replace("/", ".")


def all_schemas() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for method, (params, result) in protocol.METHODS.items():
        for role, cls in (("params", params), ("result", result)):
            name = f"{file_stem(method)}.{role}.schema.json"
            out[name] = document(
                cls,
                name,
                f"{method} {role}",
                empty_params=cls is protocol.EmptyParams,
                result=role == "result",
            )
    for method, cls in protocol.NOTIFICATIONS.items():
        name = f"{file_stem(method)}.params.schema.json"
        out[name] = document(cls, name, f"{method} notification params", result=True)
    out["settings.schema.json"] = document(
        protocol.Settings, "settings.schema.json", "The persisted settings document"
    )
    outputs = {
        "openrouter.chat.progress.schema.json": (
            protocol.ChatProgress,
            "$/progress value on an openrouter/chat partialResultToken",
        ),
        "error.upstream.data.schema.json": (
            protocol.UpstreamErrorData,
            "data of JSON-RPC error -32001 (upstream and configuration failures)",
        ),
        "error.invalidParams.data.schema.json": (
            _InvalidParamsData,
            "data of JSON-RPC error -32602 (invalid params)",
        ),
    }
    for name, (cls, title) in outputs.items():
        out[name] = document(cls, name, title, output=True)
    return out


@attrs.define
class _InvalidParamsData:
    """One entry per offending field."""

    errors: list[protocol.FieldError]


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="openrouter-lsp schemas")
    parser.add_argument("--out", type=Path, default=Path("schemas"))
    parser.add_argument("--check", action="store_true", help="fail if the files differ")
    args = parser.parse_args(argv)
    wanted = {name: render(schema) for name, schema in all_schemas().items()}
    if args.check:
        present = {p.name for p in args.out.glob("*.schema.json")}
        stale = [
            n
            for n, text in wanted.items()
            if not (args.out / n).is_file() or (args.out / n).read_text() != text
        ]
        extra = sorted(present - wanted.keys())
        if stale or extra:
            print(f"schemas/ is out of date: {stale + extra}; run `openrouter-lsp schemas`")
            return 1
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    for old in args.out.glob("*.schema.json"):
        if old.name not in wanted:
            old.unlink()
    for name, text in wanted.items():
        (args.out / name).write_text(text)
    print(f"wrote {len(wanted)} schemas to {args.out}", file=sys.stderr)
    return 0
