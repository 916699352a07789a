"""The chat's pure parts without a server: SSE decoding, error sentences, cost arithmetic,
the request body, progress coalescing and the retry policy."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from openrouter_lsp.features.chat import FLUSH_INTERVAL_S, ProgressRelay
from openrouter_lsp.openrouter.chat_stream import RetryPolicy
from openrouter_lsp.openrouter.cost import cost_from_prices, stream_cost, usage_from_stream
from openrouter_lsp.openrouter.errors import (
    error_from_http,
    error_from_transport,
    retry_after_seconds,
)
from openrouter_lsp.openrouter.request_body import build_body, cache_breakpoints
from openrouter_lsp.openrouter.sse import DONE, MalformedStream, SSEDecoder
from openrouter_lsp.protocol import ChatMessage, ChatParams, ChatUsage, ModelInfo, Pricing, Settings

# --- SSE ---------------------------------------------------------------------------------------


def decode(*chunks: bytes) -> list[str]:
    decoder = SSEDecoder()
    out: list[str] = []
    for chunk in chunks:
        out += decoder.feed(chunk)
    return out + decoder.close()


def test_sse_data_comments_and_done() -> None:
    raw = b': OPENROUTER PROCESSING\n\n: OPENROUTER PROCESSING\n\ndata: {"a":1}\n\ndata: [DONE]\n\n'
    assert decode(raw) == ['{"a":1}', DONE]


def test_sse_split_anywhere_and_crlf() -> None:
    raw = b'data: {"a":1}\r\n\r\nevent: x\nid: 3\ndata:{"b":2}\n\n'
    whole = decode(raw)
    assert whole == ['{"a":1}', '{"b":2}']
    for cut in range(len(raw)):
        assert decode(raw[:cut], raw[cut:]) == whole


def test_sse_multiline_data_and_unterminated_last_event() -> None:
    assert decode(b"data: one\ndata: two\n\ndata: tail") == ["one\ntwo", "tail"]


def test_sse_utf8_split_across_reads() -> None:
    raw = 'data: {"c":"héllo ✓"}\n\n'.encode()
    for cut in range(len(raw)):
        assert decode(raw[:cut], raw[cut:]) == ['{"c":"héllo ✓"}']


def test_sse_refuses_an_endless_line() -> None:
    decoder = SSEDecoder()
    with pytest.raises(MalformedStream):
        for _ in range(20):
            decoder.feed(b"x" * (1024 * 1024))


# --- errors ------------------------------------------------------------------------------------


def body(code: Any, message: str, **metadata: Any) -> bytes:
    error: dict[str, Any] = {"code": code, "message": message}
    if metadata:
        error["metadata"] = metadata
    return json.dumps({"error": error}).encode()


def test_provider_returned_error_shows_the_reason_and_the_provider() -> None:
    raw = json.dumps({"error": {"message": "upstream overloaded, try later"}})
    error = error_from_http(502, {}, body(502, "Provider returned error", raw=raw,
                                          provider_name="DeepInfra"))
    assert error.kind == "unavailable"
    assert "upstream overloaded, try later" in error.detail.message
    assert "DeepInfra" in error.detail.message
    assert error.detail.provider_name == "DeepInfra"
    assert error.detail.status == 502


def test_credits_says_how_many_tokens_the_credits_allow() -> None:
    message = ("This request requires more credits, or fewer max_tokens. You requested up to "
               "4096 tokens, but can only afford 1,234. To increase, visit …")
    error = error_from_http(402, {}, body(402, message))
    assert error.kind == "credits"
    assert "4096" in error.detail.message and "1,234" in error.detail.message


def test_a_json_error_maps_by_its_code_whatever_the_status() -> None:
    assert error_from_http(200, {}, body(401, "No auth credentials found")).kind == "auth"
    assert error_from_http(200, {}, body(429, "slow down")).kind == "rate_limit"
    assert error_from_http(200, {}, body("rate_limit_exceeded", "slow down")).kind == "rate_limit"


@pytest.mark.parametrize(
    ("status", "kind"),
    [(400, "bad_request"), (401, "auth"), (402, "credits"), (403, "moderation"),
     (404, "bad_request"), (408, "timeout"), (413, "bad_request"), (422, "bad_request"),
     (429, "rate_limit"), (500, "unavailable"), (502, "unavailable"), (503, "unavailable"),
     (524, "timeout"), (529, "unavailable")],
)
def test_every_documented_status(status: int, kind: str) -> None:
    error = error_from_http(status, {}, body(status, "x"))
    assert error.kind == kind
    assert error.detail.status == status
    assert error.detail.message.endswith(".")


def test_context_length_is_recognised() -> None:
    message = "This endpoint's maximum context length is 8192 tokens. However, you requested …"
    error = error_from_http(400, {}, body(400, message))
    assert error.kind == "context_length"
    assert "middle-out" in error.detail.message
    typed = error_from_http(400, {}, body(400, "too long", error_type="context_length_exceeded"))
    assert typed.kind == "context_length"


def test_non_json_error_bodies() -> None:
    error = error_from_http(502, {}, b"<html><body>Bad gateway</body></html>")
    assert error.kind == "unavailable" and "<html>" not in error.detail.message
    assert error_from_http(418, {}, b"").kind == "bad_request"


def test_key_like_strings_never_reach_the_message() -> None:
    leaked = "sk-or-v1-" + "a" * 40
    error = error_from_http(401, {}, body(401, f"bad key {leaked}"))
    assert leaked not in error.detail.message


def test_retry_after_seconds_date_and_epoch_ms_reset() -> None:
    now = 1_800_000_000.0
    assert retry_after_seconds({"retry-after": "7"}, now) == 7.0
    date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(now + 30))
    assert retry_after_seconds({"retry-after": date}, now) == pytest.approx(30, abs=1)
    assert retry_after_seconds({"x-ratelimit-reset": str(int((now + 12.5) * 1000))}, now) == 12.5
    assert retry_after_seconds({}, now) is None


def test_transport_errors() -> None:
    import httpx

    base = "http://127.0.0.1:1/api/v1"
    assert error_from_transport(httpx.ConnectError("refused"), base).kind == "network"
    assert error_from_transport(httpx.ConnectTimeout("slow"), base).kind == "timeout"


def test_retry_policy() -> None:
    policy = RetryPolicy(max_retries=2, base_delay_s=0.5, max_wait_s=10)
    assert policy.delay(0, None) == 0.5
    assert policy.delay(1, None) == 1.0
    assert policy.delay(2, None) is None  # bounded
    assert policy.delay(0, 3.0) == 3.0  # Retry-After honoured
    assert policy.delay(0, 60.0) is None  # beyond the cap: the error says when to retry


# --- cost --------------------------------------------------------------------------------------


def test_stream_cost_adds_upstream_only_for_byok() -> None:
    usage = {"cost": 0.5, "is_byok": False, "cost_details": {"upstream_inference_cost": 0.5}}
    assert stream_cost(usage) == 0.5  # not double-counted
    byok = {"cost": 0.05, "is_byok": True, "cost_details": {"upstream_inference_cost": 1.0}}
    assert stream_cost(byok) == pytest.approx(1.05)


def test_cost_from_prices() -> None:
    pricing = Pricing(prompt=3.0, completion=15.0, cache_read=0.3, cache_write=3.75)
    usage = ChatUsage(prompt_tokens=1000, completion_tokens=100, cached_tokens=600,
                      cache_write_tokens=200)
    expected = (200 * 3.0 + 600 * 0.3 + 200 * 3.75 + 100 * 15.0) / 1e6
    assert cost_from_prices(usage, pricing) == pytest.approx(expected)
    assert cost_from_prices(usage, Pricing()) is None


def test_usage_from_stream() -> None:
    usage = usage_from_stream({
        "prompt_tokens": 10, "completion_tokens": 5, "cost": 0.001, "is_byok": False,
        "prompt_tokens_details": {"cached_tokens": 2, "cache_write_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 1},
    })
    assert usage == ChatUsage(10, 5, 2, 0, 1, 0.001)
    assert usage_from_stream(None) == ChatUsage()


# --- request body ------------------------------------------------------------------------------


def model(cache_write: float | None) -> ModelInfo:
    return ModelInfo(
        id="m/x", name="X", description="", context_length=1000, max_completion_tokens=None,
        pricing=Pricing(prompt=1.0, completion=2.0, cache_write=cache_write),
        input_modalities=["text"], output_modalities=["text"], supports_images=False,
        supports_tools=False, supports_reasoning=False, supported_efforts=[], default_effort=None,
        reasoning_mandatory=False, supports_prompt_caching=cache_write is not None,
        supported_parameters=[], is_free=False, created=None, variable_pricing=False,
        pricing_note=None,
    )


def test_breakpoints_never_exceed_four_and_skip_empty_texts() -> None:
    messages = [ChatMessage("system", "s"), ChatMessage("system", "t")] + [
        ChatMessage("user", f"u{i}") for i in range(6)
    ] + [ChatMessage("user", "")]
    assert cache_breakpoints(messages) == {1, 6, 7}


def test_breakpoints_follow_the_cache_write_price_not_the_model_id() -> None:
    params = ChatParams(messages=[ChatMessage("user", "hi")], model_id="anthropic/claude-x")
    with_price = build_body(Settings(), params, model(3.75))
    assert with_price["messages"][0]["content"][0]["cache_control"] == {"type": "ephemeral"}
    assert build_body(Settings(), params, model(None))["messages"][0]["content"] == "hi"
    assert build_body(Settings(), params, None)["messages"][0]["content"] == "hi"


# --- progress coalescing -----------------------------------------------------------------------


async def test_progress_relay_coalesces_by_time() -> None:
    sent: list[dict[str, str]] = []
    relay = ProgressRelay(sent.append)
    relay("a", None)
    assert sent == [{"content": "a"}]  # the first at once
    relay("b", None)
    relay("c", "r")
    assert len(sent) == 1  # held for the flush interval
    await asyncio.sleep(FLUSH_INTERVAL_S * 4)
    assert sent == [{"content": "a"}, {"content": "bc", "reasoning": "r"}]
    relay("d", None)
    relay.flush()
    assert sent[-1] == {"content": "d"}
    relay.close()


# --- cost fallback (the emulator always reports a cost, so this one is checked here) ------------


async def test_cost_falls_back_to_the_catalogue_prices(monkeypatch: pytest.MonkeyPatch) -> None:
    from openrouter_lsp.core.chat import ChatContext, run_chat
    from openrouter_lsp.openrouter.chat_stream import ChatOutcome

    async def no_cost_stream(request: Any, on_delta: Any, *_: Any) -> ChatOutcome:
        on_delta("hi", None)
        return ChatOutcome("hi", "", "stop", "m/x-2024", "Local", None,
                           {"prompt_tokens": 1000, "completion_tokens": 10})

    # chat imports its HTTP side on first use, so the stream is replaced where it lives.
    monkeypatch.setattr("openrouter_lsp.openrouter.chat_stream.stream_chat", no_cost_stream)
    catalogue = {"m/x": model(None)}
    asked: list[str] = []

    async def find_model(model_id: str) -> ModelInfo | None:
        asked.append(model_id)
        return catalogue.get(model_id)

    context = ChatContext(
        settings=Settings(provider="openai-compatible", model_id="m/x"),
        api_key="sk-or-v1-unit",
        base_url="http://127.0.0.1:1/api/v1",
        model=None,
        find_model=find_model,
    )
    params = ChatParams(messages=[ChatMessage("user", "hello")])
    result = await run_chat(context, params, lambda _content, _reasoning: None)
    # The served id is unknown to the catalogue: the requested model's prices are used.
    assert asked == ["m/x-2024", "m/x"]
    assert result.usage.cost_usd == pytest.approx((1000 * 1.0 + 10 * 2.0) / 1e6)
