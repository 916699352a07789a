"""workspace/executeCommand: set the key, choose a model, refresh models, ask (with progress,
shown as a document or a message), cancel, settings; arguments errors name `arguments[i]`."""

from __future__ import annotations

import asyncio
import sys
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig, client_capabilities
from tests.support.commands import error_paths, run, run_error
from tests.support.lsp import TEST_KEY, LspSession, server_env, start_session, stop_session

PRESETS = ["visual-studio-code", "neovim", "emacs"]
COMMANDS = {
    "openrouter.setApiKey",
    "openrouter.clearApiKey",
    "openrouter.chooseModel",
    "openrouter.refreshModels",
    "openrouter.ask",
    "openrouter.showSettings",
    "openrouter.updateSettings",
    "openrouter.signIn",
    "openrouter.chooseEffort",
    "openrouter.explainSelection",
    "openrouter.rewriteSelection",
    "openrouter.listConversations",
    "openrouter.getConversation",
    "openrouter.renameConversation",
    "openrouter.deleteConversation",
    "openrouter.truncateConversation",
    "openrouter.exportConversation",
}


@pytest.fixture(params=PRESETS)
async def session(request: pytest.FixtureRequest, home: Path) -> Any:
    session = await start_session(home, server_env(home), capabilities=request.param)
    yield session
    await stop_session(session)


@pytest.mark.parametrize("preset", PRESETS)
async def test_capabilities_advertise_commands_code_actions_and_sync(
    home: Path, preset: str
) -> None:
    config = ClientServerConfig(
        server_command=[sys.executable, "-m", "openrouter_lsp"], server_env=server_env(home)
    )
    client = await config.start()
    try:
        result = await client.initialize_session(
            types.InitializeParams(capabilities=client_capabilities(preset))
        )
    finally:
        await client.shutdown_session()
        await client.stop()
    capabilities = result.capabilities
    assert capabilities.execute_command_provider is not None
    assert set(capabilities.execute_command_provider.commands) == COMMANDS
    actions = capabilities.code_action_provider
    assert isinstance(actions, types.CodeActionOptions)
    assert "refactor.rewrite" in (actions.code_action_kinds or [])
    sync = capabilities.text_document_sync
    assert isinstance(sync, types.TextDocumentSyncOptions)
    assert sync.open_close and sync.change == types.TextDocumentSyncKind.Incremental


async def test_set_key_then_settings_then_clear(session: LspSession) -> None:
    status = await run(session, "openrouter.setApiKey", TEST_KEY)
    assert status == {
        "isSet": True, "hint": "sk-or-v1-…1c96", "source": "file", "verdict": None,
        "verdictMessage": None,
    }
    changes = await session.wait_notified("openrouter/settings/didChange")
    assert changes[-1]["apiKey"]["isSet"] is True
    view = await run(session, "openrouter.showSettings")
    assert view["apiKey"]["hint"] == "sk-or-v1-…1c96"
    texts = [m.message for m in session.client.messages]
    assert any("API key saved" in t for t in texts)
    assert any("sk-or-v1-…1c96" in t and view["modelId"] in t for t in texts)
    assert all(TEST_KEY not in t for t in texts)
    cleared = await run(session, "openrouter.clearApiKey")
    assert cleared["isSet"] is False


async def test_invalid_arguments_name_the_argument(session: LspSession) -> None:
    assert error_paths(await run_error(session, "openrouter.setApiKey")) == ["arguments[0]"]
    assert error_paths(await run_error(session, "openrouter.setApiKey", 42)) == ["arguments[0]"]
    bad_key = await run_error(session, "openrouter.setApiKey", "sk or v1")
    assert error_paths(bad_key) == ["arguments[0]"] and "sk or v1" not in str(bad_key.data)
    assert error_paths(await run_error(session, "openrouter.ask", "")) == ["arguments[0]"]
    assert error_paths(await run_error(session, "openrouter.updateSettings", "x")) == [
        "arguments[0]"
    ]
    sort = await run_error(session, "openrouter.updateSettings", {"routing": {"sort": "fast"}})
    assert error_paths(sort) == ["arguments[0].routing.sort"]
    assert error_paths(await run_error(session, "openrouter.noSuchCommand")) == ["command"]


async def test_choose_model_and_refresh_models_with_progress(session: LspSession) -> None:
    await run(session, "openrouter.setApiKey", TEST_KEY)
    refreshed = await run(session, "openrouter.refreshModels")
    assert refreshed["count"] > 300 and refreshed["stale"] is False
    assert "openai/gpt-4o" in refreshed["modelIds"]
    view = await run(session, "openrouter.chooseModel", "openai/gpt-4o")
    assert view["modelId"] == "openai/gpt-4o"
    unknown = await run_error(session, "openrouter.chooseModel", "nobody/no-such-model")
    assert error_paths(unknown) == ["arguments[0]"]
    reports = session.client.progress_reports
    assert [[v["kind"] for v in values] for values in reports.values()] == [["begin", "end"]]


async def test_choose_model_without_argument_asks_the_user(session: LspSession) -> None:
    asked: list[types.ShowMessageRequestParams] = []

    @session.client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
    def pick(params: types.ShowMessageRequestParams) -> types.MessageActionItem:
        asked.append(params)
        return types.MessageActionItem(title="openai/gpt-4o")

    supported = session.client.capabilities.window.show_message is not None  # type: ignore[union-attr]
    if not supported:  # the emacs preset: the argument is required
        assert error_paths(await run_error(session, "openrouter.chooseModel")) == ["arguments[0]"]
        return
    view = await run(session, "openrouter.chooseModel")
    assert view["modelId"] == "openai/gpt-4o"
    titles = [a.title for a in asked[0].actions or []]
    assert "openai/gpt-4o" in titles and len(titles) <= 8


def can_ask(session: LspSession) -> bool:
    return session.client.capabilities.window.show_message is not None  # type: ignore[union-attr]


def offer(session: LspSession, pick: Any) -> list[list[str]]:
    """Answer window/showMessageRequest with `pick(titles)`; the titles offered, per request."""
    offered: list[list[str]] = []

    @session.client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
    def answer(params: types.ShowMessageRequestParams) -> types.MessageActionItem | None:
        titles = [a.title for a in params.actions or []]
        offered.append(titles)
        title = pick(titles)
        return None if title is None else types.MessageActionItem(title=title)

    return offered


async def reasoning_model(session: LspSession) -> dict[str, Any]:
    listed = await session.call("openrouter/models/list", {"reasoning": True})
    return next(m for m in listed["models"] if len(m["supportedEfforts"]) >= 2)


async def test_choose_model_among_filtered_models(session: LspSession) -> None:
    """Helix and other clients without custom requests choose with models/list's filters."""
    await run(session, "openrouter.setApiKey", TEST_KEY)
    listed = await session.call("openrouter/models/list", {"free": True, "tools": True})
    free_with_tools = [m["id"] for m in listed["models"]]
    assert free_with_tools
    offered = offer(session, lambda titles: titles[-1])
    view = await run(session, "openrouter.chooseModel", {"free": True, "tools": True})
    if can_ask(session):
        assert offered == [free_with_tools[:8]]
        assert view["modelId"] == free_with_tools[:8][-1]
    else:  # told the matches, nothing changed
        assert offered == [] and view["modelId"] != free_with_tools[-1]
        told = [m.message for m in session.client.messages if "models match" in m.message]
        assert told and free_with_tools[0] in told[-1]
        assert f"{len(free_with_tools)} models match" in told[-1]
    bad = await run_error(session, "openrouter.chooseModel", {"free": "yes", "sort": "best"})
    assert sorted(error_paths(bad)) == ["arguments[0].free", "arguments[0].sort"]
    await run(session, "openrouter.chooseModel", {"query": "no-such-model-anywhere"})
    assert "no model matches" in session.client.messages[-1].message


async def test_choose_effort_among_the_models_efforts(session: LspSession) -> None:
    await run(session, "openrouter.setApiKey", TEST_KEY)
    model = await reasoning_model(session)
    await run(session, "openrouter.chooseModel", model["id"])
    offered = offer(session, lambda titles: titles[-1])
    view = await run(session, "openrouter.chooseEffort")
    choices = ["default", *model["supportedEfforts"]]
    if can_ask(session):
        assert offered == [choices[:8]]
        assert view["reasoningEffort"] == choices[:8][-1]
    else:
        assert offered == [] and view["reasoningEffort"] == "default"
        assert ", ".join(choices) in session.client.messages[-1].message
    view = await run(session, "openrouter.chooseEffort", model["supportedEfforts"][0])
    assert view["reasoningEffort"] == model["supportedEfforts"][0]
    assert error_paths(await run_error(session, "openrouter.chooseEffort", "extreme")) == [
        "arguments[0]"
    ]
    await run(session, "openrouter.updateSettings", {"reasoningEffort": "default"})
    await run(session, "openrouter.chooseModel", "openai/gpt-4o")
    view = await run(session, "openrouter.chooseEffort")
    assert view["reasoningEffort"] == "default" and len(offered) == (1 if can_ask(session) else 0)
    assert "does not reason" in session.client.messages[-1].message


async def test_ask_streams_progress_and_shows_the_answer(session: LspSession) -> None:
    await run(session, "openrouter.setApiKey", TEST_KEY)
    result = await run(session, "openrouter.ask", "What is a monad?")
    assert result["content"] and result["uri"].startswith("file://")
    path = Path(urlsplit(result["uri"]).path)
    assert path.read_text().startswith("# OpenRouter: What is a monad?")
    assert result["content"] in path.read_text()
    assert path.stat().st_mode & 0o077 == 0
    if session.client.capabilities.window.show_document:  # type: ignore[union-attr]
        assert [d.uri for d in session.client.shown_documents] == [result["uri"]]
    else:
        assert any(result["content"][:40] in m.message for m in session.client.messages)
    values = next(iter(session.client.progress_reports.values()))
    assert values[0]["kind"] == "begin" and values[0]["cancellable"] is True
    assert any("characters" in v.get("message", "") for v in values)
    assert values[-1] == {"kind": "end", "message": "Done"}


@pytest.mark.parametrize("how", ["cancelRequest", "workDoneProgressCancel"])
async def test_cancel_an_ask_closes_the_upstream_stream(
    home: Path, emulator: Any, how: str
) -> None:
    emulator.configure(tokens_per_second=20)
    session = await start_session(home, server_env(home, OPENROUTER_API_KEY=TEST_KEY))
    try:
        msg_id = f"ask-{uuid.uuid4().hex}"
        task = asyncio.ensure_future(
            run(session, "openrouter.ask", "Write a long essay.", msg_id=msg_id)
        )
        reports = session.client.progress_reports

        def streaming() -> bool:
            return any(len(values) >= 3 for values in reports.values())

        for _ in range(200):
            if streaming():
                break
            await asyncio.sleep(0.05)
        assert streaming()
        token = next(iter(reports))
        if how == "cancelRequest":
            session.client.protocol.notify("$/cancelRequest", types.CancelParams(id=msg_id))
        else:
            session.client.window_work_done_progress_cancel(
                types.WorkDoneProgressCancelParams(token=token)
            )
        with pytest.raises(JsonRpcException) as info:
            await task
        assert info.value.code == -32800
        for _ in range(100):
            chats = [r for r in emulator.requests() if r["path"].endswith("/chat/completions")]
            if chats and chats[0]["disconnected"]:
                break
            await asyncio.sleep(0.05)
        assert chats[0]["disconnected"] is True
        for _ in range(50):
            if reports[token][-1]["kind"] == "end":
                break
            await asyncio.sleep(0.05)
        assert reports[token][-1] == {"kind": "end", "message": "Cancelled"}
    finally:
        await stop_session(session)
