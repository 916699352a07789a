"""Every custom method, fed malformed params: -32602 naming the field, and the server lives on."""

from __future__ import annotations

from typing import Any

import pytest
from tests.support.lsp import LspSession

TEN_MB = "x" * (10 * 1024 * 1024)
GOOD_MESSAGES = [{"role": "user", "content": "hi"}]

# method -> [(params, the path data.errors must name)]
CASES: dict[str, list[tuple[Any, str]]] = {
    "openrouter/settings/get": [("params", ""), (5, ""), ([1, 2], "")],
    "openrouter/apiKey/clear": [("params", ""), (True, "")],
    "openrouter/account/get": [(3.5, ""), (["x"], "")],
    "openrouter/settings/update": [
        ({}, "patch"),
        (None, "patch"),
        ([], "patch"),
        ({"patch": []}, "patch"),
        ({"patch": "routing"}, "patch"),
        ({"patch": {"routing": {"sort": "cheapest"}}}, "routing.sort"),
        ({"patch": {"routing": {"dataPolicy": None, "sort": 7}}}, "routing.sort"),
        ({"patch": {"middleOutTransform": "true"}}, "middleOutTransform"),
        ({"patch": {"modelId": TEN_MB}}, "modelId"),
        ({"patch": {"customBaseUrl": TEN_MB}}, "customBaseUrl"),
    ],
    "openrouter/apiKey/set": [
        ({}, "apiKey"),
        (None, "apiKey"),
        ([], "apiKey"),
        ({"apiKey": 42}, "apiKey"),
        ({"apiKey": ""}, "apiKey"),
        ({"apiKey": "   "}, "apiKey"),
        ({"apiKey": "sk-or with spaces"}, "apiKey"),
        ({"apiKey": TEN_MB}, "apiKey"),
    ],
    "openrouter/models/list": [
        ({"refresh": "yes"}, "refresh"),
        ({"query": 5}, "query"),
        ({"query": TEN_MB}, "query"),
        ("gpt", ""),
    ],
    "openrouter/models/endpoints": [
        ({}, "modelId"),
        (None, "modelId"),
        ([], "modelId"),
        ({"modelId": None}, "modelId"),
        ({"modelId": ["openai/gpt-4o"]}, "modelId"),
        ({"modelId": "nobody/unknown-model"}, "modelId"),
        ({"modelId": TEN_MB}, "modelId"),
    ],
    "openrouter/chat": [
        ({}, "messages"),
        (None, "messages"),
        ([], "messages"),
        ({"messages": "hello"}, "messages"),
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "robot", "content": "hi"}]}, "messages[0].role"),
        ({"messages": [{"role": "user"}]}, "messages[0].content"),
        ({"messages": [{"role": "user", "content": TEN_MB}]}, "messages[0].content"),
        ({"messages": GOOD_MESSAGES, "temperature": "hot"}, "temperature"),
        ({"messages": GOOD_MESSAGES, "temperature": 7}, "temperature"),
        ({"messages": GOOD_MESSAGES, "maxTokens": -1}, "maxTokens"),
        ({"messages": GOOD_MESSAGES, "maxTokens": 1.5}, "maxTokens"),
        ({"messages": GOOD_MESSAGES, "partialResultToken": {"a": 1}}, "partialResultToken"),
        ({"messages": GOOD_MESSAGES, "modelId": "nobody/unknown-model"}, "modelId"),
        ({"messages": GOOD_MESSAGES, "modelId": TEN_MB}, "modelId"),
    ],
}


@pytest.mark.parametrize("method", list(CASES))
async def test_malformed_params_are_invalid_params_naming_the_field(
    lsp: LspSession, method: str
) -> None:
    before = await lsp.call("openrouter/settings/get")
    for params, path in CASES[method]:
        error = await lsp.call_error(method, params)
        shown = repr(params)[:60]
        assert error.code == -32602, (shown, error)
        errors = error.data["errors"]
        assert path in [e["path"] for e in errors], (shown, errors)
        assert all(isinstance(e["message"], str) and e["message"] for e in errors)
        assert len(error.message) < 2000, "a 10 MB value is never echoed back"
        # ... and the server still answers, with nothing changed.
        assert await lsp.call("openrouter/settings/get") == before


@pytest.mark.parametrize(
    "method", ["openrouter/settings/get", "openrouter/apiKey/clear", "openrouter/models/list"]
)
@pytest.mark.parametrize("params", [{}, None, [], {"unknownField": 1}])
async def test_empty_params_in_every_form_are_accepted(
    lsp: LspSession, method: str, params: Any
) -> None:
    assert isinstance(await lsp.call(method, params), dict)


async def test_unknown_method_is_method_not_found(lsp: LspSession) -> None:
    error = await lsp.call_error("openrouter/nothing/here", {})
    assert error.code == -32601
    assert await lsp.call("openrouter/settings/get")
