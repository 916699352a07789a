"""A raw JSON-RPC client for the real server: exact bytes in, every frame the server writes kept.

The transport tests need what no LSP client library will send (broken headers, lying lengths,
non-JSON, NaN ids), and need to see the raw output (no `Infinity`, no key).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

WAIT_S = 20.0  # bounded waits: a server that stops answering fails the test, never hangs it


def _no_constant(name: str) -> Any:
    raise ValueError(f"the server wrote {name}, which is not JSON")


def strict_json(body: bytes) -> Any:
    """JSON as the spec has it: UTF-8, no NaN or Infinity (Python's parser accepts those)."""
    return json.loads(body.decode("utf-8"), parse_constant=_no_constant)


def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def encode(message: Any) -> bytes:
    return json.dumps(message).encode()


def request(msg_id: Any, method: str, params: Any = None) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": msg_id, "method": method}
    if params is not None:
        message["params"] = params
    return message


def notification(method: str, params: Any = None) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "method": method, "params": params}


class RawClient:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.raw_frames: list[bytes] = []  # every body the server wrote, as bytes
        self.messages: list[dict[str, Any]] = []  # read but not yet claimed by `answer`

    async def write(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def send(self, message: Any) -> None:
        await self.write(frame(encode(message)))

    async def read_message(self, timeout: float = WAIT_S) -> dict[str, Any]:
        async def read() -> dict[str, Any]:
            header = await self.reader.readuntil(b"\r\n\r\n")
            assert header.startswith(b"Content-Length: "), header
            length = int(header[len(b"Content-Length: ") : -4])
            body = await self.reader.readexactly(length)
            self.raw_frames.append(body)
            message: dict[str, Any] = strict_json(body)
            return message

        return await asyncio.wait_for(read(), timeout)

    async def answer(self, msg_id: Any, timeout: float = WAIT_S) -> dict[str, Any]:
        """The response with `msg_id` (None: an error response with `"id": null`)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            for message in self.messages:
                if "method" not in message and message.get("id", "absent") == msg_id:
                    self.messages.remove(message)
                    return message
            left = deadline - asyncio.get_running_loop().time()
            message = await self.read_message(max(left, 0.01))
            if "method" in message and "id" in message:  # a request from the server
                await self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            self.messages.append(message)

    async def call(self, msg_id: Any, method: str, params: Any = None) -> dict[str, Any]:
        await self.send(request(msg_id, method, params))
        return await self.answer(msg_id)

    async def initialize(self, msg_id: Any = "init") -> dict[str, Any]:
        answer = await self.call(msg_id, "initialize", {"processId": None, "capabilities": {}})
        assert "result" in answer, answer
        await self.send(notification("initialized", {}))
        return answer

    async def assert_alive(self, msg_id: Any = "alive") -> None:
        answer = await self.call(msg_id, "openrouter/settings/get", {})
        assert "result" in answer, answer


class ServerProcess:
    """`python -m openrouter_lsp` with its own state folder; stderr goes to a file."""

    def __init__(self, process: asyncio.subprocess.Process, stderr_path: Path) -> None:
        self.process = process
        self.stderr_path = stderr_path
        assert process.stdout is not None and process.stdin is not None
        self.client = RawClient(process.stdout, process.stdin)  # type: ignore[arg-type]

    @classmethod
    async def start(cls, home: Path, *args: str, **env: str) -> ServerProcess:
        home.mkdir(parents=True, exist_ok=True)
        stderr_path = home / "stderr.log"
        environ = {k: v for k, v in os.environ.items() if k != "OPENROUTER_API_KEY"}
        environ.update(OPENROUTER_LSP_HOME=str(home), OPENROUTER_LSP_NO_KEYRING="1", **env)
        with stderr_path.open("wb") as stderr:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "openrouter_lsp",
                *args,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=stderr,
                env=environ,
                limit=256 * 1024 * 1024,
            )
        return cls(process, stderr_path)

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    async def exit_code(self, timeout: float = WAIT_S) -> int:
        return await asyncio.wait_for(self.process.wait(), timeout)

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
