"""CPU time of one chat request inside the server, from its bytes to the first `$/progress`.

The server runs in this process (`build_server`, a `Session` fed the request's frame as one
chunk, an in-memory writer), against `floor_upstream.py` in its own process over loopback HTTP;
so is the direct client (the server's own `httpx.AsyncClient`, the very body the server sent).
Both are timed with `time.process_time`, which other processes' load does not enter (it does
through caches and frequency, hence the best and the median of `--rounds`, rounds alternating):

- server: `Session.receive(frame)` until the first `$/progress` frame is written (framing, the
  inbound checks, JSON, pygls' dispatch, params, the core's checks, the body, httpx's request,
  the SSE read and the progress encoding); the stdio hand-off is not in it (`bench_floor.py` and
  `bench_latency_ab.py` measure that);
- direct: `client.stream(..., content=strict_json.dumps(body))` (the server's encoder) until the
  first content delta.

The difference is the server's own CPU per request. `--profile` prints the server's hottest
functions over the rounds (cProfile, cumulative), to find where it goes.

    PYTHONPATH=server .venv/bin/python bench/bench_request_cpu.py [--rounds 200] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_core import save_results
from bench_floor import KEY, MODEL, SMALL_TOKENS, big_prompt, frame, server_env, start_upstream
from openrouter_lsp import strict_json

_decode = json.JSONDecoder().raw_decode


class Writer:
    """The server's stdout: each frame kept; the first `$/progress` and the answer noted."""

    def __init__(self) -> None:
        self.frames: list[bytes] = []
        self.first_cpu = 0.0
        self.waiting: asyncio.Future[None] | None = None
        self.answered: asyncio.Future[Any] | None = None

    def write(self, data: bytes) -> None:
        if self.waiting is not None and b'"$/progress"' in data[:200]:
            self.first_cpu = time.process_time()
            if not self.waiting.done():
                self.waiting.set_result(None)
        elif self.answered is not None and not self.answered.done() and (
            b'"result"' in data[:400] or b'"error"' in data[:400]
        ):
            self.answered.set_result(json.loads(data[data.index(b"\r\n\r\n") + 4:]))

    def expect(self) -> None:
        loop = asyncio.get_running_loop()
        self.waiting = loop.create_future()
        self.answered = loop.create_future()


class InProcessServer:
    def __init__(self) -> None:
        from openrouter_lsp.lsp import pygls_adapter as adapter
        from openrouter_lsp.lsp.transport import _start
        from openrouter_lsp.server import build_server

        self.server = build_server()
        _lifecycle, self.session = _start(self.server)
        self.writer = Writer()
        adapter.set_writer(self.server, self.writer)
        self.next_id = 0

    def frame(self, method: str, params: Any) -> bytes:
        self.next_id += 1
        return frame({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})

    async def request(self, method: str, params: Any) -> Any:
        self.writer.expect()
        assert self.writer.answered is not None
        self.session.receive(self.frame(method, params))
        return await self.writer.answered

    def chat_frame(self, prompt: str) -> bytes:
        return self.frame("openrouter/chat", {
            "messages": [{"role": "user", "content": prompt}], "modelId": MODEL,
            "maxTokens": SMALL_TOKENS, "partialResultToken": f"t{self.next_id + 1}",
        })

    async def chat_cpu(self, data: bytes) -> float:
        """CPU seconds from the request's bytes to its first `$/progress` written."""
        self.writer.expect()
        assert self.writer.waiting is not None and self.writer.answered is not None
        started = time.process_time()
        self.session.receive(data)
        await self.writer.waiting
        cpu = self.writer.first_cpu - started
        answer = await self.writer.answered
        assert "result" in answer, answer
        return cpu


async def direct_cpu(client: Any, url: str, body: dict[str, Any], headers: dict[str, str]) -> float:
    """CPU seconds of the direct client from its request to the first content delta."""
    from bench_floor import DONE, SSEDecoder

    decoder = SSEDecoder()
    first = 0.0
    started = time.process_time()
    content = strict_json.dumps(body)  # orjson: loaded with the in-process server's preload
    async with client.stream("POST", url, content=content, headers=headers) as response:
        async for chunk in response.aiter_raw():
            for data in decoder.feed(chunk):
                if data == DONE:
                    continue
                event, _ = _decode(data)
                delta = event["choices"][0]["delta"] if event["choices"] else {}
                if delta.get("content") and not first:
                    first = time.process_time() - started
    return first


async def run(args: argparse.Namespace, origin: str) -> dict[str, Any]:
    base_url = f"{origin}/api/v1"
    with tempfile.TemporaryDirectory() as home:
        os.environ.update(server_env(home, base_url))
        server = InProcessServer()
        await server.request("initialize", {"processId": os.getpid(), "capabilities": {}})
        server.session.receive(frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
        await asyncio.sleep(1.0)
        await server.request("openrouter/models/list", {})
        from openrouter_lsp.openrouter.client import http_client

        client = http_client()  # the server's own client: one kept-alive connection
        results: dict[str, Any] = {}
        profiler = cProfile.Profile() if args.profile else None
        for size, prompt in (("small", "Benchmark prompt"), ("big", big_prompt())):
            await server.chat_cpu(server.chat_frame(prompt))
            last = (await client.get(f"{origin}/_floor/last")).json()
            wanted = {"authorization", "http-referer", "x-title", "x-openrouter-title",
                      "x-openrouter-categories", "accept", "content-type"}
            headers = {k: v for k, v in last["headers"].items() if k in wanted}
            body = last["body"]
            url = f"{base_url}/chat/completions"
            ours, theirs = [], []
            for i in range(args.rounds + 10):
                data = server.chat_frame(prompt)
                if profiler is not None and i >= 10:
                    profiler.enable()
                cpu = await server.chat_cpu(data)
                if profiler is not None:
                    profiler.disable()
                floor = await direct_cpu(client, url, body, headers)
                if i >= 10:  # warm-up rounds left out
                    ours.append(cpu)
                    theirs.append(floor)
            results[size] = {
                "server_cpu_ms": {"best": min(ours) * 1000, "p50": statistics.median(ours) * 1000},
                "direct_cpu_ms": {"best": min(theirs) * 1000,
                                  "p50": statistics.median(theirs) * 1000},
                "added_cpu_ms": {"best": (min(ours) - min(theirs)) * 1000,
                                 "p50": (statistics.median(ours) - statistics.median(theirs))
                                 * 1000},
                "rounds": args.rounds,
            }
            print(f"{size} done", file=sys.stderr)
        if profiler is not None:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.profile_lines)
    return results


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--profile", action="store_true", help="cProfile the server's rounds")
    parser.add_argument("--profile-lines", type=int, default=60)
    args = parser.parse_args()
    assert KEY
    upstream, origin = start_upstream()
    try:
        results = asyncio.run(run(args, origin.rstrip("/")))
    finally:
        upstream.terminate()
        upstream.wait(5)
    results["load_average"] = os.getloadavg()
    lines = ["| prompt | server CPU to first progress best / p50 | direct CPU to first token "
             "best / p50 | added CPU best / p50 |", "|---|---|---|---|"]
    for size in ("small", "big"):
        r = results[size]
        lines.append(
            f"| {size} | {r['server_cpu_ms']['best']:.3f} / {r['server_cpu_ms']['p50']:.3f} ms "
            f"| {r['direct_cpu_ms']['best']:.3f} / {r['direct_cpu_ms']['p50']:.3f} ms "
            f"| {r['added_cpu_ms']['best']:.3f} / {r['added_cpu_ms']['p50']:.3f} ms |")
    print("\n".join(lines))
    print(f"(load average {', '.join(f'{x:.2f}' for x in results['load_average'])})")
    save_results("request_cpu", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
