"""A misbehaving upstream on 127.0.0.1 for the tests the emulator cannot serve: raw HTTP/1.1 on
an asyncio socket server, so a test can trickle header bytes, send endless keep-alives, gzip
bombs, absurd numbers, or echo the key; plus a server session pointed at it.

Each test sets `upstream.routes[path] = handler`; a handler gets the request and the writer and
writes whatever it likes. Every connection is closed after one answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest_asyncio
from tests.support.lsp import LspSession, server_env, start_session, stop_session, write_settings

MODEL = "openai/gpt-4o"
PROMPT_PRICE = "0.0000025"  # USD per token
COMPLETION_PRICE = "0.00001"
CATALOGUE = {
    "data": [
        {
            "id": MODEL,
            "name": "OpenAI: GPT-4o",
            "context_length": 128000,
            "pricing": {"prompt": PROMPT_PRICE, "completion": COMPLETION_PRICE},
        }
    ]
}


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Handler = Callable[[Request, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class LoopbackUpstream:
    routes: dict[str, Handler] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.routes.setdefault("/models", json_answer(CATALOGUE))

    @property
    def port(self) -> int:
        assert self._server is not None
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1"

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            path = target.split("?", 1)[0].removeprefix("/api/v1")
            request = Request(method, path, headers, body)
            self.requests.append(request)
            handler = self.routes.get(path, json_answer({"error": {"message": "no route"}}, 404))
            await handler(request, writer)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the server under test hung up: what a limit is for
        finally:
            writer.close()
            self._tasks.discard(task)


def head(status: int = 200, **headers: str) -> bytes:
    lines = [f"HTTP/1.1 {status} X"] + [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def answer(body: bytes, status: int = 200, **headers: str) -> Handler:
    async def handle(_: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(head(status, Content_Length=str(len(body)), **headers) + body)

    return handle


def json_answer(payload: Any, status: int = 200, **headers: str) -> Handler:
    return answer(json.dumps(payload).encode(), status, Content_Type="application/json", **headers)


def raw_json_answer(text: str, status: int = 200, **headers: str) -> Handler:
    """JSON text as written (`1e999`, `NaN` and 400-digit integers survive)."""
    return answer(text.encode(), status, Content_Type="application/json", **headers)


def sse(*events: str) -> bytes:
    return b"".join(f"data: {event}\n\n".encode() for event in events)


def chunk(content: str | None = None, **extra: Any) -> str:
    delta = {"content": content} if content is not None else {}
    payload = {"id": "gen-1", "model": MODEL, "provider": "OpenAI",
               "choices": [{"index": 0, "delta": delta, "finish_reason": None}], **extra}
    return json.dumps(payload)


def final_chunk_text(usage_json: str) -> str:
    """The last chunk with a `usage` object given as raw JSON text."""
    return (
        '{"id":"gen-1","model":"' + MODEL + '","provider":"OpenAI","choices":[{"index":0,'
        '"delta":{},"finish_reason":"stop"}],"usage":' + usage_json + "}"
    )


def sse_answer(body: bytes) -> Handler:
    return answer(body, Content_Type="text/event-stream")


def gzip_bomb(size: int, prefix: bytes = b"") -> bytes:
    """`prefix` then `size` zero bytes, gzipped (about a thousandth of the size)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    block = bytes(1024 * 1024)
    parts = [compressor.compress(prefix)]
    parts += [compressor.compress(block) for _ in range(size // len(block))]
    parts.append(compressor.flush())
    return b"".join(parts)


def gzipped(data: bytes) -> bytes:
    return gzip.compress(data)


@pytest_asyncio.fixture
async def upstream() -> AsyncIterator[LoopbackUpstream]:
    server = LoopbackUpstream()
    await server.start()
    yield server
    await server.stop()


async def session_for(
    tmp_path: Path, upstream: LoopbackUpstream, key: str, base_url: str | None = None, **env: str
) -> LspSession:
    """The real server with its custom base URL at `upstream`, the key, and extra env vars."""
    home = tmp_path / "state"
    write_settings(
        home, useCustomBaseUrl=True, customBaseUrl=base_url or upstream.base_url, modelId=MODEL
    )
    return await start_session(home, server_env(home, OPENROUTER_API_KEY=key, **env))


@contextlib.asynccontextmanager
async def running_session(
    tmp_path: Path, upstream: LoopbackUpstream, key: str, base_url: str | None = None, **env: str
) -> AsyncIterator[LspSession]:
    session = await session_for(tmp_path, upstream, key, base_url, **env)
    try:
        yield session
    finally:
        await stop_session(session)
