"""Hostile upstream bodies against the real server with its default limits: gzip bombs (1 MB that
expands to 1 GB), a 300 MB catalogue, 200 MB of streamed answer. For each, in a fresh server:
the answer, the server's peak RSS (VmHWM) beside its RSS before, and the event-loop stall seen
by the client (the slowest `openrouter/settings/get` round trip, sent every 5 ms meanwhile).

Run: `PYTHONPATH=server .venv/bin/python bench/bench_upstream_bombs.py`
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from openrouter_lsp.lsp_client import RpcError, StdioLspClient

KEY = "sk-or-v1-bench-key-0000000000000000"
MODEL = "openai/gpt-4o"
GIB = 1024 * 1024 * 1024
MODEL_ENTRY = {"id": MODEL, "name": "GPT-4o", "pricing": {"prompt": "0.0000025",
                                                          "completion": "0.00001"}}
CATALOGUE = json.dumps({"data": [MODEL_ENTRY]}).encode()

Writer = asyncio.StreamWriter
Route = Callable[[Writer], Awaitable[None]]


def head(**headers: str) -> bytes:
    lines = ["HTTP/1.1 200 OK", "Connection: close"]
    lines += [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def gzip_bomb(size: int, prefix: bytes = b"") -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    block = bytes(1024 * 1024)
    parts = [compressor.compress(prefix)]
    parts += [compressor.compress(block) for _ in range(size // len(block))]
    parts.append(compressor.flush())
    return b"".join(parts)


def send_bytes(body: bytes, **headers: str) -> Route:
    async def route(writer: Writer) -> None:
        writer.write(head(Content_Length=str(len(body)), **headers) + body)
        await writer.drain()

    return route


def stream_forever(first: bytes, piece: bytes, total: int, **headers: str) -> Route:
    async def route(writer: Writer) -> None:
        writer.write(head(**headers) + first)
        sent = 0
        while sent < total:
            writer.write(piece)
            sent += len(piece)
            await writer.drain()

    return route


class Upstream:
    """The hostile upstream, on its own event loop in a thread: its writing must not delay the
    client's round trips that measure the server's stalls."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {"/models": send_bytes(CATALOGUE)}
        self.port = 0
        ready = threading.Event()

        async def run() -> None:
            server = await asyncio.start_server(self.serve, "127.0.0.1", 0)
            self.port = server.sockets[0].getsockname()[1]
            ready.set()
            await asyncio.Event().wait()

        threading.Thread(target=asyncio.run, args=(run(),), daemon=True).start()
        ready.wait(10)

    async def serve(self, reader: asyncio.StreamReader, writer: Writer) -> None:
        try:
            request = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in request.decode("latin-1").split("\r\n"):
                if line.lower().startswith("content-length:"):
                    length = int(line.split(":", 1)[1])
            await reader.readexactly(length)
            path = request.split(b" ", 2)[1].decode().removeprefix("/api/v1")
            await self.routes[path](writer)
        except (ConnectionError, asyncio.IncompleteReadError, KeyError):
            pass
        finally:
            writer.close()


def status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return -1


async def measure(name: str, upstream: Upstream, route: str, handler: Route,
                  method: str, params: Any) -> dict[str, Any]:
    port = upstream.port
    with tempfile.TemporaryDirectory() as home:
        Path(home, "settings.json").write_text(json.dumps({
            "useCustomBaseUrl": True, "customBaseUrl": f"http://127.0.0.1:{port}/api/v1",
            "modelId": MODEL}))
        env = {"OPENROUTER_LSP_HOME": home, "OPENROUTER_API_KEY": KEY,
               "OPENROUTER_LSP_NO_KEYRING": "1"}
        client = await StdioLspClient.start(env=env)
        try:
            await client.initialize()
            # A first request loads the HTTP stack (a one-time cost): only the bomb is measured.
            warm_up = "/key" if route == "/models" else "/models"
            upstream.routes = {warm_up: send_bytes(CATALOGUE if route != "/models" else b"{}")}
            await client.request(
                "openrouter/models/list" if warm_up == "/models" else "openrouter/account/get", {}
            )
            upstream.routes = {"/models": send_bytes(CATALOGUE), route: handler}
            rss_before = status_kib(client.pid, "VmRSS")
            started = time.perf_counter()
            call = asyncio.ensure_future(client.request(method, params))
            slowest = 0.0
            while not call.done():
                ping = time.perf_counter()
                await client.request("openrouter/settings/get", {})
                slowest = max(slowest, time.perf_counter() - ping)
                await asyncio.sleep(0.005)
            elapsed = time.perf_counter() - started
            try:
                outcome = f"result ({len(json.dumps(call.result())):,} bytes)"
            except RpcError as exc:
                outcome = str(exc)[:150]
            peak = status_kib(client.pid, "VmHWM")
            after = status_kib(client.pid, "VmRSS")
        finally:
            await client.close()
    return {
        "case": name,
        "seconds": round(elapsed, 2),
        "rss_before_mb": round(rss_before / 1024, 1),
        "peak_rss_mb": round(peak / 1024, 1),
        "rss_after_mb": round(after / 1024, 1),
        "slowest_settings_get_ms": round(slowest * 1000, 1),
        "outcome": outcome,
    }


async def main() -> None:
    upstream = Upstream()
    models_bomb = gzip_bomb(GIB)
    sse_bomb = gzip_bomb(GIB, prefix=b'data: {"choices":[{"delta":{"content":"')
    model_json = json.dumps(MODEL_ENTRY).encode() + b","
    content = json.dumps({"choices": [{"delta": {"content": "x" * 10_000}}]}).encode()
    chat = {"messages": [{"role": "user", "content": "hi"}], "modelId": MODEL}
    cases = [
        ("/models: 1 GB gzip bomb", "/models", send_bytes(
            models_bomb, Content_Encoding="gzip", Content_Type="application/json"),
         "openrouter/models/list", {}),
        ("/models: 300 MB of models, no length", "/models", stream_forever(
            b'{"data":[', model_json * 1000, 300_000_000, Content_Type="application/json"),
         "openrouter/models/list", {}),
        ("/key: 1 GB gzip bomb", "/key", send_bytes(models_bomb, Content_Encoding="gzip"),
         "openrouter/account/get", {}),
        ("chat: 1 GB gzip-bombed SSE line", "/chat/completions", send_bytes(
            sse_bomb, Content_Encoding="gzip", Content_Type="text/event-stream"),
         "openrouter/chat", chat),
        ("chat: 200 MB of streamed content", "/chat/completions", stream_forever(
            b"", b"data: " + content + b"\n\n", 200_000_000, Content_Type="text/event-stream"),
         "openrouter/chat", chat),
    ]
    print(f"(bombs: {len(models_bomb):,} and {len(sse_bomb):,} bytes compressed)", file=sys.stderr)
    rows = []
    for case in cases:
        rows.append(await measure(case[0], upstream, *case[1:]))
        print(json.dumps(rows[-1]), file=sys.stderr)
    print("| case | seconds | RSS before | peak RSS | RSS after | slowest settings/get | outcome |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['case']} | {r['seconds']} | {r['rss_before_mb']} MB | {r['peak_rss_mb']} MB "
              f"| {r['rss_after_mb']} MB | {r['slowest_settings_get_ms']} ms | {r['outcome']} |")
    if os.environ.get("BENCH_JSON"):
        Path(os.environ["BENCH_JSON"]).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
