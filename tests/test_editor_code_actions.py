"""Code actions on a selection: offered kinds, explain (answer shown), comment/rewrite applied with
workspace/applyEdit, and no edit when the document changed meanwhile."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from tests.support.commands import error_paths, run, run_error
from tests.support.lsp import TEST_KEY, LspSession, server_env, start_session, stop_session

PRESETS = ["visual-studio-code", "neovim", "emacs"]
URI = "file:///tmp/openrouter-sample.py"
SOURCE = "def add(a, b):\n    return a + b\n\nprint(add(1, 2))\n"
SELECTION = types.Range(start=types.Position(line=0, character=0), end=types.Position(2, 0))


@pytest.fixture(params=PRESETS)
async def session(request: pytest.FixtureRequest, home: Path) -> Any:
    session = await start_session(
        home, server_env(home, OPENROUTER_API_KEY=TEST_KEY), capabilities=request.param
    )
    session.client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=URI, language_id="python", version=1, text=SOURCE
            )
        )
    )
    yield session
    await stop_session(session)


def record_edits(session: LspSession) -> list[types.ApplyWorkspaceEditParams]:
    edits: list[types.ApplyWorkspaceEditParams] = []

    @session.client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        edits.append(params)
        return types.ApplyWorkspaceEditResult(applied=True)

    return edits


async def actions(session: LspSession, rng: types.Range, only: list[str] | None = None) -> Any:
    """The raw JSON result (the test client's converter mistakes these CodeActions for Commands)."""
    params = types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=URI),
        range=rng,
        context=types.CodeActionContext(diagnostics=[], only=only),
    )
    protocol = session.client.protocol
    msg_id = f"actions-{uuid.uuid4().hex}"
    future = protocol.send_request(types.TEXT_DOCUMENT_CODE_ACTION, params, msg_id=msg_id)
    protocol._result_types[msg_id] = None  # keep the result as JSON
    return await asyncio.wait_for(asyncio.wrap_future(future), 10)


async def test_actions_are_offered_on_a_selection_only(session: LspSession) -> None:
    empty = types.Range(start=types.Position(1, 4), end=types.Position(1, 4))
    assert not await actions(session, empty)
    offered = await actions(session, SELECTION)
    assert [a["title"] for a in offered] == [
        "OpenRouter: Explain selection",
        "OpenRouter: Add comments to selection",
        "OpenRouter: Rewrite selection",
    ]
    rewrites = await actions(session, SELECTION, only=["refactor.rewrite"])
    assert [a["command"]["arguments"][0]["mode"] for a in rewrites] == ["comment", "rewrite"]
    assert [a["kind"] for a in offered] == [
        "refactor.openrouter.explain",
        "refactor.rewrite.openrouter.comment",
        "refactor.rewrite.openrouter.rewrite",
    ]


async def test_explain_shows_the_answer(session: LspSession, emulator: Any) -> None:
    explain = (await actions(session, SELECTION))[0]
    result = await run(session, explain["command"]["command"], *explain["command"]["arguments"])
    assert result["content"]
    chats = [r for r in emulator.requests() if r["path"].endswith("/completions")]
    prompt = chats[-1]["body"]["messages"][-1]["content"]
    prompt_text = prompt if isinstance(prompt, str) else prompt[0]["text"]
    assert "def add(a, b):\n    return a + b\n" in prompt_text
    assert "openrouter-sample.py" in prompt_text


async def test_comment_replaces_the_selection(session: LspSession) -> None:
    edits = record_edits(session)
    comment = (await actions(session, SELECTION))[1]
    result = await run(session, comment["command"]["command"], *comment["command"]["arguments"])
    assert result["applied"] is True
    assert len(edits) == 1
    edit = edits[0].edit
    if edit.document_changes:
        change = edit.document_changes[0]
        assert change.text_document.uri == URI and change.text_document.version == 1
        text_edits = change.edits
    else:
        assert edit.changes is not None
        text_edits = edit.changes[URI]
    assert text_edits[0].range == SELECTION
    assert text_edits[0].new_text.strip() and text_edits[0].new_text.endswith("\n")
    assert "```" not in text_edits[0].new_text


async def test_no_edit_when_the_document_changed_meanwhile(
    session: LspSession, emulator: Any
) -> None:
    emulator.configure(tokens_per_second=40)
    edits = record_edits(session)
    rewrite = (await actions(session, SELECTION))[2]
    task = asyncio.ensure_future(
        run(session, rewrite["command"]["command"], *rewrite["command"]["arguments"])
    )
    await asyncio.sleep(0.5)
    session.client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=URI, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text="x = 1\n")],
        )
    )
    result = await task
    assert result["applied"] is False and "changed" in result["failureReason"]
    assert edits == []


async def test_bad_selection_arguments(session: LspSession) -> None:
    error = await run_error(session, "openrouter.rewriteSelection", {"uri": URI})
    assert error_paths(error) == ["arguments[0].range"]
    error = await run_error(
        session,
        "openrouter.explainSelection",
        {
            "uri": "file:///not/open.py",
            "range": {"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 0}},
        },
    )
    assert error_paths(error) == ["arguments[0].uri"]
    error = await run_error(
        session,
        "openrouter.rewriteSelection",
        {
            "uri": URI,
            "mode": "shout",
            "range": {"start": {"line": 0, "character": 0}, "end": {"line": -1, "character": 0}},
        },
    )
    assert isinstance(error, JsonRpcException)
    assert "arguments[0].mode" in error_paths(error)
