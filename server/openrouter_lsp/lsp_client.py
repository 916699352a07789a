"""A small JSON-RPC client for the server over stdio: the terminal demo and the benchmarks use it.

Plain JSON in and out (no lsprotocol types), so what it shows is exactly what an editor sees.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import sys
from collections.abc import Callable
from typing import Any


class RpcError(Exception):
    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error.get("message", "error"))
        self.code: int = error.get("code", 0)
        self.data: Any = error.get("data")


NotificationHandler = Callable[[str, Any], None]


class StdioLspClient:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self._process = process
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self.on_notification: NotificationHandler = lambda method, params: None
        self._reader = asyncio.ensure_future(self._read_loop())

    @classmethod
    async def start(
        cls,
        command: list[str] | None = None,
        env: dict[str, str] | None = None,
        *,
        new_session: bool = False,
    ) -> StdioLspClient:
        """`new_session`: the server leaves the terminal's process group, so a Ctrl-C meant for
        the client (the interactive chat) does not stop the server too."""
        command = command or [sys.executable, "-m", "openrouter_lsp"]
        process = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env={**os.environ, **(env or {})},
            limit=64 * 1024 * 1024,
            start_new_session=new_session,
        )
        return cls(process)

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps(message, separators=(",", ":")).encode()
        assert self._process.stdin is not None
        self._process.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))

    async def _read_loop(self) -> None:
        stdout = self._process.stdout
        assert stdout is not None
        try:
            while True:
                length = 0
                while True:
                    line = await stdout.readline()
                    if not line:
                        raise EOFError
                    if line in (b"\r\n", b"\n"):
                        break
                    name, _, value = line.decode().partition(":")
                    if name.lower() == "content-length":
                        length = int(value)
                message = json.loads(await stdout.readexactly(length))
                self._dispatch(message)
        except (EOFError, asyncio.IncompleteReadError, ConnectionError):
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(ConnectionError("the server exited"))

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "method" in message:
            if "id" in message:  # a request from the server: answer politely
                self._send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            else:
                self.on_notification(message["method"], message.get("params"))
            return
        future = self._pending.pop(message.get("id", -1), None)
        if future is None or future.done():
            return
        if "error" in message:
            future.set_exception(RpcError(message["error"]))
        else:
            future.set_result(message.get("result"))

    def request_id(self) -> int:
        return next(self._ids)

    async def request(self, method: str, params: Any = None, msg_id: int | None = None) -> Any:
        msg_id = msg_id if msg_id is not None else self.request_id()
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[msg_id] = future
        self._send({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
        return await future

    def notify(self, method: str, params: Any = None) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    async def initialize(self) -> Any:
        result = await self.request(
            "initialize", {"processId": os.getpid(), "rootUri": None, "capabilities": {}}
        )
        self.notify("initialized", {})
        return result

    async def close(self) -> None:
        try:
            await asyncio.wait_for(self.request("shutdown"), 5)
            self.notify("exit")
            await asyncio.wait_for(self._process.wait(), 5)
        except (Exception, asyncio.CancelledError):
            if self._process.returncode is None:
                self._process.kill()
                await self._process.wait()
        self._reader.cancel()

    @property
    def pid(self) -> int:
        return self._process.pid
