"""The floor's upstream: a minimal stdlib asyncio HTTP/1.1 server that answers a chat with a
pre-encoded SSE stream, as fast as Python can.

It does the least any upstream must: it reads the request head and its `Content-Length` body,
finds `"max_tokens"` with one regex (the body is not parsed), and writes one cached byte string
(the status line, headers and every SSE event of that length) with one `transport.write`. The
connection is kept alive, as OpenRouter's is. Anything slower here would be counted against the
direct client and the server alike, and would make their difference look smaller than it is.

Routes (any prefix; the path's end decides):
- `POST …/chat/completions`: `max_tokens` one-token content events, a finish event with usage
  and cost (so nothing is priced from the catalogue), then `[DONE]`;
- `GET …/models`: the emulator's 337-model catalogue, or `SYNTH_MODELS` synthetic models when the
  path starts with `/synth/` (a growing catalogue);
- `GET …/key`, `…/credits`: a minimal account;
- `GET /_floor/last`: the last chat request's headers and body, so the direct client sends the
  very request the server sent.

Run: `python bench/floor_upstream.py`; prints `listening on http://127.0.0.1:PORT`.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
from importlib import resources
from typing import Any

SYNTH_MODELS = 5_000
_MAX_TOKENS = re.compile(rb'"max_tokens"\s*:\s*(\d+)')
_OK = b"HTTP/1.1 200 OK\r\ncontent-type: %s\r\ncontent-length: %d\r\n\r\n"


def response(content_type: bytes, body: bytes) -> bytes:
    return (_OK % (content_type, len(body))) + body


def sse_answer(tokens: int) -> bytes:
    head = '{"id":"gen-floor","object":"chat.completion.chunk","created":0,' \
        '"model":"openai/gpt-4o","provider":"OpenAI","choices":[{"index":0,"delta":'
    event = f'data: {head}{{"role":"assistant","content":"tok "}},"finish_reason":null}}]}}\n\n'
    usage = {"prompt_tokens": 10, "completion_tokens": tokens, "total_tokens": 10 + tokens,
             "cost": 0.0001}
    last = (f'data: {head}{{"role":"assistant","content":""}},"finish_reason":"stop"}}],'
            f'"usage":{json.dumps(usage)}}}\n\n')
    body = (event * tokens + last + "data: [DONE]\n\n").encode()
    return response(b"text/event-stream", body)


def catalogue(synthetic: int | None) -> bytes:
    data = resources.files("openrouter_emulator").joinpath("data/models-2026-06-16.json")
    models: list[dict[str, Any]] = json.loads(data.read_text(encoding="utf-8"))["data"]
    if synthetic is not None:
        base = models
        models = []
        for i in range(synthetic):
            model = dict(base[i % len(base)])
            model["id"] = f"{model['id']}-synth{i}"
            model["canonical_slug"] = model["id"]
            model["name"] = f"{model.get('name', model['id'])} #{i}"
            models.append(model)
    return response(b"application/json", json.dumps({"data": models}).encode())


ACCOUNT = {
    "key": response(b"application/json", json.dumps({"data": {
        "label": "floor", "limit": None, "usage": 0, "limit_remaining": None,
        "is_free_tier": False, "is_provisioning_key": False}}).encode()),
    "credits": response(b"application/json", json.dumps(
        {"data": {"total_credits": 1000.0, "total_usage": 0.0}}).encode()),
}
NOT_FOUND = b"HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: 2" \
    b"\r\n\r\n{}"


class Upstream:
    def __init__(self) -> None:
        self.answers: dict[int, bytes] = {}
        self.catalogues: dict[bool, bytes] = {}
        self.last_chat: tuple[bytes, bytes] = (b"", b"")

    def answer(self, head: bytes, body: bytes) -> bytes:
        request_line = head[: head.index(b"\r\n")]
        method, path, _ = request_line.split(b" ", 2)
        if method == b"POST" and path.endswith(b"/chat/completions"):
            self.last_chat = (head, body)
            found = _MAX_TOKENS.search(body)
            tokens = int(found.group(1)) if found else 16
            cached = self.answers.get(tokens)
            if cached is None:
                cached = self.answers[tokens] = sse_answer(tokens)
            return cached
        path = path.split(b"?", 1)[0]
        if path.endswith(b"/models"):
            synthetic = path.startswith(b"/synth/")
            if synthetic not in self.catalogues:
                self.catalogues[synthetic] = catalogue(SYNTH_MODELS if synthetic else None)
            return self.catalogues[synthetic]
        if path.endswith(b"/key"):
            return ACCOUNT["key"]
        if path.endswith(b"/credits"):
            return ACCOUNT["credits"]
        if path == b"/_floor/last":
            return response(b"application/json", self.describe_last())
        return NOT_FOUND

    def describe_last(self) -> bytes:
        head, body = self.last_chat
        headers = {}
        for line in head.decode("latin-1").split("\r\n")[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return json.dumps({"headers": headers, "body": json.loads(body)}).encode()


class Connection(asyncio.Protocol):
    def __init__(self, upstream: Upstream) -> None:
        self.upstream = upstream
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end])
            length = 0
            lower = head.lower()
            at = lower.find(b"\r\ncontent-length:")
            if at >= 0:
                stop = lower.find(b"\r\n", at + 2)
                length = int(lower[at + 17 : stop if stop >= 0 else None])
            if len(self.buffer) < end + 4 + length:
                return
            body = bytes(self.buffer[end + 4 : end + 4 + length])
            del self.buffer[: end + 4 + length]
            assert self.transport is not None
            self.transport.write(self.upstream.answer(head, body))


async def serve() -> None:
    upstream = Upstream()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Connection(upstream), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print(f"listening on http://127.0.0.1:{port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        sys.exit(0)
