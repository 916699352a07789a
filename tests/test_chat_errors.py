"""`openrouter/chat` failures end to end: one test per error kind, stream faults with
the text received so far, and retries only before the first token."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import pytest
from tests.support.chat import (  # noqa: F401  (fixtures)
    chat,
    chat_error,
    chat_requests,
    lsp_short_stall_fixture,
    new_token,
    streamed,
    update_settings,
    upstream_data,
    user,
)
from tests.support.lsp import LspSession

GPT = "openai/gpt-4o"
ROUTE = "/chat/completions"


async def test_no_key_fails_without_any_network_call(lsp_no_key: LspSession, emulator: Any) -> None:
    data = upstream_data(await chat_error(lsp_no_key, modelId=GPT))
    assert data["kind"] == "no_api_key"
    assert "openrouter.ai/keys" in data["message"]
    assert emulator.requests() == []


@pytest.mark.parametrize(
    ("status", "kind", "words"),
    [
        (400, "bad_request", ["Bad Request"]),
        (401, "auth", ["API key", "No auth credentials found"]),
        (402, "credits", ["64 tokens", "only 0", "maxTokens"]),
        (403, "moderation", ["moderation", "OpenAI"]),
        (404, "bad_request", ["Not Found", "model id"]),
        (408, "timeout", ["timed out"]),
        (413, "bad_request", ["Payload Too Large"]),
        (422, "bad_request", ["Unprocessable"]),
        (524, "timeout", ["timed out"]),
        (529, "unavailable", ["[emulator] upstream OpenAI failed", "OpenAI"]),
    ],
)
async def test_http_errors_map_to_their_kind(
    lsp: LspSession, emulator: Any, status: int, kind: str, words: list[str]
) -> None:
    emulator.add_fault(route=ROUTE, status=status, times=0)
    data = upstream_data(await chat_error(lsp, modelId=GPT))
    assert data["kind"] == kind
    assert data["status"] == status
    for word in words:
        assert word in data["message"]
    assert "partialContent" not in data
    assert len(chat_requests(emulator)) == 1  # not retried


async def test_provider_error_shows_raw_reason_and_provider(
    lsp: LspSession, emulator: Any
) -> None:
    # 502 is retried: Retry-After 0 keeps the test quick; the retries are bounded.
    emulator.add_fault(route=ROUTE, status=502, times=0, headers={"Retry-After": "0"})
    data = upstream_data(await chat_error(lsp, modelId=GPT))
    assert data["kind"] == "unavailable"
    assert "Provider returned error" in data["message"]
    assert "[emulator] upstream OpenAI failed (emulated)" in data["message"]
    assert data["providerName"] == "OpenAI"
    assert len(chat_requests(emulator)) == 3  # one try and two retries


async def test_no_provider_for_the_routing(lsp: LspSession, emulator: Any) -> None:
    emulator.add_fault(route=ROUTE, status=503, times=0, headers={"Retry-After": "0"})
    data = upstream_data(await chat_error(lsp, modelId=GPT))
    assert data["kind"] == "unavailable"
    assert "routing" in data["message"]


async def test_rate_limit_carries_retry_after(lsp: LspSession, emulator: Any) -> None:
    emulator.add_fault(route=ROUTE, status=429, times=0, headers={"Retry-After": "30"})
    data = upstream_data(await chat_error(lsp, modelId=GPT))
    assert data["kind"] == "rate_limit"
    assert data["retryAfterSeconds"] == 30
    assert "30 s" in data["message"]
    assert len(chat_requests(emulator)) == 1  # longer than the cap: not waited for


async def test_rate_limit_reset_in_epoch_milliseconds(lsp: LspSession, emulator: Any) -> None:
    reset_ms = int((time.time() + 45) * 1000)
    emulator.add_fault(route=ROUTE, status=429, times=0,
                       headers={"X-RateLimit-Reset": str(reset_ms)})
    data = upstream_data(await chat_error(lsp, modelId=GPT))
    assert data["kind"] == "rate_limit"
    assert 35 < data["retryAfterSeconds"] <= 45


async def test_context_length(lsp: LspSession) -> None:
    await update_settings(lsp, middleOutTransform=False)
    # The prompt fits (the server's estimate lets it go); with the reply's room it does not.
    long = [user("word " * 6000)]
    data = upstream_data(
        await chat_error(lsp, messages=long, modelId="meta-llama/llama-3-8b-instruct",
                         maxTokens=1000)
    )
    assert data["kind"] == "context_length"
    assert "8192" in data["message"]
    assert "Compress prompts" in data["message"]


async def test_redirects_are_not_followed(lsp: LspSession, emulator: Any) -> None:
    emulator.add_fault(route=ROUTE, status=307, headers={"Location": "https://elsewhere.example/"})
    data = upstream_data(await chat_error(lsp, modelId=GPT))
    assert data["kind"] == "bad_request"
    assert data["status"] == 307
    assert "https://elsewhere.example/" in data["message"]
    assert len(chat_requests(emulator)) == 1


async def test_unreachable_base_url_is_a_network_error(lsp: LspSession) -> None:
    await update_settings(lsp, customBaseUrl="http://127.0.0.1:9/api/v1")
    data = upstream_data(await chat_error(lsp, modelId=GPT))
    assert data["kind"] == "network"
    assert "127.0.0.1:9" in data["message"]


# --- faults inside a 200 stream ----------------------------------------------------------------


async def test_keepalive_comments_are_ignored(lsp: LspSession, emulator: Any) -> None:
    emulator.add_fault(route=ROUTE, mode="keepalive_first")
    result = await chat(lsp, modelId=GPT)
    assert result["content"].startswith("[emulator]")
    assert result["finishReason"] == "stop"


async def test_error_chunk_mid_stream_keeps_the_partial_text(
    lsp: LspSession, emulator: Any
) -> None:
    emulator.configure(chunk_tokens=1)
    emulator.add_fault(route=ROUTE, mode="error_chunk_mid_stream", after_chunks=5, times=0)
    token = new_token()
    data = upstream_data(await chat_error(lsp, modelId=GPT, partialResultToken=token))
    assert data["kind"] == "stream_error"
    assert data["providerName"] == "OpenAI"
    assert "[emulator] upstream OpenAI failed" in data["message"]
    assert data["partialContent"] == "[emulator] This is a"[: len(data["partialContent"])]
    assert len(data["partialContent"]) == 5 * 4
    assert streamed(lsp, token) == data["partialContent"]  # everything buffered was sent
    assert len(chat_requests(emulator)) == 1  # never retried after text


async def test_error_chunk_before_content_maps_by_its_code(
    lsp: LspSession, emulator: Any
) -> None:
    emulator.add_fault(route=ROUTE, mode="error_chunk_before_content", status=402, times=0)
    data = upstream_data(await chat_error(lsp, modelId=GPT))
    assert data["kind"] == "credits"
    assert "partialContent" not in data


async def test_error_body_with_http_200(lsp: LspSession, emulator: Any) -> None:
    emulator.add_fault(route=ROUTE, mode="error_body_200", status=401)
    data = upstream_data(await chat_error(lsp, modelId=GPT))
    assert data["kind"] == "auth"


@pytest.mark.parametrize("mode", ["drop_mid_stream", "malformed_line"])
async def test_broken_streams_keep_the_partial_text(
    lsp: LspSession, emulator: Any, mode: str
) -> None:
    emulator.configure(chunk_tokens=2)
    emulator.add_fault(route=ROUTE, mode=mode, after_chunks=3, times=0)
    data = upstream_data(await chat_error(lsp, modelId=GPT))
    assert data["kind"] == "stream_error"
    assert data["partialContent"] == "[emulator] This is a synthetic"[:24]
    assert len(chat_requests(emulator)) == 1


async def test_a_stalled_stream_times_out(lsp_short_stall: LspSession, emulator: Any) -> None:
    emulator.configure(chunk_tokens=1)
    emulator.add_fault(route=ROUTE, mode="stall_mid_stream", after_chunks=2, stall_seconds=30)
    started = time.monotonic()
    data = upstream_data(await chat_error(lsp_short_stall, modelId=GPT))
    assert time.monotonic() - started < 10
    assert data["kind"] == "timeout"
    assert data["partialContent"] == "[emu" + "lato"
    requests = chat_requests(emulator)
    assert len(requests) == 1


# --- retries -----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 502, 503])
async def test_retried_before_the_first_token(
    lsp: LspSession, emulator: Any, status: int
) -> None:
    emulator.add_fault(route=ROUTE, status=status, times=1)
    token = new_token()
    result = await chat(lsp, modelId=GPT, partialResultToken=token)
    assert result["content"].startswith("[emulator]")
    assert streamed(lsp, token) == result["content"]
    assert [r["status"] for r in chat_requests(emulator)] == [status, 200]
    # Each attempt sends the whole body again (`SentOnce` lets go of it once sent).
    first, second = chat_requests(emulator)
    assert second["body"]["messages"] and first["body"] == second["body"]
    assert first["headers"]["content-length"] == second["headers"]["content-length"]


async def test_retry_honours_retry_after(lsp: LspSession, emulator: Any) -> None:
    emulator.add_fault(route=ROUTE, status=429, times=1, headers={"Retry-After": "1"})
    await chat(lsp, modelId=GPT)
    first, second = chat_requests(emulator)
    gap = received(second) - received(first)
    assert gap >= 0.95


def received(request: dict[str, Any]) -> float:
    return datetime.fromisoformat(request["receivedAt"].replace("Z", "+00:00")).timestamp()
