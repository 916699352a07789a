"""`openrouter/chat` end to end: the real server streaming from the real emulator.

The result, the `$/progress` stream, and one test per setting asserting the body
the emulator recorded, each body valid against the official `ChatRequest` schema.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.support.chat import (  # noqa: F401  (fixtures)
    chat,
    chat_error,
    check_chat_request,
    last_chat_request,
    new_token,
    openapi_fixture,
    streamed,
    update_settings,
    user,
)
from tests.support.lsp import TEST_KEY, LspSession
from tests.support.openapi import OpenApi

from openrouter_emulator.synth import prompt_tokens
from openrouter_lsp import PRODUCT_NAME, PROJECT_URL

GPT = "openai/gpt-4o"  # no cache-write price: caches automatically
CLAUDE = "anthropic/claude-sonnet-4.5"  # has a cache-write price: explicit breakpoints


async def test_chat_streams_progress_and_returns_the_whole_answer(
    lsp: LspSession, emulator: Any
) -> None:
    token = new_token()
    messages = [user("Tell me about streams")]
    result = await chat(lsp, messages=messages, partialResultToken=token, modelId=GPT)

    assert result["content"].startswith("[emulator] This is a synthetic reply")
    assert streamed(lsp, token) == result["content"]
    assert result["finishReason"] == "stop"
    assert result["model"] == GPT
    assert result["provider"] == "OpenAI"
    recorded = last_chat_request(emulator)
    assert result["generationId"] == recorded["generationId"]
    assert result["generationId"].startswith("gen-")
    usage = result["usage"]
    assert usage["promptTokens"] == prompt_tokens(messages)
    assert usage["completionTokens"] == 64
    assert usage["cachedTokens"] == 0 and usage["reasoningTokens"] == 0
    assert usage["costUsd"] > 0
    assert recorded["body"]["stream"] is True
    assert recorded["disconnected"] is False


async def test_chat_without_a_token_streams_nothing(lsp: LspSession) -> None:
    result = await chat(lsp, modelId=GPT)
    assert result["content"]
    assert lsp.partials == {}


async def test_the_first_increment_is_not_held_back(lsp: LspSession, emulator: Any) -> None:
    # 20 tokens a second: were the first increment coalesced it would wait for the second.
    emulator.configure(tokens_per_second=20, chunk_tokens=1)
    token = new_token()
    result = await chat(lsp, partialResultToken=token, modelId=GPT, maxTokens=8)
    values = lsp.partials[token]
    assert len(values) >= 4  # slow tokens are not coalesced beyond the flush interval
    assert values[0] == {"content": result["content"][: len(values[0]["content"])]}
    assert streamed(lsp, token) == result["content"]


async def test_reasoning_streams_separately(lsp: LspSession, emulator: Any) -> None:
    token = new_token()
    emulator.configure(tokens_per_second=0)
    # The emulator thinks when the request asks for reasoning: the server does not ask, so a
    # model that reasons by default is the case here; without one, the field stays empty.
    result = await chat(lsp, partialResultToken=token, modelId=GPT)
    assert result["reasoning"] == ""
    assert all("reasoning" not in value for value in lsp.partials[token])


async def test_model_override(lsp: LspSession, emulator: Any) -> None:
    result = await chat(lsp, modelId="mistralai/mistral-nemo")
    assert last_chat_request(emulator)["body"]["model"] == "mistralai/mistral-nemo"
    assert result["model"] == "mistralai/mistral-nemo"
    result = await chat(lsp)
    assert last_chat_request(emulator)["body"]["model"] == CLAUDE  # the settings' model


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "robot", "content": "x"}]}, "messages[0].role"),
        ({"messages": [{"role": "user", "content": 3}]}, "messages[0].content"),
        ({"maxTokens": 0}, "maxTokens"),
        ({"maxTokens": 10**9}, "maxTokens"),
        ({"temperature": 2.5}, "temperature"),
        ({"temperature": -0.1}, "temperature"),
        ({"modelId": "x" * 257}, "modelId"),
        ({"modelId": "two words"}, "modelId"),
        ({"conversationId": "c" * 300}, "conversationId"),
        ({"partialResultToken": [1]}, "partialResultToken"),
    ],
)
async def test_invalid_params_name_the_field(
    lsp: LspSession, emulator: Any, params: dict[str, Any], path: str
) -> None:
    error = await chat_error(lsp, **params)
    assert error.code == -32602
    assert [e["path"] for e in error.data["errors"]] == [path]  # type: ignore[index]
    assert last_chat_request_or_none(emulator) is None


def last_chat_request_or_none(emulator: Any) -> Any:
    requests = [r for r in emulator.requests() if r["path"].endswith("/chat/completions")]
    return requests[-1] if requests else None


# --- what the settings put into the request body -------------------------------------

OPENROUTER_ONLY = {"provider", "transforms", "plugins", "usage", "session_id"}


async def recorded_body(
    lsp: LspSession, emulator: Any, openapi: OpenApi, settings: dict[str, Any], **params: Any
) -> dict[str, Any]:
    if settings:
        await update_settings(lsp, **settings)
    params.setdefault("modelId", GPT)
    await chat(lsp, **params)
    body: dict[str, Any] = last_chat_request(emulator)["body"]
    check_chat_request(openapi, body)
    return body


async def test_defaults_send_no_provider_object(
    lsp: LspSession, emulator: Any, openapi: OpenApi
) -> None:
    body = await recorded_body(lsp, emulator, openapi, {})
    assert "provider" not in body
    assert body["usage"] == {"include": True}
    assert "session_id" not in body
    assert "max_tokens" not in body and "temperature" not in body
    assert body["messages"] == [user("Hello there")]


@pytest.mark.parametrize("sort", ["price", "throughput", "latency"])
async def test_routing_sort(lsp: LspSession, emulator: Any, openapi: OpenApi, sort: str) -> None:
    body = await recorded_body(lsp, emulator, openapi, {"routing": {"sort": sort}})
    assert body["provider"] == {"sort": sort}


async def test_specific_provider_with_fallbacks(
    lsp: LspSession, emulator: Any, openapi: OpenApi
) -> None:
    # A pin belongs to the model it is chosen with (tests/test_settings_layers.py).
    settings = {"modelId": GPT, "routing": {"sort": "price", "provider": "azure"}}
    body = await recorded_body(lsp, emulator, openapi, settings)
    assert body["provider"] == {"order": ["azure"]}  # the provider overrides the sort


async def test_specific_provider_without_fallbacks(
    lsp: LspSession, emulator: Any, openapi: OpenApi
) -> None:
    settings = {"modelId": GPT, "routing": {"provider": "azure", "allowFallbacks": False}}
    body = await recorded_body(lsp, emulator, openapi, settings)
    assert body["provider"] == {"order": ["azure"], "only": ["azure"], "allow_fallbacks": False}
    result = await chat(lsp, modelId=GPT)
    assert result["provider"] == "Azure"


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("allow", {"data_collection": "allow"}),
        ("deny", {"data_collection": "deny"}),
        ("zdr", {"zdr": True, "data_collection": "deny"}),
    ],
)
async def test_data_policy(
    lsp: LspSession, emulator: Any, openapi: OpenApi, policy: str, expected: dict[str, Any]
) -> None:
    body = await recorded_body(lsp, emulator, openapi, {"routing": {"dataPolicy": policy}})
    assert body["provider"] == expected


async def test_routing_rows_merge_into_one_provider_object(
    lsp: LspSession, emulator: Any, openapi: OpenApi
) -> None:
    settings = {"routing": {"sort": "latency", "dataPolicy": "zdr"}}
    body = await recorded_body(lsp, emulator, openapi, settings)
    assert body["provider"] == {"sort": "latency", "zdr": True, "data_collection": "deny"}


@pytest.mark.parametrize("enabled", [True, False])
async def test_middle_out_in_both_forms(
    lsp: LspSession, emulator: Any, openapi: OpenApi, enabled: bool
) -> None:
    body = await recorded_body(lsp, emulator, openapi, {"middleOutTransform": enabled})
    assert body["transforms"] == (["middle-out"] if enabled else [])
    assert body["plugins"] == [{"id": "context-compression", "enabled": enabled}]


async def test_middle_out_on_lets_a_long_prompt_through(lsp: LspSession) -> None:
    await update_settings(lsp, middleOutTransform=True)
    long = [user("word " * 9000), user("last question")]  # ~11k tokens, context 8192
    result = await chat(lsp, messages=long, modelId="meta-llama/llama-3-8b-instruct")
    assert result["usage"]["promptTokens"] <= 8192


CONVERSATION = [
    {"role": "system", "content": "You are terse."},
    user("first question"),
    {"role": "assistant", "content": "first answer"},
    user("second question"),
    {"role": "assistant", "content": "second answer"},
    user("third question"),
]


async def test_prompt_caching_breakpoints_for_a_model_with_a_cache_write_price(
    lsp: LspSession, emulator: Any, openapi: OpenApi
) -> None:
    body = await recorded_body(
        lsp, emulator, openapi, {"promptCaching": True}, modelId=CLAUDE, messages=CONVERSATION
    )
    marked = [
        i for i, m in enumerate(body["messages"])
        if isinstance(m["content"], list) and m["content"][0].get("cache_control")
    ]
    assert marked == [0, 3, 5]  # the system prompt and the last two user messages
    assert body["messages"][0]["content"] == [
        {"type": "text", "text": "You are terse.", "cache_control": {"type": "ephemeral"}}
    ]
    assert body["messages"][1] == user("first question")
    assert body["messages"][2] == {"role": "assistant", "content": "first answer"}


async def test_no_breakpoints_for_a_model_without_a_cache_write_price(
    lsp: LspSession, emulator: Any, openapi: OpenApi
) -> None:
    body = await recorded_body(
        lsp, emulator, openapi, {"promptCaching": True}, modelId=GPT, messages=CONVERSATION
    )
    assert body["messages"] == CONVERSATION


async def test_no_breakpoints_when_prompt_caching_is_off(
    lsp: LspSession, emulator: Any, openapi: OpenApi
) -> None:
    body = await recorded_body(
        lsp, emulator, openapi, {"promptCaching": False}, modelId=CLAUDE, messages=CONVERSATION
    )
    assert body["messages"] == CONVERSATION


async def test_breakpoints_make_the_second_turn_a_cache_hit(lsp: LspSession) -> None:
    first = await chat(lsp, modelId=CLAUDE, messages=CONVERSATION)
    again = await chat(lsp, modelId=CLAUDE, messages=CONVERSATION)
    assert first["usage"]["cacheWriteTokens"] > 0
    assert again["usage"]["cachedTokens"] > 0


async def test_max_tokens_and_temperature(
    lsp: LspSession, emulator: Any, openapi: OpenApi
) -> None:
    body = await recorded_body(lsp, emulator, openapi, {}, maxTokens=12, temperature=0.3)
    assert body["max_tokens"] == 12
    assert body["temperature"] == 0.3


async def test_conversation_id_is_the_session_id(
    lsp: LspSession, emulator: Any, openapi: OpenApi
) -> None:
    body = await recorded_body(lsp, emulator, openapi, {}, conversationId="conv-42")
    assert body["session_id"] == "conv-42"


async def test_attribution_headers(lsp: LspSession, emulator: Any, openapi: OpenApi) -> None:
    await recorded_body(lsp, emulator, openapi, {})
    headers = last_chat_request(emulator)["headers"]
    assert headers["authorization"] == f"Bearer {TEST_KEY}"
    assert headers["http-referer"] == PROJECT_URL
    assert headers["x-title"] == PRODUCT_NAME
    assert headers["x-openrouter-title"] == PRODUCT_NAME
    assert headers["x-openrouter-categories"] == "ide-extension"


async def test_openai_compatible_gets_a_plain_body(
    lsp: LspSession, emulator: Any, openapi: OpenApi
) -> None:
    settings = {
        "provider": "openai-compatible",
        "middleOutTransform": True,
        "promptCaching": True,
        "routing": {"sort": "price", "dataPolicy": "zdr"},
    }
    body = await recorded_body(
        lsp, emulator, openapi, settings, modelId=CLAUDE, messages=CONVERSATION,
        conversationId="conv-1", maxTokens=10, temperature=1.0,
    )
    assert set(body) == {"model", "messages", "stream", "max_tokens", "temperature"}
    assert not set(body) & OPENROUTER_ONLY
    assert body["messages"] == CONVERSATION  # string contents, no cache_control
    headers = last_chat_request(emulator)["headers"]
    assert headers["authorization"] == f"Bearer {TEST_KEY}"
    assert "x-openrouter-title" not in headers
