"""Absurd numbers and echoed keys from an upstream, through the real server: non-finite or absurd
numbers are treated as absent (never `NaN`/`Infinity` on the wire, never a lost answer), and
upstream error text never carries the key, whatever its shape."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from tests.support.chat import chat, chat_error, new_token, streamed, upstream_data, user
from tests.support.loopback_upstream import (
    COMPLETION_PRICE,
    MODEL,
    PROMPT_PRICE,
    LoopbackUpstream,
    answer,
    chunk,
    final_chunk_text,
    json_answer,
    raw_json_answer,
    running_session,
    sse,
    sse_answer,
    upstream,
)
from tests.support.lsp import TEST_KEY

__all__ = ["upstream"]  # the fixture

ANSWER = ["The answer ", "is complete."]


def assert_strict_json(value: Any) -> None:
    """What reached the client re-encodes as strict JSON (no NaN or Infinity anywhere)."""
    json.dumps(value, allow_nan=False)


def answer_with_usage(usage_json: str) -> bytes:
    return sse(*(chunk(text) for text in ANSWER), final_chunk_text(usage_json), "[DONE]")


@pytest.mark.parametrize(
    "cost",
    ['"NaN"', "NaN", "1e999", "-1e999", '"Infinity"', "-5"],
    ids=["nan-string", "nan-literal", "overflow", "negative-overflow", "inf-string", "negative"],
)
async def test_an_absurd_cost_is_absent_and_the_tokens_are_priced(
    tmp_path: Path, upstream: LoopbackUpstream, cost: str
) -> None:
    upstream.routes["/chat/completions"] = sse_answer(
        answer_with_usage(f'{{"prompt_tokens":1000,"completion_tokens":100,"cost":{cost}}}')
    )
    async with running_session(tmp_path, upstream, TEST_KEY) as lsp:
        token = new_token()
        result = await chat(lsp, partialResultToken=token)
    assert_strict_json(result)
    assert result["content"] == "".join(ANSWER) == streamed(lsp, token)
    usage = result["usage"]
    assert usage["promptTokens"] == 1000 and usage["completionTokens"] == 100
    # The upstream's figure is ignored; the model's catalogue prices stand in.
    expected = 1000 * float(PROMPT_PRICE) + 100 * float(COMPLETION_PRICE)
    assert math.isclose(usage["costUsd"], expected, rel_tol=1e-9)


@pytest.mark.parametrize("digits", [400, 5000])
async def test_a_token_count_of_hundreds_of_digits_keeps_the_answer(
    tmp_path: Path, upstream: LoopbackUpstream, digits: int
) -> None:
    huge = "9" * digits
    upstream.routes["/chat/completions"] = sse_answer(
        answer_with_usage(f'{{"prompt_tokens":{huge},"completion_tokens":100}}')
    )
    async with running_session(tmp_path, upstream, TEST_KEY) as lsp:
        result = await chat(lsp)
    assert_strict_json(result)
    assert result["content"] == "".join(ANSWER)
    assert result["finishReason"] == "stop"
    usage = result["usage"]
    assert usage.get("promptTokens") is None
    assert usage["completionTokens"] == 100
    assert usage.get("costUsd") is None  # no prompt count: nothing to price


async def test_retry_after_infinity_is_absent_from_the_error(
    tmp_path: Path, upstream: LoopbackUpstream
) -> None:
    upstream.routes["/chat/completions"] = json_answer(
        {"error": {"code": 429, "message": "Slow down"}}, 429, Retry_After="inf"
    )
    async with running_session(tmp_path, upstream, TEST_KEY) as lsp:
        error = await chat_error(lsp)
    data = upstream_data(error)
    assert_strict_json(data)
    assert data["kind"] == "rate_limit"
    assert "retryAfterSeconds" not in data
    assert "inf" not in data["message"] and "Retry shortly" in data["message"]


async def test_a_key_limit_of_1e999_is_absent_from_the_account(
    tmp_path: Path, upstream: LoopbackUpstream
) -> None:
    upstream.routes["/key"] = raw_json_answer(
        '{"data":{"label":"k","limit":1e999,"usage":2.5,"limit_remaining":NaN,'
        '"is_free_tier":false}}'
    )
    async with running_session(tmp_path, upstream, TEST_KEY) as lsp:
        account = await lsp.call("openrouter/account/get", {})
    assert_strict_json(account)
    assert account.get("limit") is None and account.get("limitRemaining") is None
    assert account["usage"] == 2.5 and account["label"] == "k"


async def test_an_uptime_of_1e999_is_absent_from_the_endpoints(
    tmp_path: Path, upstream: LoopbackUpstream
) -> None:
    endpoint = (
        '{"name":"OpenAI | gpt-4o","provider_name":"OpenAI","tag":"openai",'
        '"context_length":' + "9" * 400 + ',"uptime_last_30m":1e999,"status":0,'
        '"pricing":{"prompt":"1e400","completion":"' + COMPLETION_PRICE + '"}}'
    )
    upstream.routes[f"/models/{MODEL}/endpoints"] = raw_json_answer(
        '{"data":{"id":"' + MODEL + '","endpoints":[' + endpoint + "]}}"
    )
    async with running_session(tmp_path, upstream, TEST_KEY) as lsp:
        result = await lsp.call("openrouter/models/endpoints", {"modelId": MODEL})
    assert_strict_json(result)
    [provider] = result["providers"]
    assert provider["tag"] == "openai" and provider["status"] == 0
    assert provider.get("uptimeLast30m") is None
    assert provider.get("contextLength") is None
    assert provider["pricing"].get("prompt") is None
    assert provider["pricing"]["completion"] == pytest.approx(10.0)


# --- the key in upstream error text ------------------------------------------------------------

# Shapes the old `sk-…` pattern missed: an OpenAI-compatible server's key, a dotted key.
ODD_KEYS = ["local-llm-key-0123456789abcdef", "team.proj.7f3a9c21e4b5"]


@pytest.mark.parametrize("key", ODD_KEYS)
async def test_a_key_echoed_in_a_chat_error_is_redacted(
    tmp_path: Path, upstream: LoopbackUpstream, key: str
) -> None:
    upstream.routes["/chat/completions"] = json_answer(
        {"error": {"code": 401, "message": f"Incorrect API key provided: {key}.",
                   "metadata": {"raw": json.dumps({"error": {"message": f"bad key {key}"}})}}},
        401,
    )
    async with running_session(tmp_path, upstream, key) as lsp:
        error = await chat_error(lsp)
    data = upstream_data(error)
    assert data["kind"] == "auth"
    assert key not in error.message and key not in json.dumps(data)
    assert "[redacted]" in data["message"]


@pytest.mark.parametrize("key", ODD_KEYS)
async def test_a_key_echoed_in_a_catalogue_error_or_a_redirect_is_redacted(
    tmp_path: Path, upstream: LoopbackUpstream, key: str
) -> None:
    upstream.routes["/models"] = answer(f"key {key} is not allowed here".encode(), 403)
    upstream.routes["/chat/completions"] = answer(
        b"", 307, Location=f"https://elsewhere.example/v1?key={key}"
    )
    async with running_session(tmp_path, upstream, key) as lsp:
        catalogue_error = await lsp.call_error("openrouter/models/list", {})
        chat_failure = await chat_error(lsp, messages=[user("hi")])
    for error in (catalogue_error, chat_failure):
        data = upstream_data(error)
        assert key not in error.message and key not in json.dumps(data)
