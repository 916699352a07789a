"""CPU per SSE event of the relay against the direct reader, without processes or sockets.

Both read the very stream `floor_upstream.py` sends (20,000 events), split in 64 KiB reads as
httpx reads them, and both are timed with `time.process_time` (best of `--rounds`), so other
processes' load does not enter the figure (it does through caches, hence best of N):

- direct: `SSEDecoder.feed`, then the server's `EventTemplate` for events shaped like the
  stream's earlier ones and one `raw_decode` for any other, as `bench_floor.py`'s floor;
- relay: `chat_stream._read_events` + `features.chat.ProgressRelay` (its `send` drops the value);
- then the path from those `$/progress` values to bytes: the real server's protocol with a writer
  that drops the bytes, through pygls' `notify` (an attrs envelope unstructured by cattrs, as
  before) and through `pygls_adapter.notify_json` (what `features/chat.py` uses).

    PYTHONPATH=server .venv/bin/python bench/bench_relay_cpu.py
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx

from floor_upstream import sse_answer
from openrouter_lsp.features.chat import ProgressRelay
from openrouter_lsp.openrouter.chat_stream import (
    ChatRequest,
    _read_events,
    _Stream,
)
from openrouter_lsp.openrouter.event_template import EventTemplate
from openrouter_lsp.openrouter.sse import DONE, SSEDecoder

READ = 65_536
_decode = json.JSONDecoder().raw_decode


def reads(tokens: int) -> list[bytes]:
    raw = sse_answer(tokens)
    body = raw[raw.index(b"\r\n\r\n") + 4:]
    return [body[i:i + READ] for i in range(0, len(body), READ)]


async def _body(pieces: list[bytes]) -> AsyncIterator[bytes]:
    for piece in pieces:
        yield piece


def response(pieces: list[bytes]) -> httpx.Response:
    return httpx.Response(200, headers={"content-type": "text/event-stream"},
                          content=_body(pieces))


async def direct(pieces: list[bytes]) -> int:
    decoder = SSEDecoder()
    template = EventTemplate()
    contents: list[str] = []
    async for piece in response(pieces).aiter_raw():
        events = decoder.feed(piece)
        index = 0
        while True:
            index, _ = template.take(events, index, contents)
            if index == len(events):
                break
            data = events[index]
            index += 1
            if data != DONE:
                chunk, _ = _decode(data)
                content = chunk["choices"][0]["delta"].get("content") if chunk["choices"] else None
                if content:
                    contents.append(content)
                template.learn(data, chunk)
    return len(contents)


async def relay(pieces: list[bytes]) -> int:
    sent: list[Any] = []
    progress = ProgressRelay(sent.append)
    request = ChatRequest(url="http://x/", headers={}, body={}, base_url="http://x/")
    stream = _Stream(request, progress, 1 << 40, progress.tool_calls)
    await _read_events(stream, response(pieces))
    progress.flush()
    return len(stream.content)


class _Sink:
    def write(self, data: bytes) -> None:
        pass


def progress_encoding(rounds: int, chars: int) -> tuple[float, float]:
    """Best CPU µs per `$/progress` of `chars` characters: pygls' `notify`, `notify_json`."""
    from lsprotocol import types as lsp

    from openrouter_lsp.lsp.pygls_adapter import notify_json
    from openrouter_lsp.server import build_server
    from openrouter_lsp.strict_json import load_orjson

    server = build_server()
    load_orjson()  # as the server does after `initialized`: messages are encoded by orjson
    server.protocol.set_writer(_Sink())
    values = [{"content": "tok " * (chars // 4)}] * 200

    def pygls_notify() -> None:
        for value in values:
            server.protocol.notify("$/progress", lsp.ProgressParams(token="t", value=value))

    def plain_json() -> None:
        for value in values:
            notify_json(server, "$/progress", {"token": "t", "value": value})

    best = {pygls_notify: float("inf"), plain_json: float("inf")}
    for _ in range(rounds):
        for run in best:
            start = time.process_time()
            run()
            best[run] = min(best[run], time.process_time() - start)
    return best[pygls_notify] * 1e6 / len(values), best[plain_json] * 1e6 / len(values)


def best(pieces: list[bytes], rounds: int) -> tuple[float, float]:
    """Best CPU time of each reader, their rounds alternating so load hits both alike."""
    loop = asyncio.new_event_loop()
    try:
        times: dict[Any, list[float]] = {direct: [], relay: []}
        for _ in range(rounds):
            for run, spent in times.items():
                start = time.process_time()
                loop.run_until_complete(run(pieces))
                spent.append(time.process_time() - start)
        return min(times[direct]), min(times[relay])
    finally:
        loop.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=30)
    # The size of one `$/progress` value when a 20,000-token stream relayed in ~75 ms was
    # coalesced over 3 ms (~800 tokens); kept so figures stay comparable across rounds.
    parser.add_argument("--progress-chars", type=int, default=3_200)
    args = parser.parse_args()
    pieces = reads(args.tokens)
    per = 1e6 / (args.tokens + 1)
    d, r = (t * per for t in best(pieces, args.rounds))
    print(f"CPU per event: direct {d:.2f} µs, relay {r:.2f} µs (+{r - d:.2f}); "
          f"ceiling {d / r:.2f}x")
    before, after = progress_encoding(args.rounds, args.progress_chars)
    print(f"CPU per $/progress of {args.progress_chars:,} characters: pygls notify "
          f"{before:.1f} µs, notify_json {after:.1f} µs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
