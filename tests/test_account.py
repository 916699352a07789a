"""Issue 11's "balance that is true" and issue 12's "cost that is always known", through the real
server and the emulator: a key checked when set, the balance from /key and /credits refreshed
after each chat, the worst-case check before sending, the /generation fallback, and usage from
OpenAI-compatible servers (`stream_options.include_usage`)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest
from tests.support.chat import (
    catalogue_pricing,
    chat,
    chat_error,
    chat_requests,
    update_settings,
    upstream_data,
    user,
)
from tests.support.lsp import TEST_KEY, LspSession, server_env, start_session, stop_session
from tests.test_signin import authorize, query_of

ACCOUNT = "openrouter/account/get"
ACCOUNT_CHANGED = "openrouter/account/didChange"
SETTINGS_CHANGED = "openrouter/settings/didChange"
SET_KEY = "openrouter/apiKey/set"
GPT4O = "openai/gpt-4o"  # $2.50 / $10 per million tokens, 16,384 output tokens at most
FREE = "nex-agi/nex-n2-pro:free"


def paths(emulator: Any, suffix: str) -> list[dict[str, Any]]:
    return [r for r in emulator.requests() if r["path"].endswith(suffix)]


async def verdict_announced(lsp: LspSession, timeout: float = 10) -> dict[str, Any]:
    """The key status of the first settings notification that carries a verdict."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for view in lsp.notified(SETTINGS_CHANGED):
            if view["apiKey"]["verdict"] is not None:
                status: dict[str, Any] = view["apiKey"]
                return status
        await asyncio.sleep(0.02)
    raise TimeoutError("no verdict announced")


# --- the key, checked when it is set -----------------------------------------------------------


async def test_a_good_key_is_accepted_and_its_balance_announced(
    lsp_no_key: LspSession, emulator: Any
) -> None:
    status = await lsp_no_key.call(SET_KEY, {"apiKey": TEST_KEY})
    # The answer does not wait for the check: null now, the verdict announced after.
    assert status["isSet"] is True and status["verdict"] is None
    announced = await verdict_announced(lsp_no_key)
    assert announced["verdict"] == "accepted" and announced["verdictMessage"] is None
    (info,) = await lsp_no_key.wait_notified(ACCOUNT_CHANGED)
    assert info["balanceUsd"] == 100.0 and info["balanceSource"] == "credits"
    assert (await lsp_no_key.call("openrouter/settings/get"))["apiKey"]["verdict"] == "accepted"
    (checked,) = paths(emulator, "/key")
    assert checked["headers"]["authorization"] == f"Bearer {TEST_KEY}"


async def test_a_rejected_key_shows_as_rejected(lsp_no_key: LspSession) -> None:
    wrong = "sk-or-v1-not-a-key-the-emulator-knows-0000"
    await lsp_no_key.call(SET_KEY, {"apiKey": wrong})
    status = await verdict_announced(lsp_no_key)
    assert status["isSet"] is True and status["verdict"] == "rejected"
    assert "rejected this key (HTTP 401)" in status["verdictMessage"]
    assert wrong not in json.dumps(lsp_no_key.notifications)
    assert not lsp_no_key.notified(ACCOUNT_CHANGED)
    # A good key replaces the verdict of the bad one.
    await lsp_no_key.call(SET_KEY, {"apiKey": TEST_KEY})
    view = await lsp_no_key.call("openrouter/settings/get")
    assert view["apiKey"]["verdict"] is None  # the new key's check has not ended yet
    for _ in range(500):
        verdicts = [v["apiKey"]["verdict"] for v in lsp_no_key.notified(SETTINGS_CHANGED)]
        if verdicts[-1] == "accepted":
            break
        await asyncio.sleep(0.02)
    assert verdicts[-1] == "accepted"


async def test_a_key_from_the_sign_in_is_checked_too(
    lsp_no_key: LspSession, emulator: Any
) -> None:
    started = await lsp_no_key.call(
        "openrouter/signIn/start", {"callbackUrl": "vscode://openrouter.openrouter-lsp/signin"}
    )
    redirect = query_of(await authorize(started["authUrl"]))
    result = await lsp_no_key.call(
        "openrouter/signIn/complete", {"code": redirect["code"], "state": redirect["state"]}
    )
    assert result["outcome"] == "signed_in" and result["apiKey"]["verdict"] is None
    assert (await verdict_announced(lsp_no_key))["verdict"] == "accepted"
    key = (lsp_no_key.home / "api-key").read_text()
    (checked,) = paths(emulator, "/key")
    assert checked["headers"]["authorization"] == f"Bearer {key}"


async def test_a_key_that_cannot_be_checked_is_unverified(
    lsp_no_key: LspSession, emulator: Any
) -> None:
    emulator.add_fault(route="/key", status=503, times=0)
    await lsp_no_key.call(SET_KEY, {"apiKey": TEST_KEY})
    status = await verdict_announced(lsp_no_key)
    assert status["verdict"] == "unverified"
    assert status["verdictMessage"].startswith("The key could not be checked:")


async def test_an_openai_compatible_key_is_unverified_without_a_request(
    lsp_no_key: LspSession, emulator: Any
) -> None:
    await update_settings(lsp_no_key, provider="openai-compatible")
    await lsp_no_key.call(SET_KEY, {"apiKey": TEST_KEY})
    status = await verdict_announced(lsp_no_key)
    assert status["verdict"] == "unverified" and "no key endpoint" in status["verdictMessage"]
    assert not paths(emulator, "/key")


# --- the balance -------------------------------------------------------------------------------


async def test_account_has_the_credits_balance(lsp: LspSession, emulator: Any) -> None:
    info = await lsp.call(ACCOUNT, {})
    assert info["totalCredits"] == 100.0 and info["totalUsage"] == 0.0
    assert info["balanceUsd"] == 100.0 and info["balanceSource"] == "credits"
    assert info["checkedAt"].endswith("+00:00")
    assert len(paths(emulator, "/credits")) == 1


async def test_a_key_with_a_limit_has_its_remaining_limit(lsp: LspSession, emulator: Any) -> None:
    emulator.configure(key_limit=5.0)
    info = await lsp.call(ACCOUNT, {})
    assert info["limit"] == 5.0 and info["balanceUsd"] == 5.0
    assert info["balanceSource"] == "key_limit"
    # Fewer credits on the account than the key may spend: the account's balance is the truth.
    emulator.configure(total_credits=2.0)
    info = await lsp.call(ACCOUNT, {})
    assert info["balanceUsd"] == 2.0 and info["balanceSource"] == "credits"


async def test_credits_refused_to_the_key_leave_the_balance_unknown(
    lsp: LspSession, emulator: Any
) -> None:
    """The 2026 spec wants a management key for /credits: an ordinary key may get 403."""
    emulator.add_fault(route="/credits", status=403, times=0)
    info = await lsp.call(ACCOUNT, {})
    assert info["balanceUsd"] is None and info["balanceSource"] is None
    assert info["totalCredits"] is None and info["label"]


async def test_the_balance_is_refreshed_after_each_chat(lsp: LspSession, emulator: Any) -> None:
    assert (await lsp.call(ACCOUNT, {}))["balanceUsd"] == 100.0
    first = await chat(lsp, modelId=GPT4O, maxTokens=40)
    (after_first,) = await lsp.wait_notified(ACCOUNT_CHANGED)
    spent = first["usage"]["costUsd"]
    assert spent > 0 and first["costSource"] == "stream"
    assert after_first["totalUsage"] == pytest.approx(spent, rel=1e-9)
    assert after_first["balanceUsd"] == pytest.approx(100.0 - spent, rel=1e-12)
    second = await chat(lsp, modelId=GPT4O, maxTokens=40)
    _, after_second = await lsp.wait_notified(ACCOUNT_CHANGED, 2)
    total = spent + second["usage"]["costUsd"]
    assert after_second["balanceUsd"] == pytest.approx(100.0 - total, rel=1e-12)
    assert (await lsp.call(ACCOUNT, {}))["balanceUsd"] == after_second["balanceUsd"]


async def test_account_on_an_openai_compatible_server_says_it_has_none(
    lsp: LspSession, emulator: Any
) -> None:
    await update_settings(lsp, provider="openai-compatible")
    data = upstream_data(await lsp.call_error(ACCOUNT, {}))
    assert data["kind"] == "bad_request"
    message = data["message"]
    assert "has no OpenRouter account" in message and "check the model" not in message
    assert not paths(emulator, "/key") and not paths(emulator, "/credits")


# --- the worst case, checked before sending ---------------------------------------------------


async def test_a_request_the_balance_cannot_pay_is_refused_with_the_numbers(
    lsp: LspSession, emulator: Any
) -> None:
    emulator.configure(total_credits=0.05, tokens_per_second=None)
    await lsp.call(ACCOUNT, {})  # the balance is now known; chats never fetch it themselves
    before = len(emulator.requests())
    data = upstream_data(await chat_error(lsp, modelId=GPT4O))
    assert data["kind"] == "insufficient_credits"
    message = data["message"]
    # 16,384 output tokens at $10/M is $0.16 alone; the account has $0.05.
    assert "up to 16,384 output tokens at $10.00/M" in message and "$0.05 left" in message
    advised = int(message.split("Lower the output limit to ")[1].split(" ")[0].replace(",", ""))
    price = catalogue_pricing(GPT4O)
    assert 1 <= advised < 16_384 and advised * price["completion"] < 0.05
    assert not [r for r in emulator.requests()[before:] if r["path"].endswith("/completions")]
    # The advice works: that many output tokens are sent, one more is refused.
    result = await chat(lsp, modelId=GPT4O, maxTokens=advised)
    assert chat_requests(emulator)[-1]["body"]["max_tokens"] == advised
    assert result["usage"]["completionTokens"] == advised
    await lsp.call(ACCOUNT, {})  # the chat's spending is booked again before the next check
    emulator.configure(total_credits=0.05 + result["usage"]["costUsd"])
    await lsp.call(ACCOUNT, {})
    refused = upstream_data(await chat_error(lsp, modelId=GPT4O, maxTokens=advised + 1))
    assert refused["kind"] == "insufficient_credits"


async def test_no_impossible_advice_when_even_the_prompt_is_too_dear(
    lsp: LspSession, emulator: Any
) -> None:
    emulator.configure(total_credits=0.0001)
    await lsp.call(ACCOUNT, {})
    long_prompt = [user("Please read this. " * 2000)]  # ~9,000 tokens: $0.02 of prompt alone
    data = upstream_data(await chat_error(lsp, modelId=GPT4O, messages=long_prompt, maxTokens=1))
    assert data["kind"] == "insufficient_credits"
    assert "Lower the output limit" not in data["message"]
    assert "Add credits at https://openrouter.ai/settings/credits" in data["message"]


async def test_free_models_are_never_refused(lsp: LspSession, emulator: Any) -> None:
    emulator.configure(total_credits=0.0)
    assert (await lsp.call(ACCOUNT, {}))["balanceUsd"] == 0.0
    result = await chat(lsp, modelId=FREE, maxTokens=8)
    assert result["content"]


async def test_an_unknown_balance_refuses_nothing(lsp: LspSession, emulator: Any) -> None:
    emulator.configure(total_credits=0.0)
    # No account/get yet: the chat makes no balance request of its own and is sent.
    result = await chat(lsp, modelId=GPT4O, maxTokens=8)
    assert result["usage"]["completionTokens"] == 8
    sent = chat_requests(emulator)[0]["seq"]
    assert all(record["seq"] > sent for record in paths(emulator, "/credits"))


# --- the cost, always known --------------------------------------------------------------------


async def test_cost_from_generation_when_the_stream_has_none(
    lsp: LspSession, emulator: Any
) -> None:
    emulator.configure(report_cost=False, generation_delay_seconds=0.6)
    result = await chat(lsp, modelId=GPT4O, maxTokens=30)
    assert result["costSource"] == "generation"
    generation = emulator.state.generation(result["generationId"])
    assert result["usage"]["costUsd"] == generation["total_cost"] > 0
    polls = paths(emulator, "/generation")
    assert len(polls) >= 2 and polls[-1]["status"] == 200  # 404 first, as the real service
    assert all(p["status"] == 404 for p in polls[:-1])


async def test_generation_waits_within_its_bound_then_the_catalogue(
    home: Path, emulator: Any
) -> None:
    emulator.configure(report_cost=False, generation_delay_seconds=60)
    env = server_env(home, OPENROUTER_API_KEY=TEST_KEY, OPENROUTER_LSP_GENERATION_WAIT_S="1")
    session = await start_session(home, env)
    try:
        started = time.monotonic()
        result = await chat(session, modelId=GPT4O, maxTokens=30)
        elapsed = time.monotonic() - started
    finally:
        await stop_session(session)
    assert result["costSource"] == "catalogue" and result["usage"]["costUsd"] > 0
    # It polls at 0, 0.25 and 0.75 s and stops when the next poll (at 1.75 s) would land past
    # the 1 s bound: at least the 0.75 s of waits, far less than the 60 s the record takes.
    assert 0.75 <= elapsed < 4.0
    assert paths(emulator, "/generation")


# --- usage from OpenAI-compatible servers -------------------------------------------------------


async def test_an_openai_style_server_streams_usage_because_it_is_asked(
    lsp: LspSession, emulator: Any
) -> None:
    emulator.configure(stream_usage="when_asked", report_cost=False)
    await update_settings(lsp, provider="openai-compatible")
    result = await chat(lsp, modelId=GPT4O, maxTokens=12)
    assert chat_requests(emulator)[-1]["body"]["stream_options"] == {"include_usage": True}
    usage = result["usage"]
    assert usage["promptTokens"] > 0 and usage["completionTokens"] == 12
    price = catalogue_pricing(GPT4O)
    expected = usage["promptTokens"] * price["prompt"] + 12 * price["completion"]
    assert usage["costUsd"] == pytest.approx(expected, rel=1e-9)
    assert result["costSource"] == "catalogue"
    assert not paths(emulator, "/generation")  # no such route on an OpenAI-style server


async def test_a_server_that_ignores_the_option_still_answers(
    lsp: LspSession, emulator: Any
) -> None:
    emulator.configure(stream_usage="never")
    await update_settings(lsp, provider="openai-compatible")
    result = await chat(lsp, modelId=GPT4O, maxTokens=12)
    assert result["content"] and result["finishReason"] == "stop"
    assert result["usage"]["costUsd"] is None and result["costSource"] is None
    assert not paths(emulator, "/key") and not paths(emulator, "/credits")
