"""The LSP lifecycle through the real server: -32002 before initialize, -32600 after shutdown,
exit codes 0 and 1, and every request answered, whatever its params."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from tests.support.raw_client import ServerProcess, notification

PATCH = {"patch": {"routing": {"sort": "latency"}}}


@pytest_asyncio.fixture
async def server(tmp_path: Path) -> AsyncIterator[ServerProcess]:
    process = await ServerProcess.start(tmp_path / "state")
    yield process
    await process.stop()


async def test_requests_before_initialize_are_refused_and_change_nothing(
    server: ServerProcess,
) -> None:
    client = server.client
    refused = await client.call(1, "openrouter/settings/update", PATCH)
    assert refused["error"]["code"] == -32002, refused
    assert (await client.call(2, "shutdown"))["error"]["code"] == -32002
    # Notifications before initialize are dropped (a didChangeConfiguration changes nothing).
    await client.send(
        notification("workspace/didChangeConfiguration", {"settings": {"openrouter": PATCH}})
    )
    await client.initialize()
    view = (await client.call(3, "openrouter/settings/get", {}))["result"]
    assert view["routing"]["sort"] != "latency", view
    assert (await client.call(4, "initialize", {"capabilities": {}}))["error"]["code"] == -32600


async def test_a_failed_initialize_can_be_retried(server: ServerProcess) -> None:
    client = server.client
    failed = await client.call(1, "initialize", {"processId": "not a number"})
    assert failed["error"]["code"] == -32602
    paths = [e["path"] for e in failed["error"]["data"]["errors"]]
    assert "capabilities" in paths and "processId" in paths, paths
    await client.initialize(2)
    await client.assert_alive()


async def test_after_shutdown_requests_are_invalid_and_exit_is_code_0(
    server: ServerProcess,
) -> None:
    client = server.client
    await client.initialize()
    assert (await client.call(1, "shutdown"))["result"] is None
    refused = await client.call(2, "openrouter/settings/get", {})
    assert refused["error"]["code"] == -32600, refused
    assert (await client.call(3, "shutdown"))["error"]["code"] == -32600
    await client.send(notification("exit"))
    assert await server.exit_code() == 0


async def test_exit_without_shutdown_is_code_1(server: ServerProcess) -> None:
    await server.client.initialize()
    await server.client.send(notification("exit"))
    assert await server.exit_code() == 1


async def test_exit_before_initialize_is_code_1(server: ServerProcess) -> None:
    await server.client.send(notification("exit"))
    assert await server.exit_code() == 1


async def test_end_of_input_without_shutdown_is_code_1(server: ServerProcess) -> None:
    await server.client.initialize()
    server.client.writer.close()
    assert await server.exit_code() == 1


RANGE = {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 1}}
DOC = {"uri": "file:///tmp/a.py"}

# (method, params, the path data.errors must name)
UNPARSABLE: list[tuple[str, Any, str]] = [
    ("textDocument/codeAction", {"textDocument": DOC, "range": RANGE, "context": {}},
     "context.diagnostics"),
    ("textDocument/codeAction", None, ""),
    ("textDocument/codeAction", [1, 2], ""),
    ("textDocument/codeAction", {"textDocument": DOC, "range": RANGE, "context": None},
     "context"),
    ("workspace/executeCommand", {"command": "openrouter.showSettings", "arguments": False},
     "arguments"),
    ("workspace/executeCommand", {"command": 5}, "command"),
    ("workspace/executeCommand",
     {"command": "openrouter.showSettings", "workDoneToken": [1]}, "workDoneToken"),
    ("workspace/executeCommand",
     {"command": "openrouter.showSettings", "workDoneToken": {"a": 1}}, "workDoneToken"),
    ("workspace/executeCommand",
     {"command": "openrouter.showSettings", "workDoneToken": 1.5}, "workDoneToken"),
    ("openrouter/chat",
     {"messages": [{"role": "user", "content": "hi \ud800"}]}, "messages[0].content"),
    ("openrouter/chat",
     {"messages": [{"role": "user", "content": "hi"}], "workDoneToken": [1]}, "workDoneToken"),
    ("workspace/executeCommand",
     {"command": "openrouter.ask", "arguments": ["why \udfff?"]}, "arguments[0]"),
    ("openrouter/settings/update", {"patch": {"modelId": "a\ud83d"}}, "patch.modelId"),
]


@pytest.mark.parametrize(("method", "params", "path"), UNPARSABLE)
async def test_unparsable_params_are_invalid_params_naming_the_field(
    server: ServerProcess, method: str, params: Any, path: str
) -> None:
    client = server.client
    await client.initialize()
    answer = await client.call(5, method, params)
    assert answer.get("error", {}).get("code") == -32602, answer
    paths = [e["path"] for e in answer["error"]["data"]["errors"]]
    assert path in paths, paths
    await client.assert_alive()


async def test_a_surrogate_pair_is_fine_and_a_lone_one_in_a_notification_is_replaced(
    server: ServerProcess,
) -> None:
    client = server.client
    await client.initialize()
    answer = await client.call(6, "openrouter/settings/get", {"note": "\ud83d\ude00"})
    assert "result" in answer, answer
    await client.send(
        notification(
            "textDocument/didOpen",
            {"textDocument": {**DOC, "languageId": "python", "version": 1, "text": "x\ud800y"}},
        )
    )
    await client.assert_alive()
