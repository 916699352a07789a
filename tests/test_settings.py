"""Settings: defaults, merge, validation, persistence, corrupt files, two processes, didChange."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from tests.support.lsp import LspSession, server_env, start_session, stop_session, write_settings

GET = "openrouter/settings/get"
UPDATE = "openrouter/settings/update"
DID_CHANGE = "openrouter/settings/didChange"
NEW_ROUTING_DEFAULTS = {
    "maxPrice": {"prompt": None, "completion": None},
    "quantizations": [],
    "ignore": [],
    "preferredMinThroughput": None,
    "preferredMaxLatency": None,
}


async def test_defaults_in_an_empty_state_folder(tmp_path: Path) -> None:
    home = tmp_path / "empty"
    session = await start_session(home, server_env(home))
    try:
        view = await session.call(GET, {})
    finally:
        await stop_session(session)
    assert view["provider"] == "openrouter"
    assert view["modelId"] == "anthropic/claude-sonnet-4.5"
    assert view["useCustomBaseUrl"] is False and view["customBaseUrl"] == ""
    assert view["middleOutTransform"] is False and view["promptCaching"] is True
    assert view["routing"] == {
        "sort": "default",
        "provider": None,
        "allowFallbacks": True,
        "dataPolicy": "default",
        **NEW_ROUTING_DEFAULTS,
    }
    assert view["reasoningEffort"] == "default" and view["modelVariant"] is None
    assert view["maxOutputTokens"] is None and view["fallbackModels"] == []
    assert view["apiKey"] == {
        "isSet": False, "hint": None, "source": None, "verdict": None, "verdictMessage": None,
    }
    assert view["effectiveBaseUrl"] == "https://openrouter.ai/api/v1"


async def test_update_merges_recursively_persists_and_announces(lsp: LspSession) -> None:
    view = await lsp.call(UPDATE, {"patch": {"routing": {"sort": "price"}, "promptCaching": False}})
    assert view["routing"]["sort"] == "price"
    assert view["routing"]["allowFallbacks"] is True  # untouched sibling
    assert view["promptCaching"] is False
    view = await lsp.call(UPDATE, {"patch": {"routing": {"dataPolicy": "zdr"}}})
    assert view["routing"]["sort"] == "price" and view["routing"]["dataPolicy"] == "zdr"

    changes = await lsp.wait_notified(DID_CHANGE, 2)
    assert changes[-1]["routing"]["dataPolicy"] == "zdr"
    assert "apiKey" in changes[-1]

    on_disk = json.loads((lsp.home / "settings.json").read_text())
    assert on_disk["routing"] == {
        "sort": "price",
        "provider": None,
        "allowFallbacks": True,
        "dataPolicy": "zdr",
        **NEW_ROUTING_DEFAULTS,
    }
    assert "apiKey" not in on_disk


async def test_null_resets_a_field_and_a_whole_object(lsp: LspSession) -> None:
    await lsp.call(UPDATE, {"patch": {"routing": {"sort": "latency", "provider": "deepinfra/fp8"}}})
    view = await lsp.call(UPDATE, {"patch": {"routing": {"provider": None}}})
    assert view["routing"]["provider"] is None and view["routing"]["sort"] == "latency"
    view = await lsp.call(UPDATE, {"patch": {"routing": None}})
    assert view["routing"]["sort"] == "default"


async def test_settings_survive_a_restart(home: Path, emulator: object) -> None:
    first = await start_session(home, server_env(home))
    await first.call(
        UPDATE,
        {
            "patch": {
                "modelId": "openai/gpt-4o",
                "middleOutTransform": True,
                "routing": {"sort": "throughput"},
            }
        },
    )
    await stop_session(first)
    second = await start_session(home, server_env(home))
    try:
        view = await second.call(GET)
    finally:
        await stop_session(second)
    assert view["modelId"] == "openai/gpt-4o"
    assert view["middleOutTransform"] is True
    assert view["routing"]["sort"] == "throughput"


@pytest.mark.parametrize(
    ("patch", "path"),
    [
        ({"routing": {"sort": "fastest"}}, "routing.sort"),
        ({"routing": {"dataPolicy": True}}, "routing.dataPolicy"),
        ({"routing": {"allowFallbacks": "no"}}, "routing.allowFallbacks"),
        ({"routing": "price"}, "routing"),
        ({"provider": "anthropic"}, "provider"),
        ({"promptCaching": 1}, "promptCaching"),
        ({"modelId": ""}, "modelId"),
        ({"modelId": "x" * 257}, "modelId"),
        ({"modelId": "a" * 10_000_000}, "modelId"),
        ({"routing": {"provider": "p" * 257}}, "routing.provider"),
        ({"useCustomBaseUrl": True, "customBaseUrl": "http://example.com/api/v1"}, "customBaseUrl"),
        ({"useCustomBaseUrl": True, "customBaseUrl": "http://10.0.0.5:8080/v1"}, "customBaseUrl"),
        ({"useCustomBaseUrl": True, "customBaseUrl": "ftp://example.com"}, "customBaseUrl"),
        (
            {"useCustomBaseUrl": True, "customBaseUrl": "https://example.com/v1?x=1"},
            "customBaseUrl",
        ),
        (
            {"useCustomBaseUrl": True, "customBaseUrl": "https://example.com/v1#top"},
            "customBaseUrl",
        ),
        ({"useCustomBaseUrl": True, "customBaseUrl": ""}, "customBaseUrl"),
        ({"customBaseUrl": "https://e.com/" + "a" * 2048}, "customBaseUrl"),
    ],
)
async def test_invalid_patch_names_the_field_and_changes_nothing(
    lsp: LspSession, patch: dict[str, object], path: str
) -> None:
    before = await lsp.call(GET)
    file_before = (lsp.home / "settings.json").read_bytes()
    error = await lsp.call_error(UPDATE, {"patch": patch})
    assert error.code == -32602
    assert path in [e["path"] for e in error.data["errors"]], error.data
    assert all(e["message"] for e in error.data["errors"])
    assert await lsp.call(GET) == before
    assert (lsp.home / "settings.json").read_bytes() == file_before
    assert lsp.notified(DID_CHANGE) == []


@pytest.mark.parametrize(
    "url",
    [
        "https://openrouter.example.org/api/v1",
        "http://127.0.0.1:9999/api/v1",
        "http://127.8.9.10/v1",
        "http://localhost:1234/v1",
        "http://[::1]:8080/v1",
    ],
)
async def test_acceptable_base_urls(lsp: LspSession, url: str) -> None:
    view = await lsp.call(UPDATE, {"patch": {"useCustomBaseUrl": True, "customBaseUrl": url}})
    assert view["effectiveBaseUrl"] == url.rstrip("/")


async def test_unchecked_box_keeps_what_was_typed(lsp: LspSession) -> None:
    view = await lsp.call(
        UPDATE,
        {"patch": {"useCustomBaseUrl": False, "customBaseUrl": "http://example.com/half-typed"}},
    )
    assert view["customBaseUrl"] == "http://example.com/half-typed"
    assert view["effectiveBaseUrl"] == "https://openrouter.ai/api/v1"
    # Turning the box on validates what is there.
    error = await lsp.call_error(UPDATE, {"patch": {"useCustomBaseUrl": True}})
    assert error.data["errors"][0]["path"] == "customBaseUrl"


async def test_unknown_fields_are_ignored(lsp: LspSession) -> None:
    view = await lsp.call(
        UPDATE, {"patch": {"colour": "blue", "routing": {"speed": 3}}, "extra": 1}
    )
    assert "colour" not in view and "speed" not in view["routing"]


async def test_unknown_model_is_rejected_once_the_catalogue_is_known(lsp: LspSession) -> None:
    await lsp.call("openrouter/models/list", {})
    error = await lsp.call_error(UPDATE, {"patch": {"modelId": "nobody/no-such-model"}})
    assert error.data["errors"][0]["path"] == "modelId"
    view = await lsp.call(UPDATE, {"patch": {"modelId": "openai/gpt-4o-mini"}})
    assert view["modelId"] == "openai/gpt-4o-mini"


async def test_corrupt_settings_file_is_moved_aside_and_the_user_told(tmp_path: Path) -> None:
    home = tmp_path / "state"
    home.mkdir()
    (home / "settings.json").write_text('{"provider": "openrouter", "routing": {')
    session = await start_session(home, server_env(home))
    try:
        view = await session.call(GET)
        for _ in range(100):
            if session.client.messages:
                break
            await asyncio.sleep(0.05)
    finally:
        await stop_session(session)
    assert view["routing"]["sort"] == "default"
    aside = list(home.glob("settings.json.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_text().startswith('{"provider"')
    assert any("moved to" in m.message for m in session.client.messages)


async def test_settings_file_with_invalid_values_is_moved_aside(tmp_path: Path) -> None:
    home = tmp_path / "state"
    write_settings(home, routing={"sort": "warp-speed"})
    session = await start_session(home, server_env(home))
    try:
        view = await session.call(GET)
    finally:
        await stop_session(session)
    assert view["routing"]["sort"] == "default"
    assert list(home.glob("settings.json.corrupt-*"))


async def test_two_servers_sharing_a_folder_never_corrupt_it(home: Path) -> None:
    first = await start_session(home, server_env(home))
    second = await start_session(home, server_env(home))
    try:
        sorts = ["price", "throughput", "latency", "default"]
        models = ["openai/gpt-4o", "openai/gpt-4o-mini", "anthropic/claude-sonnet-4.5"]
        await asyncio.gather(
            *(
                session.call(
                    UPDATE,
                    {"patch": {"routing": {"sort": sorts[i % 4]}, "modelId": models[i % 3]}},
                )
                for i in range(40)
                for session in (first, second)
            )
        )
        # An update from one process keeps what the other wrote to fields it did not name.
        await first.call(UPDATE, {"patch": {"promptCaching": False}})
        await second.call(UPDATE, {"patch": {"middleOutTransform": True}})
    finally:
        await stop_session(first)
        await stop_session(second)
    document = json.loads((home / "settings.json").read_text())
    assert document["promptCaching"] is False and document["middleOutTransform"] is True
    assert document["routing"]["sort"] in sorts
    assert not list(home.glob(".settings.json.*.tmp"))


async def test_a_change_made_by_another_window_reaches_this_one(home: Path) -> None:
    """Two servers on one state folder (two editor windows): what one saves, the other picks
    up at its next request and announces to its own client."""
    first = await start_session(home, server_env(home))
    second = await start_session(home, server_env(home))
    try:
        await second.call(GET)
        await first.call(UPDATE, {"patch": {"routing": {"sort": "latency"}}})
        await first.call("openrouter/apiKey/set", {"apiKey": "sk-or-v1-other-window-key-9f3a"})
        view = await second.call(GET)
        assert view["routing"]["sort"] == "latency"
        assert view["apiKey"]["hint"] == "sk-or-v1-…9f3a"
        changes = await second.wait_notified(DID_CHANGE)
        assert changes[-1]["routing"]["sort"] == "latency"
    finally:
        await stop_session(first)
        await stop_session(second)
