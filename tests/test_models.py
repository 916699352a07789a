"""The model catalogue, provider endpoints and account: fetch, parse, cache, stale, base URL."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from tests.support.lsp import (
    TEST_KEY,
    LspSession,
    server_env,
    start_session,
    stop_session,
    write_settings,
)

from openrouter_emulator import run_in_thread

LIST = "openrouter/models/list"
ENDPOINTS = "openrouter/models/endpoints"
ACCOUNT = "openrouter/account/get"
SNAPSHOT = (
    Path(__file__).parent.parent / "server/openrouter_emulator/data/models-2026-06-16.json"
)


def model_requests(emulator: Any) -> list[dict[str, Any]]:
    return [r for r in emulator.requests() if r["path"].endswith("/models")]


def header(record: dict[str, Any], name: str) -> str | None:
    return next((v for k, v in record["headers"].items() if k.lower() == name.lower()), None)


async def test_list_parses_the_whole_catalogue_with_prices_per_million(
    lsp: LspSession, emulator: Any
) -> None:
    result = await lsp.call(LIST, {})
    raw = {m["id"]: m for m in json.loads(SNAPSHOT.read_text())["data"]}
    assert len(result["models"]) == len(raw) == 337
    assert result["stale"] is False and result["fetchedAt"].endswith("+00:00")
    by_id = {m["id"]: m for m in result["models"]}
    sonnet = by_id["anthropic/claude-sonnet-4.5"]
    assert sonnet["pricing"] == {
        "prompt": 3.0,
        "completion": 15.0,
        "cacheRead": 0.3,
        "cacheWrite": 3.75,
    }
    assert sonnet["supportsPromptCaching"] is True and sonnet["supportsImages"] is True
    assert sonnet["contextLength"] == raw["anthropic/claude-sonnet-4.5"]["context_length"]
    # Every price is the catalogue's per-token decimal times a million (or null when variable).
    for model_id, model in by_id.items():
        prompt = raw[model_id]["pricing"].get("prompt")
        if prompt is None or float(prompt) < 0:
            assert model["pricing"]["prompt"] is None
        else:
            assert model["pricing"]["prompt"] == pytest.approx(float(prompt) * 1e6)
    free = [m for m in result["models"] if m["id"].endswith(":free")]
    assert free and all(m["isFree"] for m in free)
    assert sum(1 for m in result["models"] if m["pricing"]["cacheWrite"]) == 47
    # The request went to the effective (custom) base URL with the key and attribution.
    (request,) = model_requests(emulator)
    assert header(request, "authorization") == f"Bearer {TEST_KEY}"
    assert header(request, "x-openrouter-categories") == "ide-extension"


async def test_router_models_with_variable_prices_have_null_prices(lsp: LspSession) -> None:
    models = (await lsp.call(LIST, {}))["models"]
    raw = json.loads(SNAPSHOT.read_text())["data"]
    variable = [m["id"] for m in raw if str(m["pricing"].get("prompt", "0")).startswith("-")]
    assert variable, "the snapshot has router models with a -1 price"
    by_id = {m["id"]: m for m in models}
    assert all(by_id[i]["pricing"]["prompt"] is None for i in variable)


async def test_query_filters_by_id_and_name_case_insensitively(lsp: LspSession) -> None:
    result = await lsp.call(LIST, {"query": "CLAUDE sonnet"})
    assert result["models"] and all(
        "claude sonnet" in (m["id"] + " " + m["name"]).lower() for m in result["models"]
    )
    by_id = await lsp.call(LIST, {"query": "openai/gpt-4o"})
    assert "openai/gpt-4o" in [m["id"] for m in by_id["models"]]
    assert (await lsp.call(LIST, {"query": "no-such-model-anywhere"}))["models"] == []


async def test_warm_calls_do_not_fetch_and_refresh_does(lsp: LspSession, emulator: Any) -> None:
    await lsp.call(LIST, {})
    await lsp.call(LIST, {"query": "gpt"})
    await lsp.call(LIST, [])
    assert len(model_requests(emulator)) == 1
    await lsp.call(LIST, {"refresh": True})
    assert len(model_requests(emulator)) == 2


async def test_concurrent_calls_share_one_fetch(lsp: LspSession, emulator: Any) -> None:
    emulator.add_fault(route="/models", delaySeconds=0.5)
    results = await asyncio.gather(*(lsp.call(LIST, {}) for _ in range(10)))
    assert {len(r["models"]) for r in results} == {337}
    assert len(model_requests(emulator)) == 1


async def test_disk_cache_serves_a_restarted_server(home: Path, emulator: Any) -> None:
    first = await start_session(home, server_env(home))
    await first.call(LIST, {})
    await stop_session(first)
    second = await start_session(home, server_env(home))
    try:
        result = await second.call(LIST, {})
    finally:
        await stop_session(second)
    assert len(result["models"]) == 337 and result["stale"] is False
    assert len(model_requests(emulator)) == 1
    cache_files = list((home / "cache").glob("models-*.json"))
    assert len(cache_files) == 1


async def test_upstream_failure_serves_the_last_good_list_as_stale(
    lsp: LspSession, emulator: Any
) -> None:
    await lsp.call(LIST, {})
    emulator.add_fault(route="/models", status=503)
    result = await lsp.call(LIST, {"refresh": True})
    assert result["stale"] is True and len(result["models"]) == 337
    # ... and the reason reaches the editor's log (window/logMessage).
    for _ in range(50):
        if any("cached model list" in m.message for m in lsp.client.log_messages):
            break
        await asyncio.sleep(0.05)
    assert any("cached model list" in m.message for m in lsp.client.log_messages)


async def test_offline_serves_the_disk_cache_as_stale(tmp_path: Path) -> None:
    home = tmp_path / "state"
    with run_in_thread() as short_lived:
        write_settings(home, useCustomBaseUrl=True, customBaseUrl=short_lived.base_url)
        first = await start_session(home, server_env(home))
        await first.call(LIST, {})
        await stop_session(first)
    # The emulator is gone: connections are refused.
    second = await start_session(home, server_env(home))
    try:
        result = await second.call(LIST, {"refresh": True})
        assert result["stale"] is True and len(result["models"]) == 337
    finally:
        await stop_session(second)


async def test_offline_with_no_cache_is_a_network_error(tmp_path: Path) -> None:
    home = tmp_path / "state"
    with run_in_thread() as short_lived:
        base_url = short_lived.base_url
    write_settings(home, useCustomBaseUrl=True, customBaseUrl=base_url)
    session = await start_session(home, server_env(home))
    try:
        error = await session.call_error(LIST, {})
        assert error.code == -32001 and error.data["kind"] == "network"
        assert base_url in error.data["message"]
        assert (await session.call("openrouter/settings/get"))["customBaseUrl"] == base_url
    finally:
        await stop_session(session)


async def test_endpoints_of_the_real_sample(lsp: LspSession, emulator: Any) -> None:
    result = await lsp.call(ENDPOINTS, {"modelId": "openai/gpt-4o"})
    assert result["modelId"] == "openai/gpt-4o"
    sample = json.loads((SNAPSHOT.parent / "endpoints-openai-gpt-4o.json").read_text())["data"][
        "endpoints"
    ]
    assert [p["tag"] for p in result["providers"]] == [e["tag"] for e in sample]
    degraded = [p for p in result["providers"] if p["status"] is not None and p["status"] < 0]
    assert degraded, "the real sample has one degraded endpoint"
    first = result["providers"][0]
    assert first["pricing"]["prompt"] == pytest.approx(float(sample[0]["pricing"]["prompt"]) * 1e6)
    paths = [r["path"] for r in emulator.requests()]
    assert any(p.endswith("/models/openai/gpt-4o/endpoints") for p in paths)


async def test_endpoints_of_a_synthesised_model(lsp: LspSession) -> None:
    result = await lsp.call(ENDPOINTS, {"modelId": "anthropic/claude-sonnet-4.5"})
    assert result["providers"] and all(p["tag"] for p in result["providers"])


async def test_endpoints_of_an_unknown_model_is_invalid_params(lsp: LspSession) -> None:
    error = await lsp.call_error(ENDPOINTS, {"modelId": "nobody/nothing"})
    assert error.code == -32602 and error.data["errors"][0]["path"] == "modelId"


async def test_account_reports_the_key_s_limits(lsp: LspSession, emulator: Any) -> None:
    account = await lsp.call(ACCOUNT, {})
    assert set(account) == {
        "label", "limit", "usage", "limitRemaining", "isFreeTier",
        "balanceUsd", "totalCredits", "totalUsage", "balanceSource", "checkedAt",
    }
    assert isinstance(account["isFreeTier"], bool)
    assert TEST_KEY not in json.dumps(account)
    (request,) = [r for r in emulator.requests() if r["path"].endswith("/key")]
    assert header(request, "authorization") == f"Bearer {TEST_KEY}"


async def test_account_falls_back_to_the_legacy_route(lsp: LspSession, emulator: Any) -> None:
    emulator.add_fault(route="/key", status=404)
    account = await lsp.call(ACCOUNT, {})
    assert "limitRemaining" in account
    assert any(r["path"].endswith("/auth/key") for r in emulator.requests())


async def test_account_without_a_key_makes_no_request(
    lsp_no_key: LspSession, emulator: Any
) -> None:
    error = await lsp_no_key.call_error(ACCOUNT, {})
    assert error.code == -32001 and error.data["kind"] == "no_api_key"
    assert not [r for r in emulator.requests() if "key" in r["path"]]


async def test_account_with_a_rejected_key_is_auth(home: Path) -> None:
    session = await start_session(home, server_env(home, OPENROUTER_API_KEY="sk-or-v1-wrong-0000"))
    try:
        error = await session.call_error(ACCOUNT, {})
        assert error.data["kind"] == "auth" and error.data["status"] == 401
    finally:
        await stop_session(session)


async def test_models_carry_the_catalogues_reasoning_metadata(lsp: LspSession) -> None:
    by_id = {m["id"]: m for m in (await lsp.call(LIST, {}))["models"]}
    gpt5, sonnet, gpt4o = (
        by_id["openai/gpt-5"], by_id["anthropic/claude-sonnet-4.5"], by_id["openai/gpt-4o"]
    )
    assert gpt5["supportedEfforts"] == ["xhigh", "high", "medium", "low", "minimal"]
    assert gpt5["reasoningMandatory"] is True
    assert sonnet["supportedEfforts"] == ["high", "medium", "low", "none"]
    assert sonnet["reasoningMandatory"] is False
    # Not a reasoning model: no efforts, and nothing mandatory.
    assert gpt4o["supportedEfforts"] == [] and gpt4o["reasoningMandatory"] is False
