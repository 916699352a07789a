"""`openrouter/chat` under load and interruption: cancellation seen upstream, concurrent streams
that never mix, and cost arithmetic against the catalogue's prices (BYOK included)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from tests.support.chat import (
    CHAT,
    catalogue_pricing,
    chat,
    chat_requests,
    new_token,
    streamed,
    user,
    wait_for,
)
from tests.support.lsp import LspSession

from openrouter_emulator.synth import prompt_tokens

GPT = "openai/gpt-4o"
CLAUDE = "anthropic/claude-sonnet-4.5"


async def test_cancel_closes_the_upstream_connection(lsp: LspSession, emulator: Any) -> None:
    emulator.configure(tokens_per_second=20, chunk_tokens=1)
    token = new_token()
    params = {"messages": [user("a slow answer")], "modelId": GPT, "partialResultToken": token,
              "maxTokens": 400}
    msg_id = "cancel-me"
    pending = asyncio.ensure_future(
        lsp.client.protocol.send_request_async(CHAT, params, msg_id=msg_id)
    )
    await wait_for(lambda: bool(lsp.partials.get(token)), timeout=10)
    lsp.client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=msg_id))
    with pytest.raises(JsonRpcException) as info:
        await asyncio.wait_for(pending, 10)
    assert info.value.code == -32800  # RequestCancelled
    # The emulator sees the client go away long before the 20-second answer would end.
    await wait_for(lambda: chat_requests(emulator)[-1]["disconnected"], timeout=1)
    assert len(streamed(lsp, token)) < 40 * 4


async def test_the_server_keeps_serving_after_a_cancel(lsp: LspSession, emulator: Any) -> None:
    emulator.configure(tokens_per_second=50, chunk_tokens=1)
    pending = asyncio.ensure_future(lsp.client.protocol.send_request_async(
        CHAT, {"messages": [user("x")], "modelId": GPT}, msg_id="c2"
    ))
    await wait_for(lambda: bool(chat_requests(emulator)), timeout=10)
    lsp.client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="c2"))
    with pytest.raises(JsonRpcException):
        await asyncio.wait_for(pending, 10)
    emulator.configure(tokens_per_second=0)
    result = await chat(lsp, modelId=GPT)
    assert result["finishReason"] == "stop"


async def test_twenty_concurrent_streams_never_mix(lsp: LspSession, emulator: Any) -> None:
    emulator.configure(tokens_per_second=2000, chunk_tokens=1)
    prompts = [[user(f"question number {i} " + "pad " * i)] for i in range(20)]
    tokens = [new_token() for _ in prompts]
    results = await asyncio.gather(*(
        chat(lsp, messages=messages, modelId=GPT, partialResultToken=token, maxTokens=48)
        for messages, token in zip(prompts, tokens, strict=True)
    ))
    contents = [r["content"] for r in results]
    assert len(set(contents)) == 20
    assert len({r["generationId"] for r in results}) == 20
    for messages, token, result in zip(prompts, tokens, results, strict=True):
        assert streamed(lsp, token) == result["content"]
        assert result["usage"]["promptTokens"] == prompt_tokens(messages)
        assert result["usage"]["completionTokens"] == 48
    # Each answer is the one the emulator produced for that prompt.
    by_prompt = {r["body"]["messages"][0]["content"]: r["generationId"]
                 for r in chat_requests(emulator)}
    for messages, result in zip(prompts, results, strict=True):
        assert by_prompt[messages[0]["content"]] == result["generationId"]


async def test_cost_follows_the_catalogue_prices(lsp: LspSession) -> None:
    result = await chat(lsp, modelId=GPT, maxTokens=50)
    usage = result["usage"]
    price = catalogue_pricing(GPT)
    expected = usage["promptTokens"] * price["prompt"] + 50 * price["completion"]
    assert usage["costUsd"] == pytest.approx(expected, rel=1e-9)


def priced(usage: dict[str, Any], price: dict[str, float]) -> float:
    """The catalogue's price of a chat's tokens, cached prompt tokens at the cache-read price."""
    fresh = usage["promptTokens"] - usage["cachedTokens"] - usage["cacheWriteTokens"]
    return (fresh * price["prompt"]
            + usage["cachedTokens"] * price["input_cache_read"]
            + usage["cacheWriteTokens"] * price["input_cache_write"]
            + usage["completionTokens"] * price["completion"])


async def test_cost_with_cache_reads_and_writes(lsp: LspSession) -> None:
    messages = [{"role": "system", "content": "You are terse. " * 80}, user("and now?")]
    first = await chat(lsp, modelId=CLAUDE, messages=messages, maxTokens=20)
    again = await chat(lsp, modelId=CLAUDE, messages=messages, maxTokens=20)
    price = catalogue_pricing(CLAUDE)
    for result in (first, again):
        usage = result["usage"]
        assert usage["completionTokens"] == 20
        assert usage["costUsd"] == pytest.approx(priced(usage, price), rel=1e-9)
    assert first["usage"]["cacheWriteTokens"] > 0
    assert again["usage"]["cachedTokens"] > 0
    assert again["usage"]["costUsd"] < first["usage"]["costUsd"]


async def test_byok_cost_adds_the_upstream_cost_once(lsp: LspSession, emulator: Any) -> None:
    emulator.configure(is_byok=True)
    result = await chat(lsp, modelId=GPT, maxTokens=50)
    usage = result["usage"]
    price = catalogue_pricing(GPT)
    upstream = usage["promptTokens"] * price["prompt"] + 50 * price["completion"]
    # OpenRouter's BYOK fee (`cost`) plus the provider's bill on the user's own key.
    assert usage["costUsd"] == pytest.approx(upstream * 1.05, rel=1e-9)


async def test_cost_from_catalogue_prices_when_the_stream_has_none(
    lsp: LspSession, emulator: Any
) -> None:
    """Older deployments report usage without a cost: the server prices the tokens itself with
    the catalogue (cached prompt tokens at the cache-read price) when /generation has no record
    either."""
    emulator.configure(report_cost=False)
    emulator.add_fault(route="/generation", status=500, times=0)
    messages = [{"role": "system", "content": "You are terse. " * 80}, user("cost it")]
    first = await chat(lsp, modelId=CLAUDE, messages=messages, maxTokens=20)
    again = await chat(lsp, modelId=CLAUDE, messages=messages, maxTokens=20)
    (record, *_) = [r for r in emulator.requests() if r["path"].endswith("/chat/completions")]
    assert record["body"]["model"] == CLAUDE
    price = catalogue_pricing(CLAUDE)
    for result in (first, again):
        usage = result["usage"]
        assert usage["completionTokens"] == 20
        assert usage["costUsd"] == pytest.approx(priced(usage, price), rel=1e-9)
        assert result["costSource"] == "catalogue"
    assert again["usage"]["cachedTokens"] > 0



# Quotes, backslashes, escapes, controls, astral characters, and the envelope's own closing text:
# read from the stream's template without a decode, each must come out as JSON decoding gives it.
HOSTILE_REPLY = (
    'say "hi" \\ back\\slash \\u0041 \n\t\x01 é 😀 \u2028 '
    '"},"finish_reason":null,"native_finish_reason":null}]} '
    '","content":"x \\" end'
)


@pytest.mark.parametrize("null_keys", [True, False])
async def test_every_character_survives_the_templated_stream(
    lsp: LspSession, emulator: Any, null_keys: bool
) -> None:
    reply = HOSTILE_REPLY * 40
    emulator.configure(tokens_per_second=0, chunk_tokens=1, reply_text=reply,
                       null_delta_keys=null_keys)
    token = new_token()
    result = await chat(lsp, modelId=GPT, partialResultToken=token, maxTokens=4000)
    assert result["content"] == reply
    assert streamed(lsp, token) == reply
    assert result["finishReason"] == "stop"
