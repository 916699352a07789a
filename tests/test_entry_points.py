"""The same operation through its custom method and through its `workspace/executeCommand`
command gives the same result, or the same error kind at the same path (a command's paths are
under `arguments[0]`): both are adapters over one core.

Each case runs twice, each time on a fresh server and state folder with the same start, and
optionally with a change "another window" wrote to the state folder just before the call.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from tests.support.lsp import TEST_KEY, LspSession, server_env, start_session, stop_session
from tests.support.views import as_state

from openrouter_lsp.history.store import ConversationStore
from openrouter_lsp.protocol import ChatUsage, StoredMessage

KEY = "sk-or-v1-entry-points-test-key-77aa"


@attrs.define
class Case:
    name: str
    method: str
    params: Any
    command: str
    arguments: list[Any]
    # How a command's error path reads as the method's (`arguments[0].x` -> `x`).
    path_map: Callable[[str], str] = lambda path: path.removeprefix("arguments[0]").lstrip(".")
    # A change another server process writes to the state folder right before the call.
    other_window: dict[str, Any] | None = None
    # The part of the result both entry points must agree on.
    compare: Callable[[Any], Any] = lambda result: result
    succeeds: bool = True  # or fails with -32602 (every failing case here is invalid input)
    # Prepares the state folder both runs start from (a saved conversation).
    seed: Callable[[Path], None] | None = None


def as_argument(name: str) -> Callable[[str], str]:
    """A command whose argument is the value of the method's field `name`."""
    return lambda path: name if path == "arguments[0]" else path


def update(patch: Any, **extra: Any) -> Case:
    return Case(
        f"update {json.dumps(patch)[:60]}",
        "openrouter/settings/update",
        {"patch": patch},
        "openrouter.updateSettings",
        [patch],
        **extra,
    )


def seed_conversation(home: Path) -> None:
    """A saved conversation of two messages, written the way a server writes it."""
    store = ConversationStore(home / "history.sqlite3")
    try:
        store.append("saved", [
            StoredMessage(role="user", content="What is a monad?"),
            StoredMessage(role="assistant", content="A burrito.", model="openai/gpt-4o",
                          usage=ChatUsage(prompt_tokens=9, completion_tokens=3, cost_usd=0.0001)),
        ])
    finally:
        store.close()


def conversation_case(
    name: str, method: str, params: Any, command: str, arguments: list[Any], **extra: Any
) -> Case:
    # A rename or truncate stamps the time it ran: the two runs differ only in that.
    def without_times(result: Any) -> Any:
        if isinstance(result, dict):
            return {k: without_times(v) for k, v in result.items() if k != "updatedAt"}
        return result

    return Case(name, method, params, command, arguments, seed=seed_conversation,
                compare=without_times, **extra)


SAVED = {"conversationId": "saved"}
UNKNOWN = {"conversationId": "nobody-knows-it"}

CASES = [
    update({"routing": {"sort": "price"}}),
    update({"routing": {"sort": "cheapest"}}, succeeds=False),
    update({"middleOutTransform": "yes", "routing": {"dataPolicy": "never"}}, succeeds=False),
    update({"provider": "openai-compatible", "modelId": "local/my-model-7b"}),
    update({"modelId": "nobody/no-such-model"}, succeeds=False),
    update({"modelId": "openai/gpt-4o", "routing": {"provider": "azure"}}),
    update({"modelId": "has spaces"}, succeeds=False),
    update({"useCustomBaseUrl": True, "customBaseUrl": "ftp://example.com"}, succeeds=False),
    update({"promptCaching": False}, other_window={"routing": {"sort": "latency"}}),
    Case(
        "choose a model",
        "openrouter/settings/update",
        {"patch": {"modelId": "openai/gpt-4o-mini"}},
        "openrouter.chooseModel",
        ["openai/gpt-4o-mini"],
        path_map=as_argument("modelId"),
    ),
    Case(
        "choose an unknown model",
        "openrouter/settings/update",
        {"patch": {"modelId": "nobody/nothing"}},
        "openrouter.chooseModel",
        ["nobody/nothing"],
        path_map=as_argument("modelId"),
        succeeds=False,
    ),
    Case(
        "choose a model after another window switched provider",
        "openrouter/settings/update",
        {"patch": {"modelId": "local/my-model-7b"}},
        "openrouter.chooseModel",
        ["local/my-model-7b"],
        path_map=as_argument("modelId"),
        other_window={"provider": "openai-compatible"},
    ),
    Case("set the key", "openrouter/apiKey/set", {"apiKey": KEY}, "openrouter.setApiKey", [KEY]),
    *(
        Case(
            f"set the key to {bad!r}",
            "openrouter/apiKey/set",
            {"apiKey": bad},
            "openrouter.setApiKey",
            [bad],
            path_map=as_argument("apiKey"),
            succeeds=False,
        )
        for bad in ("", "   ", "sk-or with spaces", "k" * 1025)
    ),
    Case("clear the key", "openrouter/apiKey/clear", {}, "openrouter.clearApiKey", []),
    Case(
        "read the settings after another window changed them",
        "openrouter/settings/get",
        {},
        "openrouter.showSettings",
        [],
        other_window={"routing": {"sort": "throughput"}, "promptCaching": False},
    ),
    Case(
        "refresh the models",
        "openrouter/models/list",
        {"refresh": True},
        "openrouter.refreshModels",
        [],
        compare=lambda result: sorted(
            m["id"] for m in result["models"]) if "models" in result else sorted(
            result["modelIds"]),
    ),
    conversation_case("list conversations", "openrouter/conversations/list", {},
                      "openrouter.listConversations", []),
    conversation_case("get a conversation", "openrouter/conversations/get", SAVED,
                      "openrouter.getConversation", [SAVED]),
    conversation_case("get a conversation by its id alone", "openrouter/conversations/get",
                      SAVED, "openrouter.getConversation", ["saved"]),
    conversation_case("get an unknown conversation", "openrouter/conversations/get", UNKNOWN,
                      "openrouter.getConversation", [UNKNOWN], succeeds=False),
    conversation_case("get an unknown conversation by its id", "openrouter/conversations/get",
                      UNKNOWN, "openrouter.getConversation", ["nobody-knows-it"],
                      path_map=as_argument("conversationId"), succeeds=False),
    conversation_case("get without an id", "openrouter/conversations/get", {},
                      "openrouter.getConversation", [{}], succeeds=False),
    conversation_case("rename a conversation", "openrouter/conversations/rename",
                      {**SAVED, "title": "Monads"}, "openrouter.renameConversation",
                      [{**SAVED, "title": "Monads"}]),
    conversation_case("rename to a blank title", "openrouter/conversations/rename",
                      {**SAVED, "title": "  "}, "openrouter.renameConversation",
                      [{**SAVED, "title": "  "}], succeeds=False),
    conversation_case("delete a conversation", "openrouter/conversations/delete", SAVED,
                      "openrouter.deleteConversation", ["saved"]),
    conversation_case("delete an unknown conversation", "openrouter/conversations/delete",
                      UNKNOWN, "openrouter.deleteConversation", [UNKNOWN]),
    conversation_case("truncate a conversation", "openrouter/conversations/truncate",
                      {**SAVED, "keepMessages": 1}, "openrouter.truncateConversation",
                      [{**SAVED, "keepMessages": 1}]),
    conversation_case("truncate past the end", "openrouter/conversations/truncate",
                      {**SAVED, "keepMessages": 3}, "openrouter.truncateConversation",
                      [{**SAVED, "keepMessages": 3}], succeeds=False),
    conversation_case("export a conversation", "openrouter/conversations/export", SAVED,
                      "openrouter.exportConversation", ["saved"]),
    conversation_case("export an unknown conversation", "openrouter/conversations/export",
                      UNKNOWN, "openrouter.exportConversation", [UNKNOWN], succeeds=False),
]


@attrs.define
class Outcome:
    result: Any = None
    code: int | None = None
    kind: str | None = None
    paths: list[str] = attrs.Factory(list)


async def run_once(
    start_home: Path, tmp: Path, case: Case, via_command: bool
) -> tuple[Outcome, dict[str, Any]]:
    home = tmp / ("command" if via_command else "method")
    shutil.copytree(start_home, home)
    session = await start_session(home, server_env(home))
    try:
        await session.call("openrouter/apiKey/set", {"apiKey": TEST_KEY})
        await session.call("openrouter/settings/get")
        if case.other_window is not None:
            await write_as_other_window(home, case.other_window)
        outcome = await call(session, case, via_command)
        after = as_state(await session.call("openrouter/settings/get"))
    finally:
        await stop_session(session)
    return outcome, after


async def write_as_other_window(home: Path, change: dict[str, Any]) -> None:
    """What another server process sharing the folder does: replace settings.json."""
    path = home / "settings.json"
    document = json.loads(path.read_text())
    for key, value in change.items():
        if isinstance(value, dict):
            document.setdefault(key, {}).update(value)
        else:
            document[key] = value
    await asyncio.sleep(0.01)  # a distinct modification time, as a real second writer has
    temp = path.with_name("other-window.tmp")
    temp.write_text(json.dumps(document))
    temp.replace(path)


async def call(session: LspSession, case: Case, via_command: bool) -> Outcome:
    try:
        if via_command:
            result = await asyncio.wait_for(
                session.client.protocol.send_request_async(
                    "workspace/executeCommand",
                    types.ExecuteCommandParams(command=case.command, arguments=case.arguments),
                ),
                30,
            )
        else:
            result = await session.call(case.method, case.params)
    except JsonRpcException as exc:
        data = exc.data if isinstance(exc.data, dict) else {}
        paths = [e["path"] for e in data.get("errors", [])]
        if via_command:
            paths = [case.path_map(p) for p in paths]
        return Outcome(code=exc.code, kind=data.get("kind"), paths=sorted(paths))
    if isinstance(result, dict):
        result = {k: v for k, v in result.items() if k != "uri"}
    return Outcome(result=case.compare(as_state(result)))


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
async def test_method_and_command_agree(home: Path, tmp_path: Path, case: Case) -> None:
    if case.seed is not None:
        case.seed(home)
    by_method, state_after_method = await run_once(home, tmp_path, case, via_command=False)
    by_command, state_after_command = await run_once(home, tmp_path, case, via_command=True)
    assert by_command == by_method
    if case.succeeds:
        assert by_method.code is None and by_method.result, by_method
    else:
        assert by_method.code == -32602 and by_method.paths, by_method
    assert state_after_command == state_after_method
    if case.other_window is not None:  # the other window's change was seen, not overwritten
        for key, value in case.other_window.items():
            seen = state_after_method[key]
            assert seen == value or (isinstance(value, dict) and value.items() <= seen.items())
