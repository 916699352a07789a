"""Editor configuration: initializationOptions, workspace/configuration, didChangeConfiguration,
invalid values reported and skipped, and the rule that a workspace can never redirect the key."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import client_capabilities
from tests.support import lsp as lsp_support
from tests.support.lsp import (
    TEST_KEY,
    LspSession,
    server_env,
    start_session,
    stop_session,
)

from openrouter_emulator import run_in_thread

PRESETS = ["visual-studio-code", "neovim", "emacs"]
GET = "openrouter/settings/get"
CHAT = "openrouter/chat"


async def eventually(check: Callable[[], Any], timeout: float = 10) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await check() if asyncio.iscoroutinefunction(check) else check()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.05)


def shown(session: LspSession) -> list[str]:
    return [m.message for m in session.client.messages]


@pytest.mark.parametrize("preset", PRESETS)
async def test_pulled_configuration_wins_over_initialization_options(
    home: Path, preset: str
) -> None:
    session = await start_session(
        home,
        server_env(home, OPENROUTER_API_KEY=TEST_KEY),
        capabilities=preset,
        initialization_options={
            "openrouter": {"modelId": "openai/gpt-4o", "routing": {"sort": "price"}}
        },
        configuration={"openrouter": {"routing": {"sort": "latency"}, "middleOutTransform": True}},
    )
    try:

        async def effective() -> Any:
            view = await session.call(GET, {})
            return view if view["routing"]["sort"] == "latency" else None

        view = await eventually(effective)
        assert view["modelId"] == "openai/gpt-4o"  # from initializationOptions
        assert view["middleOutTransform"] is True  # from the pulled section
        assert view["routing"]["dataPolicy"] == "default"
        # The overlay is for this session: nothing of it is persisted.
        on_disk = json.loads((home / "settings.json").read_text())
        assert "modelId" not in on_disk and "routing" not in on_disk

        session.client.set_configuration({"routing": {"sort": "throughput"}}, section="openrouter")
        session.client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings=None)
        )
        changed = await session.wait_notified("openrouter/settings/didChange", 2)
        assert changed[-1]["routing"]["sort"] == "throughput"
        assert changed[-1]["middleOutTransform"] is False  # no longer configured
        assert changed[-1]["modelId"] == "openai/gpt-4o"
    finally:
        await stop_session(session)


async def test_pushed_configuration_when_the_client_cannot_pull(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    capabilities = client_capabilities("neovim")
    assert capabilities.workspace is not None
    capabilities.workspace.configuration = False
    monkeypatch.setattr(lsp_support, "client_capabilities", lambda _name: capabilities)
    session = await start_session(home, server_env(home, OPENROUTER_API_KEY=TEST_KEY))
    try:
        session.client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"openrouter": {"promptCaching": False}})
        )
        changed = await session.wait_notified("openrouter/settings/didChange")
        assert changed[-1]["promptCaching"] is False
    finally:
        await stop_session(session)


@pytest.mark.parametrize("preset", PRESETS)
async def test_invalid_values_are_reported_and_skipped(home: Path, preset: str) -> None:
    session = await start_session(
        home,
        server_env(home),
        capabilities=preset,
        initialization_options="not an object",
        configuration={
            "openrouter": {
                "modelId": 42,
                "routing": {"sort": "fastest"},
                "promptCaching": False,
                "apiKey": TEST_KEY,
                "unknownField": True,
            }
        },
    )
    try:

        async def applied() -> Any:
            view = await session.call(GET, {})
            return view if view["promptCaching"] is False else None

        view = await eventually(applied)
        assert view["routing"]["sort"] == "default" and view["modelId"] != 42
        assert view["apiKey"]["isSet"] is False  # never taken from configuration
        messages = await eventually(lambda: len(shown(session)) >= 4 and shown(session))
        text = "\n".join(messages)
        assert "initializationOptions" in text
        assert "`modelId`" in text and "`routing.sort`" in text
        assert "`apiKey`" in text and "never read from editor" in text
        assert TEST_KEY not in text
    finally:
        await stop_session(session)


@pytest.mark.parametrize("preset", PRESETS)
async def test_workspace_configuration_cannot_send_the_key_elsewhere(
    home: Path, emulator: Any, preset: str
) -> None:
    with run_in_thread(api_keys=[TEST_KEY]) as other:
        redirect = {"useCustomBaseUrl": True, "customBaseUrl": other.base_url}
        session = await start_session(
            home,
            server_env(home, OPENROUTER_API_KEY=TEST_KEY),
            capabilities=preset,
            initialization_options={"openrouter": redirect},
            configuration={"openrouter": {**redirect, "modelId": "openai/gpt-4o"}},
        )
        try:

            async def applied() -> Any:
                view = await session.call(GET, {})
                return view if view["modelId"] == "openai/gpt-4o" else None

            view = await eventually(applied)
            assert view["effectiveBaseUrl"] == emulator.base_url
            for _ in range(2):  # a repeated change does not repeat the warning
                session.client.workspace_did_change_configuration(
                    types.DidChangeConfigurationParams(settings={"openrouter": redirect})
                )
            result = await session.call(CHAT, {"messages": [{"role": "user", "content": "hello"}]})
            assert result["content"]
            await session.call(
                "workspace/executeCommand",
                types.ExecuteCommandParams(command="openrouter.refreshModels"),
            )
            await asyncio.sleep(0.3)
            warnings = [m for m in shown(session) if "customBaseUrl" in m]
            assert len(warnings) == 1 and "ignored" in warnings[0]
        finally:
            await stop_session(session)
        assert other.requests() == []  # nothing, let alone the key, reached the other host
        chats = [r for r in emulator.requests() if r["path"].endswith("/chat/completions")]
        assert chats and chats[0]["headers"]["authorization"] == f"Bearer {TEST_KEY}"
