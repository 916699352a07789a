"""Every limit declared on the wire types (`protocol.limited`) is published in `schemas/` and
enforced by the real server at exactly that value: one past it is -32602 naming the field, the
value itself passes validation."""

from __future__ import annotations

import json
import re
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from tests.support.lsp import LspSession

from openrouter_lsp import protocol
from openrouter_lsp.wire import to_camel

SCHEMAS = Path(__file__).parent.parent / "schemas"

# (method, the type its limited fields live on, the schema file, valid params around the field)
TARGETS: list[tuple[str, type, str, dict[str, Any]]] = [
    ("openrouter/settings/update", protocol.Settings, "settings.schema.json", {"patch": {}}),
    ("openrouter/apiKey/set", protocol.ApiKeySetParams, "", {"apiKey": "sk-or-v1-limits"}),
    ("openrouter/models/list", protocol.ModelsListParams, "", {}),
    ("openrouter/models/endpoints", protocol.ModelsEndpointsParams, "", {"modelId": "x/y"}),
    ("openrouter/chat", protocol.ChatParams, "", {"messages": [{"role": "user", "content": "hi"}]}),
    ("openrouter/signIn/start", protocol.SignInStartParams, "",
     {"callbackUrl": "vscode://openrouter.openrouter-lsp/signin"}),
    ("openrouter/signIn/complete", protocol.SignInCompleteParams, "", {"code": "c0de"}),
    ("openrouter/conversations/get", protocol.ConversationParams, "", {}),
    ("openrouter/conversations/rename", protocol.ConversationRenameParams, "",
     {"conversationId": "c", "title": "t"}),
    ("openrouter/conversations/truncate", protocol.ConversationTruncateParams, "",
     {"conversationId": "c", "keepMessages": 0}),
]


def limited_fields(cls: type, prefix: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """(camelCase path, limits) of every limited field of `cls` and of its nested attrs types."""
    hints = typing.get_type_hints(cls)
    for field in attrs.fields(cls):
        path = prefix + to_camel(field.name)
        if protocol.LIMITS in field.metadata:
            yield path, field.metadata[protocol.LIMITS]
        if attrs.has(hints[field.name]):
            yield from limited_fields(hints[field.name], path + ".")


CASES = [
    pytest.param(method, cls, schema, base, path, keyword, value, id=f"{method}:{path}:{keyword}")
    for method, cls, schema, base in TARGETS
    for path, limits in limited_fields(cls)
    for keyword, value in limits.items()
]


def schema_property(schema_file: str, method: str, path: str) -> dict[str, Any]:
    name = schema_file or f"{method.replace('/', '.')}.params.schema.json"
    schema = json.loads((SCHEMAS / name).read_text())
    node = schema
    for part in path.split("."):
        node = node["properties"][part]
        if "$ref" in node:
            node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    # An optional list may state its limits on its array option (`anyOf: [array, null]`).
    options = [o for o in node.get("anyOf", []) if o.get("type") != "null"]
    merged = {**options[0], **node} if len(options) == 1 else node
    return typing.cast(dict[str, Any], merged)


def with_value(method: str, base: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    params = json.loads(json.dumps(base))
    target = params["patch"] if method == "openrouter/settings/update" else params
    *parents, leaf = path.split(".")
    for part in parents:
        target = target.setdefault(part, {})
    target[leaf] = value
    return params


# The n-th item of each limited list (the rules of its items aside, the limit is what counts).
ITEMS: dict[str, Any] = {
    "messages": lambda n: {"role": "user", "content": "hi"},
    "fallbackModels": lambda n: f"vendor/model-{n}",
    "routing.ignore": lambda n: f"provider-{n}",
    "favoriteModels": lambda n: f"vendor/favorite-{n}",
    "ids": lambda n: f"vendor/model-{n}",
    "tools": lambda n: {"type": "function", "function": {"name": f"tool_{n}"}},
}


def at_and_past(keyword: str, limit: Any, path: str) -> tuple[Any, Any]:
    """A value exactly at the limit and one just past it."""
    if keyword == "maxLength":
        return "a" * limit, "a" * (limit + 1)
    if keyword == "maxItems" and path == "favoriteModels":  # distinct model ids
        return [f"a/m{i}" for i in range(limit)], [f"a/m{i}" for i in range(limit + 1)]
    if keyword == "maxItems":
        items = [ITEMS[path](n) for n in range(limit + 1)]
        return items[:limit], items
    if keyword == "minItems":
        return [ITEMS[path](n) for n in range(limit)], []
    if keyword == "minimum":
        return limit, limit - 1
    if keyword == "exclusiveMinimum":
        return limit + 0.001, limit
    if keyword == "items":
        length = limit["maxLength"]
        return ["a" * length], ["a" * (length + 1)]
    assert keyword == "maximum"
    return limit, limit + 1


LIMIT_WORDS = re.compile(r"too long|too many|between|at least|greater than")


def paths_of(error: Any) -> list[str]:
    return [entry["path"] for entry in (error.data or {}).get("errors", [])]


@pytest.mark.parametrize(("method", "cls", "schema", "base", "path", "keyword", "limit"), CASES)
async def test_each_declared_limit_is_published_and_enforced_at_its_value(
    lsp_no_key: LspSession,
    method: str,
    cls: type,
    schema: str,
    base: dict[str, Any],
    path: str,
    keyword: str,
    limit: Any,
) -> None:
    published = schema_property(schema, method, path)[keyword]
    if keyword == "items":  # limits of each item, stated in the item schema
        published = {k: published[k] for k in limit}
    assert published == limit
    at_limit, past_limit = at_and_past(keyword, limit, path)

    # An item over its own limit is named by its place in the list.
    named = f"{path}[0]" if keyword == "items" else path
    error = await lsp_no_key.call_error(method, with_value(method, base, path, past_limit))
    assert error.code == -32602 and named in paths_of(error), error

    # At the limit the field passes; without a key, a chat then stops at the missing key.
    try:
        await lsp_no_key.call(method, with_value(method, base, path, at_limit))
    except Exception as exc:  # other rules may refuse the value (an unknown model); limits not
        messages = [e["message"] for e in (getattr(exc, "data", None) or {}).get("errors", [])
                    if e["path"] == named]
        assert not [m for m in messages if LIMIT_WORDS.search(m)], exc


def test_every_limited_field_is_covered() -> None:
    """A new params type with limits must be added to TARGETS."""
    covered = {cls for _, cls, _, _ in TARGETS}
    for _method, (params, _result) in protocol.METHODS.items():
        if any(True for _ in limited_fields(params)):
            assert params in covered or params is protocol.SettingsUpdateParams, params
