"""`openrouter/chat` end to end: the real server streaming from the real emulator.

The result, the `$/progress` stream, and one test per setting asserting the body
the emulator recorded, each body valid against the official `ChatRequest` schema.
"""

from __future__ import annotations

import json
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
    # The body goes as one JSON document of a stated length, not chunked (`sent_body.SentOnce`).
    headers = recorded["headers"]
    assert "transfer-encoding" not in headers
    assert headers["content-type"] == "application/json"
    compact = json.dumps(recorded["body"], ensure_ascii=False, separators=(",", ":"))
    assert int(headers["content-length"]) == len(compact.encode())


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
    assert set(body) == {"model", "messages", "stream", "max_tokens", "temperature",
                         "stream_options"}
    assert body["stream_options"] == {"include_usage": True}  # OpenAI-style servers need it
    assert not set(body) & OPENROUTER_ONLY
    assert body["messages"] == CONVERSATION  # string contents, no cache_control
    headers = last_chat_request(emulator)["headers"]
    assert headers["authorization"] == f"Bearer {TEST_KEY}"
    assert "x-openrouter-title" not in headers


# --- model-dependent settings, variants, fallbacks and the advanced routing fields ------------

GPT5 = "openai/gpt-5"  # reasons always: efforts xhigh…minimal, never "none"; 128,000 out
HAIKU = "anthropic/claude-haiku-4.5"  # reasons on request: efforts high, medium, low, none
NEMO = "mistralai/mistral-nemo"
SETTINGS_GET = "openrouter/settings/get"
SETTINGS_UPDATE = "openrouter/settings/update"


def settings_file(lsp: LspSession) -> str | None:
    path = lsp.home / "settings.json"
    return path.read_text() if path.exists() else None


async def test_reasoning_effort(lsp: LspSession, emulator: Any, openapi: OpenApi) -> None:
    settings = {"modelId": GPT5, "reasoningEffort": "xhigh"}
    body = await recorded_body(lsp, emulator, openapi, settings, modelId=None)
    assert body["model"] == GPT5 and body["reasoning"] == {"effort": "xhigh"}
    # A model that does not reason gets no reasoning object, whatever the setting.
    body = await recorded_body(lsp, emulator, openapi, {}, modelId=GPT)
    assert "reasoning" not in body
    body = await recorded_body(lsp, emulator, openapi, {"reasoningEffort": None}, modelId=None)
    assert "reasoning" not in body  # back to "default": the model's own effort


async def test_reasoning_effort_none_turns_reasoning_off(
    lsp: LspSession, emulator: Any, openapi: OpenApi
) -> None:
    settings = {"modelId": HAIKU, "reasoningEffort": "none"}
    body = await recorded_body(lsp, emulator, openapi, settings, modelId=None)
    assert body["reasoning"] == {"effort": "none"}


async def test_an_effort_the_model_lacks_is_refused_and_nothing_is_saved(lsp: LspSession) -> None:
    await update_settings(lsp, modelId=HAIKU)
    before = await lsp.call(SETTINGS_GET)
    on_disk = settings_file(lsp)
    for patch, fragment in [
        ({"reasoningEffort": "xhigh"}, 'does not support the effort "xhigh"'),
        ({"modelId": GPT5, "reasoningEffort": "none"}, "cannot be turned off"),
        ({"modelId": GPT, "reasoningEffort": "low"}, "does not reason"),
    ]:
        error = await lsp.call_error(SETTINGS_UPDATE, {"patch": patch})
        assert error.code == -32602
        errors = error.data["errors"]  # type: ignore[index]
        assert [e["path"] for e in errors] == ["reasoningEffort"], errors
        assert fragment in errors[0]["message"]
    assert await lsp.call(SETTINGS_GET) == before
    assert settings_file(lsp) == on_disk


async def test_a_model_switch_keeps_an_effort_the_new_model_lacks_and_leaves_it_out(
    lsp: LspSession, emulator: Any, openapi: OpenApi
) -> None:
    await update_settings(lsp, modelId=GPT5, reasoningEffort="xhigh")
    view = await lsp.call(SETTINGS_UPDATE, {"patch": {"modelId": HAIKU}})  # no "xhigh" there
    assert view["modelId"] == HAIKU and view["reasoningEffort"] == "xhigh"
    body = await recorded_body(lsp, emulator, openapi, {}, modelId=None)
    assert body["model"] == HAIKU and "reasoning" not in body
    body = await recorded_body(lsp, emulator, openapi, {"modelId": GPT5}, modelId=None)
    assert body["reasoning"] == {"effort": "xhigh"}  # back with a model that has it


async def test_max_output_tokens(lsp: LspSession, emulator: Any, openapi: OpenApi) -> None:
    body = await recorded_body(lsp, emulator, openapi, {"maxOutputTokens": 300})
    assert body["max_tokens"] == 300
    body = await recorded_body(lsp, emulator, openapi, {}, maxTokens=12)
    assert body["max_tokens"] == 12  # the chat call's own value wins


async def test_max_output_tokens_above_the_models_limit(
    lsp: LspSession, emulator: Any, openapi: OpenApi
) -> None:
    await update_settings(lsp, modelId=GPT)  # 16,384 completion tokens at most
    error = await lsp.call_error(SETTINGS_UPDATE, {"patch": {"maxOutputTokens": 16385}})
    assert error.code == -32602
    errors = error.data["errors"]  # type: ignore[index]
    assert [e["path"] for e in errors] == ["maxOutputTokens"]
    assert "at most 16,384" in errors[0]["message"]
    assert (await lsp.call(SETTINGS_GET))["maxOutputTokens"] is None
    # Accepted for a model that allows it, then sent as the limit of a smaller one.
    await update_settings(lsp, modelId=HAIKU, maxOutputTokens=30000)
    view = await lsp.call(SETTINGS_UPDATE, {"patch": {"modelId": GPT}})
    assert view["maxOutputTokens"] == 30000
    body = await recorded_body(lsp, emulator, openapi, {}, modelId=None)
    assert body["max_tokens"] == 16384


@pytest.mark.parametrize("variant", ["nitro", "floor", "exacto", "online"])
async def test_model_variant(
    lsp: LspSession, emulator: Any, openapi: OpenApi, variant: str
) -> None:
    body = await recorded_body(lsp, emulator, openapi, {"modelVariant": variant})
    assert body["model"] == f"{GPT}:{variant}"


async def test_model_variant_is_not_added_to_a_model_that_names_one(
    lsp: LspSession, emulator: Any, openapi: OpenApi
) -> None:
    free = "openai/gpt-oss-20b:free"
    body = await recorded_body(lsp, emulator, openapi, {"modelVariant": "nitro"}, modelId=free)
    assert body["model"] == free


async def test_fallback_models(lsp: LspSession, emulator: Any, openapi: OpenApi) -> None:
    settings = {"fallbackModels": [NEMO, HAIKU], "modelVariant": "floor"}
    body = await recorded_body(lsp, emulator, openapi, settings)
    assert body["model"] == f"{GPT}:floor"
    assert body["models"] == [f"{GPT}:floor", NEMO, HAIKU]
    # A chat with one of the fallbacks as its model lists it once.
    body = await recorded_body(lsp, emulator, openapi, {}, modelId=NEMO)
    assert body["models"] == [f"{NEMO}:floor", HAIKU]


async def test_max_price(lsp: LspSession, emulator: Any, openapi: OpenApi) -> None:
    settings = {"routing": {"maxPrice": {"prompt": 2.5, "completion": 0.0000001}}}
    body = await recorded_body(lsp, emulator, openapi, settings)
    assert body["provider"] == {"max_price": {"prompt": "2.5", "completion": "0.0000001"}}
    body = await recorded_body(
        lsp, emulator, openapi, {"routing": {"maxPrice": {"completion": None, "prompt": 3}}}
    )
    assert body["provider"] == {"max_price": {"prompt": "3"}}


async def test_quantizations(lsp: LspSession, emulator: Any, openapi: OpenApi) -> None:
    settings = {"routing": {"quantizations": ["fp8", "bf16"]}}
    body = await recorded_body(lsp, emulator, openapi, settings)
    assert body["provider"] == {"quantizations": ["fp8", "bf16"]}


async def test_ignored_providers(lsp: LspSession, emulator: Any, openapi: OpenApi) -> None:
    body = await recorded_body(lsp, emulator, openapi, {"routing": {"ignore": ["openai"]}})
    assert body["provider"] == {"ignore": ["openai"]}
    result = await chat(lsp, modelId=GPT)
    assert result["provider"] == "Azure"  # GPT-4o's other provider


async def test_preferred_throughput_and_latency(
    lsp: LspSession, emulator: Any, openapi: OpenApi
) -> None:
    settings = {"routing": {"preferredMinThroughput": 50, "preferredMaxLatency": 1.5}}
    body = await recorded_body(lsp, emulator, openapi, settings)
    assert body["provider"] == {"preferred_min_throughput": 50, "preferred_max_latency": 1.5}


async def test_every_new_routing_field_in_one_provider_object(
    lsp: LspSession, emulator: Any, openapi: OpenApi
) -> None:
    settings = {
        "routing": {
            "sort": "price", "dataPolicy": "deny", "maxPrice": {"prompt": 1},
            "quantizations": ["fp16"], "ignore": ["azure"], "preferredMaxLatency": 3,
        }
    }
    body = await recorded_body(lsp, emulator, openapi, settings)
    assert body["provider"] == {
        "sort": "price", "data_collection": "deny", "max_price": {"prompt": "1"},
        "quantizations": ["fp16"], "ignore": ["azure"], "preferred_max_latency": 3,
    }


@pytest.mark.parametrize(
    ("patch", "path"),
    [
        ({"reasoningEffort": "max"}, "reasoningEffort"),
        ({"maxOutputTokens": 0}, "maxOutputTokens"),
        ({"maxOutputTokens": 1.5}, "maxOutputTokens"),
        ({"modelVariant": "turbo"}, "modelVariant"),
        ({"fallbackModels": "openai/gpt-4o"}, "fallbackModels"),
        ({"fallbackModels": [NEMO, HAIKU, GPT5, GPT]}, "fallbackModels"),
        ({"fallbackModels": [NEMO, NEMO]}, "fallbackModels"),
        ({"fallbackModels": ["two words"]}, "fallbackModels[0]"),
        ({"fallbackModels": [NEMO, "nobody/no-such-model"]}, "fallbackModels[1]"),
        ({"fallbackModels": [CLAUDE]}, "fallbackModels[0]"),  # the model itself
        ({"routing": {"maxPrice": {"prompt": -1}}}, "routing.maxPrice.prompt"),
        ({"routing": {"maxPrice": {"completion": "1"}}}, "routing.maxPrice.completion"),
        ({"routing": {"maxPrice": 2}}, "routing.maxPrice"),
        ({"routing": {"quantizations": ["fp7"]}}, "routing.quantizations[0]"),
        ({"routing": {"quantizations": ["fp8", "fp8"]}}, "routing.quantizations"),
        ({"routing": {"ignore": ["open ai"]}}, "routing.ignore[0]"),
        ({"routing": {"ignore": ["x" * 257]}}, "routing.ignore[0]"),
        ({"fallbackModels": [NEMO, "x/" + "y" * 255]}, "fallbackModels[1]"),
        ({"routing": {"preferredMinThroughput": 0}}, "routing.preferredMinThroughput"),
        ({"routing": {"preferredMaxLatency": -2}}, "routing.preferredMaxLatency"),
    ],
)
async def test_invalid_new_settings_name_the_field_and_save_nothing(
    lsp: LspSession, patch: dict[str, Any], path: str
) -> None:
    before = await lsp.call(SETTINGS_GET)
    on_disk = settings_file(lsp)
    error = await lsp.call_error(SETTINGS_UPDATE, {"patch": patch})
    assert error.code == -32602
    assert [e["path"] for e in error.data["errors"]] == [path], error.data  # type: ignore[index]
    assert await lsp.call(SETTINGS_GET) == before
    assert settings_file(lsp) == on_disk


async def test_openai_compatible_gets_none_of_the_new_settings(
    lsp: LspSession, emulator: Any, openapi: OpenApi
) -> None:
    await update_settings(
        lsp, modelId=GPT5, reasoningEffort="high", maxOutputTokens=500, modelVariant="nitro",
        fallbackModels=[NEMO],
        routing={"maxPrice": {"prompt": 1}, "quantizations": ["fp8"], "ignore": ["azure"],
                 "preferredMinThroughput": 10, "preferredMaxLatency": 2},
    )
    body = await recorded_body(
        lsp, emulator, openapi, {"provider": "openai-compatible"}, modelId=None
    )
    assert body == {"model": GPT5, "messages": [user("Hello there")], "stream": True,
                    "stream_options": {"include_usage": True}}
