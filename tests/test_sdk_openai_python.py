"""The `openai` Python SDK pointed at the realistic emulator (the way many tools reach
OpenRouter): chat, streaming with OpenRouter's own request fields (`extra_body`), reasoning,
tools, the model list, and every documented error status as the SDK's typed exception."""

# ruff: noqa: F811  (pytest fixtures imported from sdk_helpers are redefined as arguments)
from __future__ import annotations

import json
from typing import Any

import openai
import pytest
from tests.support.sdk import (  # noqa: F401  (fixtures)
    ERROR_STATUSES,
    GPT,
    KEY,
    REASONER,
    WEATHER_TOOL,
    calls,
    emulator,
    running_emulator,
    user,
)

from openrouter_emulator import EmulatorHandle

ROUTE = "/chat/completions"


@pytest.fixture
def client(emulator: EmulatorHandle) -> openai.OpenAI:
    return openai.OpenAI(api_key=KEY, base_url=emulator.base_url, max_retries=0,
                         default_headers={"X-OpenRouter-Title": "openrouter-lsp SDK suite"})


def test_models_list(client: openai.OpenAI) -> None:
    ids = [m.id for m in client.models.list()]
    assert GPT in ids and len(ids) > 300


def test_chat_non_streaming_with_openrouter_fields(client: openai.OpenAI) -> None:
    result = client.chat.completions.create(
        model=GPT, messages=user(), max_tokens=12,  # type: ignore[arg-type]
        extra_body={"provider": {"order": ["azure"], "allow_fallbacks": False},
                    "plugins": [{"id": "context-compression"}]})
    assert result.choices[0].finish_reason == "stop"
    assert (result.choices[0].message.content or "").startswith("[emulator]")
    assert result.usage is not None and result.usage.completion_tokens == 12
    extra: Any = result.model_extra
    assert extra["provider"] == "Azure"


@pytest.mark.parametrize("shape", ["empty_choices", "with_choice"])
def test_chat_streaming(client: openai.OpenAI, emulator: EmulatorHandle, shape: str) -> None:
    emulator.configure(usage_chunk=shape)
    stream = client.chat.completions.create(
        model=GPT, messages=user(), max_tokens=10, stream=True,  # type: ignore[arg-type]
        stream_options={"include_usage": True})
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert len(text) == 40 and text.startswith("[emulator]")
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 10


def test_reasoning_arrives_beside_the_content(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model=REASONER, messages=user("Think"), max_tokens=40, stream=True,  # type: ignore[arg-type]
        extra_body={"reasoning": {"effort": "high"}})
    deltas: list[Any] = [c.choices[0].delta for c in stream if c.choices]
    reasoning = "".join((d.model_extra or {}).get("reasoning") or "" for d in deltas)
    assert reasoning.startswith("[emulator] Synthetic reasoning")
    details = [x for d in deltas for x in (d.model_extra or {}).get("reasoning_details") or []]
    assert details[-1]["signature"] and details[0]["format"] == "anthropic-claude-v1"


def test_tool_calls_stream_and_accumulate(client: openai.OpenAI) -> None:
    with client.chat.completions.stream(
            model=GPT, messages=user("Weather in Oslo?"),  # type: ignore[arg-type]
            tools=[WEATHER_TOOL], tool_choice="required") as stream:  # type: ignore[list-item]
        final = stream.get_final_completion()
    call: Any = (final.choices[0].message.tool_calls or [])[0]
    assert call.function.name == "get_weather" and call.id.startswith("call_")
    assert json.loads(call.function.arguments) == {"city": "emulator", "unit": "c"}
    assert final.choices[0].finish_reason == "tool_calls"


def test_images_go_to_image_models_only(client: openai.OpenAI) -> None:
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64," + "A" * 400}}
    message: Any = {"role": "user", "content": [{"type": "text", "text": "what is it"}, image]}
    answer = client.chat.completions.create(model=GPT, messages=[message], max_tokens=4)
    assert answer.usage is not None and answer.usage.prompt_tokens == 4 + 3 + 1600
    with pytest.raises(openai.NotFoundError, match="support image input"):
        client.chat.completions.create(model="meta-llama/llama-3-8b-instruct",
                                       messages=[message], max_tokens=4)


ERRORS: dict[int, type[openai.APIStatusError]] = {
    400: openai.BadRequestError, 401: openai.AuthenticationError,
    402: openai.APIStatusError, 403: openai.PermissionDeniedError, 404: openai.NotFoundError,
    408: openai.APIStatusError, 413: openai.APIStatusError,
    422: openai.UnprocessableEntityError, 429: openai.RateLimitError,
    500: openai.InternalServerError, 502: openai.InternalServerError,
    503: openai.InternalServerError, 524: openai.InternalServerError,
    529: openai.InternalServerError,
}


@pytest.mark.parametrize("status", ERROR_STATUSES)
def test_documented_error_statuses(client: openai.OpenAI, emulator: EmulatorHandle,
                                   status: int) -> None:
    emulator.add_fault(route=ROUTE, status=status)
    with pytest.raises(ERRORS[status]) as info:
        client.chat.completions.create(model=GPT, messages=user())  # type: ignore[arg-type]
    assert info.value.status_code == status
    body: Any = info.value.body
    assert body["code"] == status and body["message"]


def test_rate_limit_headers(client: openai.OpenAI, emulator: EmulatorHandle) -> None:
    emulator.add_fault(route=ROUTE, status=429)
    with pytest.raises(openai.RateLimitError) as info:
        client.chat.completions.create(model=GPT, messages=user())  # type: ignore[arg-type]
    headers = info.value.response.headers
    assert headers["retry-after"] == "1" and headers["x-ratelimit-limit"] == "20"


@pytest.mark.parametrize(("status", "code"), [(None, "server_error"), (502, 502)])
def test_mid_stream_error_string_or_numeric_code(client: openai.OpenAI,
                                                 emulator: EmulatorHandle,
                                                 status: int | None, code: Any) -> None:
    emulator.add_fault(route=ROUTE, mode="error_chunk_mid_stream", status=status)
    received: list[str] = []
    with pytest.raises(openai.APIError) as info:
        for chunk in client.chat.completions.create(
                model=GPT, messages=user(), max_tokens=20, stream=True):  # type: ignore[arg-type]
            received.append(chunk.choices[0].delta.content or "" if chunk.choices else "")
    body: Any = info.value.body
    assert body["code"] == code and "".join(received) == "[emulator] T"
