"""Running `workspace/executeCommand` commands from a test session."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from tests.support.lsp import LspSession


async def run(session: LspSession, command: str, *arguments: Any, msg_id: str | None = None) -> Any:
    params = types.ExecuteCommandParams(command=command, arguments=list(arguments))
    return await asyncio.wait_for(
        session.client.protocol.send_request_async("workspace/executeCommand", params, msg_id), 30
    )


async def run_error(session: LspSession, command: str, *arguments: Any) -> JsonRpcException:
    with pytest.raises(JsonRpcException) as info:
        await run(session, command, *arguments)
    return info.value


def error_paths(error: JsonRpcException) -> list[str]:
    assert error.code == -32602, error
    return [e["path"] for e in error.data["errors"]]
