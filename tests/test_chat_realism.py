"""`openrouter/chat` against the details real OpenRouter streams carry and a kinder emulator
left out (docs/openrouter-behaviour.md): the server must read them, not just survive them."""

from __future__ import annotations

from typing import Any

import pytest
from tests.support.chat import (  # noqa: F401  (fixtures)
    chat,
    chat_error,
    chat_requests,
    new_token,
    streamed,
    upstream_data,
    user,
)
from tests.support.lsp import LspSession

GPT = "openai/gpt-4o"
ROUTE = "/chat/completions"


@pytest.mark.parametrize("shape", ["empty_choices", "with_choice"])
async def test_usage_is_read_from_either_last_chunk(lsp: LspSession, emulator: Any,
                                                    shape: str) -> None:
    emulator.configure(usage_chunk=shape)
    token = new_token()
    result = await chat(lsp, modelId=GPT, maxTokens=8, partialResultToken=token)
    assert result["finishReason"] == "stop"  # a later `finish_reason: null` does not undo it
    assert result["usage"]["completionTokens"] == 8 and result["usage"]["costUsd"] > 0
    # The comment and the role-only first chunk add no empty increments.
    assert all(value.get("content") for value in lsp.partials[token])
    assert streamed(lsp, token) == result["content"]


async def test_documented_string_code_mid_stream_keeps_the_partial(
    lsp: LspSession, emulator: Any
) -> None:
    emulator.configure(chunk_tokens=1)
    emulator.add_fault(route=ROUTE, mode="error_chunk_mid_stream", after_chunks=4)
    data = upstream_data(await chat_error(lsp, modelId=GPT))
    assert data["kind"] == "stream_error"
    assert "Provider disconnected unexpectedly" in data["message"]
    assert data["partialContent"] == "[emulator] This "
    assert "status" not in data  # "server_error" is not an HTTP status
    assert len(chat_requests(emulator)) == 1


async def test_documented_string_code_before_content_is_the_answer(
    lsp: LspSession, emulator: Any
) -> None:
    emulator.add_fault(route=ROUTE, mode="error_chunk_before_content")
    data = upstream_data(await chat_error(lsp, modelId=GPT))
    assert data["kind"] == "unavailable"
    assert "Provider disconnected unexpectedly" in data["message"]
    assert "partialContent" not in data


async def test_rate_limit_headers_set_the_wait(lsp: LspSession, emulator: Any) -> None:
    # OpenRouter's own 429: Retry-After 1 with X-RateLimit-* (the emulator's default headers).
    emulator.add_fault(route=ROUTE, status=429, times=0)
    data = upstream_data(await chat_error(lsp, modelId=GPT))
    assert data["kind"] == "rate_limit" and data["retryAfterSeconds"] == 1
    assert "Retry in 1 s" in data["message"]
    assert len(chat_requests(emulator)) == 3  # waited and retried twice, then reported
