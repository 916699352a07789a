"""Chat benchmarks, measured side by side in one run against one emulator process:

- added first-token latency: the server (request -> first `$/progress`) over a direct httpx
  stream from the same emulator (request -> first content delta); p50 target ≤ 0.6 ms;
- relay throughput of a fast stream through the server, beside a direct httpx reader
  (target ≥ 70,000 tokens/s);
- server RSS with 50 concurrent streaming chats, every stream checked for crossed content
  (target ≤ 100 MB).

Run: `.venv/bin/python bench/bench_chat.py [--rounds N]`; prints a markdown table and writes
`.bench/chat.json` and `.bench/chat.md`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench_core import save_results
from openrouter_lsp.lsp_client import StdioLspClient

KEY = "sk-or-v1-bench-key-0000000000000000"
MODEL = "openai/gpt-4o"
LATENCY_TOKENS = 8
THROUGHPUT_TOKENS = 100_000
CONCURRENT = 50
CONCURRENT_TOKENS = 2_000


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_emulator(api_key: str = KEY) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "openrouter_emulator", "--port", "0", "--api-key", api_key],
        stdout=subprocess.PIPE, text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    prefix = "OpenRouter emulator listening on "
    if not line.startswith(prefix):
        process.kill()
        raise RuntimeError(f"emulator did not start: {line!r}")
    return process, line[len(prefix):].strip()


class Bench:
    def __init__(self, base_url: str, client: StdioLspClient) -> None:
        self.base_url = base_url
        self.origin = base_url.removesuffix("/api/v1")
        self.lsp = client
        self.http = httpx.AsyncClient(timeout=60, trust_env=False)
        self.first: dict[str, float] = {}
        # The direct client sends the very request the server sends (read back from the
        # emulator's record after a warm-up chat), so only the relay differs.
        self.direct_body: dict[str, Any] = {}
        self.direct_headers: dict[str, str] = {"Authorization": f"Bearer {KEY}"}
        self.partials: dict[str, list[str]] = {}
        client.on_notification = self._on_notification

    def _on_notification(self, method: str, params: Any) -> None:
        if method != "$/progress":
            return
        token = params["token"]
        if token not in self.first:
            self.first[token] = time.perf_counter()
        content = params["value"].get("content")
        if content:
            self.partials.setdefault(token, []).append(content)

    async def configure(self, **config: Any) -> None:
        response = await self.http.post(f"{self.origin}/_emulator/config", json=config)
        response.raise_for_status()

    async def copy_server_request(self) -> None:
        response = await self.http.get(f"{self.origin}/_emulator/requests")
        chats = [r for r in response.json()["requests"] if r["path"].endswith("/chat/completions")]
        last = chats[-1]
        self.direct_body = last["body"]
        wanted = {"authorization", "http-referer", "x-title", "x-openrouter-title",
                  "x-openrouter-categories", "accept"}
        self.direct_headers = {k: v for k, v in last["headers"].items() if k in wanted}

    def body(self, tokens: int) -> dict[str, Any]:
        return {**self.direct_body, "max_tokens": tokens}

    async def direct_first_token(self) -> float:
        """Request -> first content delta, reading the SSE stream with httpx directly."""
        headers = self.direct_headers
        started = time.perf_counter()
        first = None
        async with self.http.stream("POST", f"{self.base_url}/chat/completions",
                                    json=self.body(LATENCY_TOKENS), headers=headers) as response:
            async for line in response.aiter_lines():
                if first is None and line.startswith("data: {"):
                    chunk = json.loads(line[6:])
                    if chunk["choices"] and chunk["choices"][0]["delta"].get("content"):
                        first = time.perf_counter() - started
        assert first is not None
        return first

    async def server_first_token(self, token: str) -> float:
        """Request -> first `$/progress` notification at the client."""
        started = time.perf_counter()
        await self.lsp.request("openrouter/chat", {
            "messages": [{"role": "user", "content": "Benchmark prompt"}],
            "modelId": MODEL, "maxTokens": LATENCY_TOKENS, "partialResultToken": token,
        })
        return self.first[token] - started

    async def noop(self) -> float:
        started = time.perf_counter()
        await self.lsp.request("openrouter/settings/get", {})
        return time.perf_counter() - started

    async def direct_throughput(self) -> float:
        headers = self.direct_headers
        tokens = 0
        started = time.perf_counter()
        async with self.http.stream("POST", f"{self.base_url}/chat/completions",
                                    json=self.body(THROUGHPUT_TOKENS), headers=headers) as response:
            async for line in response.aiter_lines():
                if line.startswith("data: {"):
                    chunk = json.loads(line[6:])
                    if chunk.get("usage"):
                        tokens = chunk["usage"]["completion_tokens"]
        elapsed = time.perf_counter() - started
        assert tokens == THROUGHPUT_TOKENS
        return tokens / elapsed

    async def server_throughput(self, token: str) -> float:
        started = time.perf_counter()
        result = await self.lsp.request("openrouter/chat", {
            "messages": [{"role": "user", "content": "Benchmark prompt"}],
            "modelId": MODEL, "maxTokens": THROUGHPUT_TOKENS, "partialResultToken": token,
        })
        elapsed = time.perf_counter() - started
        assert result["usage"]["completionTokens"] == THROUGHPUT_TOKENS
        assert "".join(self.partials.pop(token)) == result["content"]
        return THROUGHPUT_TOKENS / elapsed

    async def concurrent(self) -> dict[str, Any]:
        peak = rss_mb(self.lsp.pid)
        done = False

        async def sample() -> None:
            nonlocal peak
            while not done:
                peak = max(peak, rss_mb(self.lsp.pid))
                await asyncio.sleep(0.01)

        sampler = asyncio.ensure_future(sample())
        tokens = [f"conc-{i}" for i in range(CONCURRENT)]
        started = time.perf_counter()
        results = await asyncio.gather(*(
            self.lsp.request("openrouter/chat", {
                "messages": [{"role": "user", "content": f"concurrent prompt {i}"}],
                "modelId": MODEL, "maxTokens": CONCURRENT_TOKENS, "partialResultToken": token,
            })
            for i, token in enumerate(tokens)
        ))
        elapsed = time.perf_counter() - started
        done = True
        await sampler
        crossed = sum(
            "".join(self.partials.pop(token, [])) != result["content"]
            for token, result in zip(tokens, results, strict=True)
        )
        distinct = len({r["content"] for r in results})
        return {"concurrent_rss_peak_mb": peak, "concurrent_seconds": elapsed,
                "concurrent_crossed_streams": crossed, "concurrent_distinct_answers": distinct}


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


async def run(rounds: int, base_url: str, env: dict[str, str]) -> dict[str, Any]:
    client = await StdioLspClient.start(env=env)
    bench = Bench(base_url, client)
    try:
        await client.initialize()
        await bench.configure(tokensPerSecond=0, chunkTokens=1)
        await bench.server_first_token("warm")
        await bench.copy_server_request()
        for i in range(20):  # warm both paths: connections, catalogue, code
            await bench.direct_first_token()
            await bench.server_first_token(f"warm-{i}")
            await bench.noop()
        direct, server, noop = [], [], []
        for i in range(rounds):  # interleaved, so machine noise hits both alike
            direct.append(await bench.direct_first_token())
            server.append(await bench.server_first_token(f"lat-{i}"))
            noop.append(await bench.noop())
        bench.partials.clear()
        added = [s - d for s, d in zip(server, direct, strict=True)]
        results: dict[str, Any] = {
            "first_token_direct_p50_ms": statistics.median(direct) * 1000,
            "first_token_server_p50_ms": statistics.median(server) * 1000,
            "first_token_added_p50_ms": (statistics.median(server) - statistics.median(direct))
            * 1000,
            "first_token_added_paired_p50_ms": statistics.median(added) * 1000,
            "first_token_added_paired_p95_ms": p(added, 0.95) * 1000,
            "noop_round_trip_p50_ms": statistics.median(noop) * 1000,
            "latency_rounds": rounds,
        }
        direct_tps, server_tps = [], []
        await bench.server_throughput("tp-warm")
        for i in range(3):
            direct_tps.append(await bench.direct_throughput())
            server_tps.append(await bench.server_throughput(f"tp-{i}"))
        results |= {
            "throughput_direct_tokens_per_s": statistics.median(direct_tps),
            "throughput_server_tokens_per_s": statistics.median(server_tps),
            "throughput_tokens_per_stream": THROUGHPUT_TOKENS,
        }
        await bench.configure(tokensPerSecond=2000, chunkTokens=1)
        results |= await bench.concurrent()
        results["idle_rss_after_mb"] = rss_mb(client.pid)
    finally:
        await bench.http.aclose()
        await client.close()
    return results


def table(r: dict[str, Any]) -> str:
    rows = [
        ("First token, direct httpx from the emulator (p50)",
         f"{r['first_token_direct_p50_ms']:.2f} ms", ""),
        ("First token, through the server (p50)", f"{r['first_token_server_p50_ms']:.2f} ms", ""),
        ("**Added first-token latency** (p50 server - p50 direct)",
         f"{r['first_token_added_p50_ms']:.2f} ms", "≤ 0.6 ms"),
        ("Added first-token latency, paired rounds (p50 / p95)",
         f"{r['first_token_added_paired_p50_ms']:.2f} / {r['first_token_added_paired_p95_ms']:.2f}"
         " ms", ""),
        ("No-op request round trip, `settings/get` (p50)",
         f"{r['noop_round_trip_p50_ms']:.2f} ms", "floor"),
        ("Fast stream, direct httpx reader",
         f"{r['throughput_direct_tokens_per_s']:,.0f} tokens/s", ""),
        ("**Fast stream relayed through the server**",
         f"{r['throughput_server_tokens_per_s']:,.0f} tokens/s", "≥ 70,000 tokens/s"),
        (f"**RSS, {CONCURRENT} concurrent streaming chats** (peak)",
         f"{r['concurrent_rss_peak_mb']:.1f} MB", "≤ 100 MB"),
        (f"{CONCURRENT} concurrent chats: crossed streams / distinct answers",
         f"{r['concurrent_crossed_streams']} / {r['concurrent_distinct_answers']}",
         f"0 / {CONCURRENT}"),
    ]
    lines = ["| measure | result | target |", "|---|---|---|"]
    lines += [f"| {name} | {value} | {target} |" for name, value, target in rows]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    emulator, base_url = start_emulator()
    try:
        with tempfile.TemporaryDirectory() as home:
            Path(home, "settings.json").write_text(
                json.dumps({"useCustomBaseUrl": True, "customBaseUrl": base_url})
            )
            env = {"OPENROUTER_LSP_HOME": home, "OPENROUTER_LSP_NO_KEYRING": "1",
                   "OPENROUTER_API_KEY": KEY}
            results = asyncio.run(run(args.rounds, base_url, env))
    finally:
        emulator.terminate()
        emulator.wait(5)
    results["machine_cpus"] = os.cpu_count()
    markdown = table(results)
    print(markdown)
    save_results("chat", results, markdown)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
