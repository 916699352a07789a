"""Saved conversations through the real server and the real emulator: `openrouter/chat` with a
`conversationId` owns the history (across restarts and across two servers sharing the state
folder), the `openrouter/conversations/*` methods, bad ids, a corrupt or locked database, and the
`chatHistory` setting."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from tests.support.chat import (
    CHAT,
    chat,
    chat_error,
    chat_requests,
    last_chat_request,
    new_token,
    streamed,
    update_settings,
    user,
    wait_for,
)
from tests.support.lsp import TEST_KEY, LspSession, server_env, start_session, stop_session

GPT = "openai/gpt-4o"
LIST = "openrouter/conversations/list"
GET = "openrouter/conversations/get"
RENAME = "openrouter/conversations/rename"
DELETE = "openrouter/conversations/delete"
TRUNCATE = "openrouter/conversations/truncate"
EXPORT = "openrouter/conversations/export"
CHANGED = "openrouter/conversations/didChange"
HISTORY_FILE = "history.sqlite3"


@contextlib.asynccontextmanager
async def server(home: Path) -> AsyncIterator[LspSession]:
    session = await start_session(home, server_env(home, OPENROUTER_API_KEY=TEST_KEY))
    try:
        yield session
    finally:
        await stop_session(session)


@pytest_asyncio.fixture(name="second")
async def second_fixture(home: Path) -> AsyncIterator[LspSession]:
    """Another server process on the same state folder: a second editor window."""
    async with server(home) as session:
        yield session


async def turn(lsp: LspSession, conversation_id: str, text: str, **params: Any) -> dict[str, Any]:
    params.setdefault("modelId", GPT)
    return await chat(lsp, messages=[user(text)], conversationId=conversation_id, **params)


async def get(lsp: LspSession, conversation_id: str) -> dict[str, Any]:
    result: dict[str, Any] = await lsp.call(GET, {"conversationId": conversation_id})
    return result["conversation"]


def sent_messages(emulator: Any) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = last_chat_request(emulator)["body"]["messages"]
    return messages


def invalid_paths(error: JsonRpcException) -> list[str]:
    assert error.code == -32602, (error.code, error.message)
    return [e["path"] for e in error.data["errors"]]  # type: ignore[index]


def history_error(error: JsonRpcException) -> str:
    assert error.code == -32603, (error.code, error.message)
    assert error.data["kind"] == "history"  # type: ignore[index]
    return str(error.data["message"])  # type: ignore[index]


async def wait_for_message(lsp: LspSession, text: str) -> str:
    for _ in range(200):
        for message in lsp.client.messages:
            if text in message.message:
                return message.message
        await asyncio.sleep(0.025)
    raise AssertionError(f"no message with {text!r}: {lsp.client.messages}")


# --- chat with a conversationId ----------------------------------------------------------------


async def test_history_survives_a_server_restart(home: Path, emulator: Any) -> None:
    async with server(home) as lsp:
        first = await turn(lsp, "conv-restart", "first question")
    assert first["conversationId"] == "conv-restart"
    async with server(home) as lsp:
        second = await turn(lsp, "conv-restart", "second question")
        conversation = await get(lsp, "conv-restart")
        listed = (await lsp.call(LIST))["conversations"]
    # Upstream got the stored turn, then the new message, and the same session id.
    assert sent_messages(emulator) == [
        user("first question"),
        {"role": "assistant", "content": first["content"]},
        user("second question"),
    ]
    assert last_chat_request(emulator)["body"]["session_id"] == "conv-restart"
    messages = conversation["messages"]
    assert [(m["role"], m["content"]) for m in messages] == [
        ("user", "first question"),
        ("assistant", first["content"]),
        ("user", "second question"),
        ("assistant", second["content"]),
    ]
    for message, result in ((messages[1], first), (messages[3], second)):
        assert message["model"] == result["model"] and message["provider"] == result["provider"]
        assert message["generationId"] == result["generationId"]
        assert message["usage"] == result["usage"] and message["usage"]["costUsd"] > 0
        assert message["finishReason"] == "stop"
        assert message["createdAt"].endswith("Z")
    assert messages[0]["model"] is None and messages[0]["usage"] is None
    totals = conversation["totals"]
    assert totals["promptTokens"] == first["usage"]["promptTokens"] + second["usage"][
        "promptTokens"]
    assert totals["completionTokens"] == first["usage"]["completionTokens"] + second["usage"][
        "completionTokens"]
    assert totals["costUsd"] == pytest.approx(
        first["usage"]["costUsd"] + second["usage"]["costUsd"])
    assert conversation["title"] == "first question" and conversation["messageCount"] == 4
    assert conversation["model"] == second["model"]
    assert listed == [{k: v for k, v in conversation.items() if k != "messages"}]


async def test_turns_of_one_conversation_run_one_after_the_other(
    lsp: LspSession, emulator: Any
) -> None:
    emulator.configure(tokens_per_second=400)
    first, second = await asyncio.gather(
        turn(lsp, "queue", "first, sent together"), turn(lsp, "queue", "second, sent together")
    )
    requests = chat_requests(emulator)
    assert [len(r["body"]["messages"]) for r in requests] == [1, 3]
    assert requests[1]["body"]["messages"][1] == {"role": "assistant", "content": first["content"]}
    messages = (await get(lsp, "queue"))["messages"]
    assert [m["content"] for m in messages] == [
        "first, sent together", first["content"], "second, sent together", second["content"]
    ]


async def test_without_a_conversation_id_nothing_is_stored(lsp: LspSession, emulator: Any) -> None:
    messages = [user("one"), {"role": "assistant", "content": "two"}, user("three")]
    result = await chat(lsp, messages=messages, modelId=GPT)
    assert result["conversationId"] is None
    assert sent_messages(emulator) == messages
    assert (await lsp.call(LIST)) == {"conversations": []}


async def test_list_is_newest_first_with_titles_from_the_first_user_message(
    lsp: LspSession,
) -> None:
    await chat(lsp, modelId=GPT, conversationId="a", messages=[
        {"role": "system", "content": "You are terse."}, user("  Explain\n  this   code  ")])
    await turn(lsp, "b", "word " * 40)
    await turn(lsp, "a", "and again")
    listed = (await lsp.call(LIST))["conversations"]
    assert [c["id"] for c in listed] == ["a", "b"]
    assert listed[0]["title"] == "Explain this code" and listed[0]["messageCount"] == 5
    assert len(listed[1]["title"]) == 80 and listed[1]["title"].endswith("…")
    assert listed[0]["updatedAt"] >= listed[1]["updatedAt"] >= listed[1]["createdAt"]


async def test_rename_delete_and_unknown_ids(lsp: LspSession) -> None:
    await turn(lsp, "keep", "kept")
    await turn(lsp, "gone", "deleted soon")
    renamed = await lsp.call(RENAME, {"conversationId": "keep", "title": "  My   title "})
    assert renamed["title"] == "My title" and renamed["id"] == "keep"
    await turn(lsp, "keep", "a later question")
    assert (await get(lsp, "keep"))["title"] == "My title"  # a rename is never overwritten
    assert await lsp.call(DELETE, {"conversationId": "gone"}) == {"deleted": True}
    assert await lsp.call(DELETE, {"conversationId": "gone"}) == {"deleted": False}
    assert [c["id"] for c in (await lsp.call(LIST))["conversations"]] == ["keep"]
    for method, params in (
        (GET, {"conversationId": "gone"}),
        (GET, {"conversationId": ""}),
        (GET, {"conversationId": "   "}),
        (GET, {}),
        (GET, {"conversationId": 42}),
        (GET, {"conversationId": "x" * 257}),
        (EXPORT, {"conversationId": "gone"}),
        (RENAME, {"conversationId": "gone", "title": "t"}),
        (TRUNCATE, {"conversationId": "gone", "keepMessages": 0}),
    ):
        error = await lsp.call_error(method, params)
        assert invalid_paths(error) == ["conversationId"], (method, params)
    error = await lsp.call_error(RENAME, {"conversationId": "keep", "title": "   "})
    assert invalid_paths(error) == ["title"]
    assert invalid_paths(await chat_error(lsp, conversationId=" ")) == ["conversationId"]


async def test_truncate_for_regenerate_and_edit_and_resend(
    lsp: LspSession, emulator: Any
) -> None:
    first = await turn(lsp, "t", "first question")
    await turn(lsp, "t", "second question")
    summary = await lsp.call(TRUNCATE, {"conversationId": "t", "keepMessages": 2})
    assert summary["messageCount"] == 2
    assert summary["totals"]["promptTokens"] == first["usage"]["promptTokens"]
    assert summary["totals"]["costUsd"] == pytest.approx(first["usage"]["costUsd"])
    await turn(lsp, "t", "second question, edited")
    assert sent_messages(emulator) == [
        user("first question"),
        {"role": "assistant", "content": first["content"]},
        user("second question, edited"),
    ]
    assert (await get(lsp, "t"))["messageCount"] == 4
    error = await lsp.call_error(TRUNCATE, {"conversationId": "t", "keepMessages": 5})
    assert invalid_paths(error) == ["keepMessages"]
    error = await lsp.call_error(TRUNCATE, {"conversationId": "t", "keepMessages": -1})
    assert invalid_paths(error) == ["keepMessages"]
    emptied = await lsp.call(TRUNCATE, {"conversationId": "t", "keepMessages": 0})
    assert emptied["messageCount"] == 0 and emptied["totals"]["costUsd"] == 0


async def test_export_as_markdown(lsp: LspSession) -> None:
    first = await turn(lsp, "md", "How do I sort a list?")
    markdown = (await lsp.call(EXPORT, {"conversationId": "md"}))["markdown"]
    lines = markdown.splitlines()
    assert lines[0] == "# How do I sort a list?"
    assert "## User" in lines
    heading = next(line for line in lines if line.startswith("## Assistant"))
    assert f"`{first['model']}`" in heading and "$0.0" in heading
    assert first["content"] in markdown
    assert markdown.index("## User") < markdown.index("## Assistant")


async def test_a_failed_chat_appends_nothing(lsp: LspSession, emulator: Any) -> None:
    await turn(lsp, "f", "works")
    emulator.add_fault(route="/chat/completions", status=500)
    error = await chat_error(lsp, modelId=GPT, conversationId="f", messages=[user("fails")])
    assert error.code == -32001
    assert (await get(lsp, "f"))["messageCount"] == 2
    await turn(lsp, "f", "fails")  # the client sends the same message again
    assert [m["content"] for m in (await get(lsp, "f"))["messages"]][::2] == ["works", "fails"]


async def stop_part_way(lsp: LspSession, conversation_id: str, text: str) -> str:
    """Start a slow answer in the conversation, stop it ($/cancelRequest) once text streamed;
    the text streamed before the stop."""
    token = new_token()
    params = {"messages": [user(text)], "modelId": GPT, "conversationId": conversation_id,
              "partialResultToken": token, "maxTokens": 400}
    request_id = f"stop-{conversation_id}"
    pending = asyncio.ensure_future(
        lsp.client.protocol.send_request_async(CHAT, params, msg_id=request_id)
    )
    await wait_for(lambda: len(streamed(lsp, token)) > 20, timeout=10)
    lsp.client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=request_id))
    with pytest.raises(JsonRpcException):
        await asyncio.wait_for(pending, 10)
    return streamed(lsp, token)


def generation_polls(emulator: Any) -> list[dict[str, Any]]:
    return [r for r in emulator.requests() if r["path"].endswith("/generation")]


async def test_a_stopped_answer_keeps_its_text(lsp: LspSession, emulator: Any) -> None:
    emulator.configure(tokens_per_second=40, chunk_tokens=1)
    text = await stop_part_way(lsp, "stop", "a slow answer")
    conversation = await get(lsp, "stop")
    question, answer = conversation["messages"]
    assert question["content"] == "a slow answer"
    assert answer["role"] == "assistant" and answer["finishReason"] == "cancelled"
    assert answer["content"].startswith(text)
    assert answer["content"].startswith("[emulator]")
    emulator.configure(tokens_per_second=0)
    await turn(lsp, "stop", "go on")
    assert sent_messages(emulator)[1] == {"role": "assistant", "content": answer["content"]}


async def test_a_stopped_answer_gets_its_cost_from_generation(
    lsp: LspSession, emulator: Any
) -> None:
    # OpenRouter bills a stopped stream; /generation shows it after answering 404 for a while.
    emulator.configure(tokens_per_second=40, chunk_tokens=1, generation_delay_seconds=0.6)
    await stop_part_way(lsp, "priced", "a slow answer to stop")
    stored_at_once = (await get(lsp, "priced"))["messages"][1]
    assert stored_at_once["finishReason"] == "cancelled" and stored_at_once["usage"] is None
    generation_id = stored_at_once["generationId"]
    assert generation_id == last_chat_request(emulator)["generationId"]

    assert await lsp.wait_notified(CHANGED, timeout=10) == [{"conversationId": "priced"}]
    conversation = await get(lsp, "priced")
    answer = conversation["messages"][1]
    record = emulator.state.generation(generation_id)
    assert record["cancelled"] is True and 0 < record["tokens_completion"] < 400
    usage = answer["usage"]
    assert usage["costUsd"] == record["total_cost"] > 0
    assert usage["completionTokens"] == record["tokens_completion"]
    assert usage["promptTokens"] == record["tokens_prompt"] > 0
    assert (answer["model"], answer["provider"]) == (record["model"], record["provider_name"])
    assert answer["content"] == stored_at_once["content"]  # only what it cost was added
    totals = conversation["totals"]
    assert totals["costUsd"] == pytest.approx(usage["costUsd"])
    assert totals["completionTokens"] == usage["completionTokens"]
    polls = generation_polls(emulator)
    assert len(polls) >= 2 and polls[-1]["status"] == 200  # 404 first, as the real service
    assert all(p["status"] == 404 for p in polls[:-1])
    # The next turn is priced from its own stream; the total adds both.
    emulator.configure(tokens_per_second=0)
    second = await turn(lsp, "priced", "go on")
    total = (await get(lsp, "priced"))["totals"]["costUsd"]
    assert total == pytest.approx(usage["costUsd"] + second["usage"]["costUsd"])
    assert len(lsp.notified(CHANGED)) == 1  # a finished answer is priced in its result


async def test_a_stopped_answers_cost_is_waited_for_within_its_bound(
    lsp: LspSession, emulator: Any
) -> None:
    # /generation still 404 when the bound (OPENROUTER_LSP_GENERATION_WAIT_S=1.5 here) ends.
    emulator.configure(tokens_per_second=40, chunk_tokens=1, generation_delay_seconds=60)
    await stop_part_way(lsp, "unpriced", "a slow answer to stop")
    await wait_for(lambda: len(generation_polls(emulator)) >= 3, timeout=10)
    await asyncio.sleep(2.5)  # past the bound: the polling has ended
    polls = len(generation_polls(emulator))
    await asyncio.sleep(0.5)
    assert len(generation_polls(emulator)) == polls
    assert all(p["status"] == 404 for p in generation_polls(emulator))
    answer = (await get(lsp, "unpriced"))["messages"][1]
    assert answer["usage"] is None and answer["generationId"]
    assert lsp.notified(CHANGED) == []


async def test_a_stopped_answer_cut_before_its_cost_arrives_stays_cut(
    lsp: LspSession, emulator: Any
) -> None:
    emulator.configure(tokens_per_second=40, chunk_tokens=1, generation_delay_seconds=0.6)
    await stop_part_way(lsp, "regenerated", "a slow answer to stop")
    await lsp.call(TRUNCATE, {"conversationId": "regenerated", "keepMessages": 1})  # regenerate
    await wait_for(lambda: any(p["status"] == 200 for p in generation_polls(emulator)), timeout=10)
    await asyncio.sleep(0.3)
    conversation = await get(lsp, "regenerated")
    assert conversation["messageCount"] == 1 and conversation["totals"]["costUsd"] == 0
    assert lsp.notified(CHANGED) == []


async def test_an_openai_compatible_server_is_not_asked_for_a_stopped_answers_cost(
    lsp: LspSession, emulator: Any
) -> None:
    emulator.configure(tokens_per_second=40, chunk_tokens=1, generation_delay_seconds=0)
    await update_settings(lsp, provider="openai-compatible")
    await stop_part_way(lsp, "compatible", "a slow answer to stop")
    await asyncio.sleep(1.0)
    assert generation_polls(emulator) == [] and lsp.notified(CHANGED) == []
    assert (await get(lsp, "compatible"))["messages"][1]["usage"] is None


# --- two windows, damage, locks, the setting ------------------------------------------------------


async def test_two_servers_share_the_history(
    lsp: LspSession, second: LspSession, emulator: Any, home: Path
) -> None:
    await asyncio.gather(*(
        turn(session, f"{name}-{i}", f"question {i} from {name}")
        for i in range(4)
        for name, session in (("one", lsp), ("two", second))
    ))
    first = await turn(lsp, "shared", "asked in window one")
    await turn(second, "shared", "asked in window two")
    assert sent_messages(emulator)[:2] == [
        user("asked in window one"), {"role": "assistant", "content": first["content"]}
    ]
    for session in (lsp, second):
        listed = (await session.call(LIST))["conversations"]
        assert len(listed) == 9 and listed[0]["id"] == "shared"
        assert (await get(session, "shared"))["messageCount"] == 4
    with contextlib.closing(sqlite3.connect(home / HISTORY_FILE)) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert db.execute("SELECT version FROM schema_version").fetchall() == [(1,)]
    assert (home / HISTORY_FILE).stat().st_mode & 0o777 == 0o600


@contextlib.contextmanager
def write_lock(path: Path) -> Iterator[None]:
    """Another process holding the database's write lock."""
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield
        other.execute("ROLLBACK")
    finally:
        other.close()


async def test_a_locked_database_fails_writes_clearly_and_reads_go_on(
    lsp: LspSession, home: Path
) -> None:
    await turn(lsp, "locked", "before the lock")
    with write_lock(home / HISTORY_FILE):
        message = history_error(
            await lsp.call_error(RENAME, {"conversationId": "locked", "title": "new"})
        )
        assert "locked by another process" in message and HISTORY_FILE in message
        assert (await get(lsp, "locked"))["messageCount"] == 2  # WAL: readers never wait
        answered = await turn(lsp, "locked", "asked while locked")  # answered, not saved
        assert answered["content"] and answered["conversationId"] == "locked"
        assert "locked by another process" in await wait_for_message(lsp, "was not saved")
    assert (await get(lsp, "locked"))["messageCount"] == 2
    renamed = await lsp.call(RENAME, {"conversationId": "locked", "title": "new"})
    assert renamed["title"] == "new"


async def test_a_corrupt_database_is_moved_aside_and_a_new_one_started(home: Path) -> None:
    (home / HISTORY_FILE).write_bytes(b"this is not a database " * 100)
    async with server(home) as lsp:
        assert (await lsp.call(LIST)) == {"conversations": []}
        warning = await wait_for_message(lsp, "moved to")
        await turn(lsp, "fresh", "after the damage")
        assert [c["id"] for c in (await lsp.call(LIST))["conversations"]] == ["fresh"]
    aside = list(home.glob(f"{HISTORY_FILE}.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes().startswith(b"this is not a database")
    assert str(aside[0]) in warning
    async with server(home) as lsp:
        assert (await get(lsp, "fresh"))["messageCount"] == 2


async def test_a_damaged_message_loses_no_other_conversation(
    lsp: LspSession, home: Path
) -> None:
    await turn(lsp, "damaged", "this one breaks")
    await turn(lsp, "intact", "this one is fine")
    with contextlib.closing(sqlite3.connect(home / HISTORY_FILE, isolation_level=None)) as db:
        db.execute("UPDATE messages SET message = '{not json' WHERE conversation_id = 'damaged'"
                   " AND position = 0")
    message = history_error(await lsp.call_error(GET, {"conversationId": "damaged"}))
    assert "'damaged'" in message
    assert len((await lsp.call(LIST))["conversations"]) == 2
    assert (await get(lsp, "intact"))["messageCount"] == 2
    assert await lsp.call(DELETE, {"conversationId": "damaged"}) == {"deleted": True}


async def test_chat_history_off_keeps_conversations_in_memory_only(
    home: Path, emulator: Any
) -> None:
    async with server(home) as lsp:
        error = await lsp.call_error(
            "openrouter/settings/update", {"patch": {"chatHistory": "no"}})
        assert invalid_paths(error) == ["chatHistory"]
        await update_settings(lsp, chatHistory=False)
        assert (await lsp.call("openrouter/settings/get"))["chatHistory"] is False
        first = await turn(lsp, "mem", "remember me")
        await turn(lsp, "mem", "still there?")
        assert sent_messages(emulator)[:2] == [
            user("remember me"), {"role": "assistant", "content": first["content"]}
        ]
        assert [c["id"] for c in (await lsp.call(LIST))["conversations"]] == ["mem"]
    assert not (home / HISTORY_FILE).exists()
    async with server(home) as lsp:
        assert (await lsp.call(LIST)) == {"conversations": []}
        await update_settings(lsp, chatHistory=True)
        await turn(lsp, "disk", "saved")
        assert [c["id"] for c in (await lsp.call(LIST))["conversations"]] == ["disk"]
    assert (home / HISTORY_FILE).exists()
    assert len(chat_requests(emulator)) == 3


async def test_a_history_from_a_newer_server_is_left_alone(home: Path) -> None:
    with contextlib.closing(sqlite3.connect(home / HISTORY_FILE, isolation_level=None)) as db:
        db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        db.execute("INSERT INTO schema_version VALUES (999)")
    before = (home / HISTORY_FILE).read_bytes()
    async with server(home) as lsp:
        message = history_error(await lsp.call_error(LIST))
        assert "schema version 999" in message and "update this server" in message
        error = await chat_error(lsp, modelId=GPT, conversationId="new")
        assert "schema version 999" in history_error(error)
    assert (home / HISTORY_FILE).read_bytes() == before
    assert not list(home.glob(f"{HISTORY_FILE}.corrupt-*"))
