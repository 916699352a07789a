"""The relay against the physical floor, all measured in one run (issue 13).

Three parties, each as thin as it can be, so that what is left is the server's own cost:

- the upstream (`floor_upstream.py`, its own process): stdlib asyncio, one cached byte string per
  answer, no JSON parsing;
- the direct floor: the server's own `httpx.AsyncClient` (`openrouter.client.http_client`: same
  limits, timeouts, headers), one persistent connection, the very body and headers the server
  sent, encoded as the server encodes it (`strict_json.dumps`: orjson), read with `aiter_raw`,
  the server's `SSEDecoder` and its `EventTemplate` (an event shaped like the stream's earlier
  plain content events needs no decode) with one `raw_decode` for any other event: exactly what
  the server does before it can relay a token;
- the server's client: raw JSON-RPC over the server's stdio (pre-encoded frames, a byte-level
  frame reader, the arrival time taken when the bytes are read, before any parsing).

Every latency is paired: direct round, server round, no-op round, repeated `--rounds` times so
machine noise hits all three alike. The relay rounds pair `--relay-processes` server processes
with as many direct readers, each in a process of its own (`floor_direct.py`): one process of
either side can be several per cent faster or slower than another for its whole life. Absolute
numbers move with the machine's load; the ratios and differences within one run are what count.

Run: `python bench/bench_floor.py [--rounds 300] [--tp-rounds 201] [--relay-processes 3]
[--sequential 2000] [--paused 15]`; prints a markdown table with the issue's targets and writes
`.bench/floor.json` and `.bench/floor.md`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_chat import start_emulator
from bench_core import rss_mb, save_results
from openrouter_lsp import strict_json
from openrouter_lsp.openrouter.chat_stream import CONNECT_TIMEOUT_S
from openrouter_lsp.openrouter.client import http_client
from openrouter_lsp.openrouter.event_template import EventTemplate
from openrouter_lsp.openrouter.sse import DONE, SSEDecoder

HERE = Path(__file__).resolve().parent
KEY = "sk-or-v1-floor-bench-0000000000000000"
MODEL = "openai/gpt-4o"
SMALL_TOKENS = 11
BIG_PROMPT_CHARS = 400_000
THROUGHPUT_TOKENS = 20_000
BIG_RSS_CHATS = 60
PAUSE_S = 1.5  # longer than the session's trim delay (1 s) after big requests
SEARCHED = {"query": "gpt", "tools": True, "sort": "price"}
PAGE = 100
_decode = json.JSONDecoder().raw_decode


def big_prompt() -> str:
    """400,000 characters of code-like text: quotes and line breaks to escape, as an editor's."""
    line = 'def handler(request):  # "quoted" text, a tab\tand a backslash \\ to escape\n'
    text = line * (BIG_PROMPT_CHARS // len(line) + 1)
    return text[:BIG_PROMPT_CHARS]


def start_upstream() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([sys.executable, str(HERE / "floor_upstream.py")],
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("listening on "):
        process.kill()
        raise RuntimeError(f"the floor upstream did not start: {line!r}")
    return process, line.removeprefix("listening on ").strip()


# -- the server's client: raw JSON-RPC over stdio --------------------------------------------


def frame(message: dict[str, Any]) -> bytes:
    body = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def content_length(head: bytes) -> int:
    """The Content-Length of a frame's header (pygls also sends a Content-Type line)."""
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    raise ValueError(f"a frame without Content-Length: {head[:200]!r}")


class RawClient:
    """JSON-RPC over the server's stdio with nothing between the bytes and the clock.

    The server's stdout is read by the event loop straight into one reused buffer (`os.readv`
    when the pipe is readable), so the kernel's copy is the only one before a frame's arrival
    time is taken: asyncio's subprocess reader copies each 256 KiB read twice more and stops
    reading at 128 KiB buffered, which paced a 5 MB answer by this client (11 ms, against
    5-6 ms read this way).
    """

    def __init__(self, process: asyncio.subprocess.Process, stdout_fd: int) -> None:
        self.process = process
        self.pid = process.pid
        self.next_id = 0
        self.pending: dict[int, asyncio.Future[tuple[float, Any]]] = {}
        self.first_progress: dict[str, float] = {}
        self.progress_chars: dict[str, int] = {}
        self.stdout_fd = stdout_fd
        self.buffer = bytearray(1 << 20)
        self.filled = 0
        os.set_blocking(stdout_fd, False)
        asyncio.get_running_loop().add_reader(stdout_fd, self._readable)

    @classmethod
    async def start(cls, env: dict[str, str]) -> RawClient:
        return await cls.spawn([sys.executable, "-m", "openrouter_lsp"], env)

    @classmethod
    async def spawn(cls, command: list[str], env: dict[str, str]) -> RawClient:
        read_end, write_end = os.pipe()
        try:
            process = await asyncio.create_subprocess_exec(
                *command, stdin=asyncio.subprocess.PIPE, stdout=write_end,
                env={**os.environ, **env})
        finally:
            os.close(write_end)
        return cls(process, read_end)

    def prepare(self, method: str, params: Any) -> tuple[int, bytes]:
        self.next_id += 1
        return self.next_id, frame({"jsonrpc": "2.0", "id": self.next_id, "method": method,
                                    "params": params})

    async def send(self, msg_id: int, data: bytes) -> tuple[float, float, Any]:
        """Write a prepared request; (sent at, answered at, result)."""
        future: asyncio.Future[tuple[float, Any]] = asyncio.get_running_loop().create_future()
        self.pending[msg_id] = future
        stdin = self.process.stdin
        assert stdin is not None
        started = time.perf_counter()
        stdin.write(data)
        await stdin.drain()
        answered, result = await future
        return started, answered, result

    async def request(self, method: str, params: Any) -> Any:
        return (await self.send(*self.prepare(method, params)))[2]

    async def notify(self, method: str, params: Any) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        stdin.write(frame({"jsonrpc": "2.0", "method": method, "params": params}))
        await stdin.drain()

    def _readable(self) -> None:
        try:
            count = os.readv(self.stdout_fd, [memoryview(self.buffer)[self.filled :]])
        except BlockingIOError:
            return
        if not count:  # the server exited
            asyncio.get_running_loop().remove_reader(self.stdout_fd)
            return
        arrived = time.perf_counter()
        self.filled += count
        buffer, start = self.buffer, 0
        while (end := buffer.find(b"\r\n\r\n", start, self.filled)) >= 0:
            stop = end + 4 + content_length(bytes(buffer[start:end]))
            if stop > self.filled:
                break
            body = bytes(buffer[end + 4 : stop])  # parsed after the arrival time was taken
            start = stop
            self._on_message(json.loads(body), arrived)
        if start:  # what is left of the next frame goes to the front
            buffer[: self.filled - start] = buffer[start : self.filled]
            self.filled -= start
        if self.filled * 2 > len(buffer):  # room for the rest of a big frame, read in place
            buffer.extend(bytes(len(buffer)))

    def _on_message(self, message: dict[str, Any], arrived: float) -> None:
        if "method" in message:
            if message["method"] == "$/progress":
                token = message["params"]["token"]
                self.first_progress.setdefault(token, arrived)
                content = message["params"]["value"].get("content") or ""
                self.progress_chars[token] = self.progress_chars.get(token, 0) + len(content)
            elif "id" in message:  # a request from the server: any answer will do
                stdin = self.process.stdin
                assert stdin is not None
                stdin.write(frame({"jsonrpc": "2.0", "id": message["id"], "result": None}))
            return
        future = self.pending.pop(message["id"], None)
        if future is not None and not future.done():
            if "error" in message:
                future.set_exception(RuntimeError(json.dumps(message["error"])))
            else:
                future.set_result((arrived, message["result"]))

    async def initialize(self) -> None:
        await self.request("initialize", {"processId": os.getpid(), "capabilities": {}})
        await self.notify("initialized", {})

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.request("shutdown", None), 5)
            await self.notify("exit", None)
            stdin = self.process.stdin
            assert stdin is not None
            stdin.close()  # end of input: a server ignoring `exit` (the no-op floor's) ends too
            await asyncio.wait_for(self.process.wait(), 5)
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
        asyncio.get_running_loop().remove_reader(self.stdout_fd)
        os.close(self.stdout_fd)


# -- the direct floor ---------------------------------------------------------------------------


class Direct:
    """The server's HTTP client, used as the server uses it, on one kept-alive connection."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.client = http_client()
        strict_json.load_orjson()  # as the server does after `initialized`
        self.timeout = httpx.Timeout(connect=CONNECT_TIMEOUT_S, read=60.0, write=60.0, pool=30.0)
        self.body: dict[str, Any] = {}
        self.headers: dict[str, str] = {}

    async def copy_server_request(self, origin: str) -> None:
        """The very body and headers the server sent last (read back from the upstream)."""
        answer = await self.client.get(f"{origin}/_floor/last")
        last = answer.json()
        self.body = last["body"]
        wanted = {"authorization", "http-referer", "x-title", "x-openrouter-title",
                  "x-openrouter-categories", "accept", "content-type"}
        self.headers = {k: v for k, v in last["headers"].items() if k in wanted}

    async def chat(self, max_tokens: int) -> tuple[float, float, int]:
        """(first content delta, end of stream) in seconds after the request, and the tokens."""
        body = {**self.body, "max_tokens": max_tokens}
        decoder = SSEDecoder()
        # The server's own reader: events shaped like the stream's earlier plain content
        # events need no decode there, so none here either (the floor parses as the server).
        template = EventTemplate()
        contents: list[str] = []
        first = 0.0
        started = time.perf_counter()
        content = strict_json.dumps(body)  # the server's encoder: orjson, which it loads too
        async with self.client.stream("POST", f"{self.base_url}/chat/completions", content=content,
                                      headers=self.headers, timeout=self.timeout) as response:
            async for chunk in response.aiter_raw():
                events = decoder.feed(chunk)
                index = 0
                while True:
                    index, _ = template.take(events, index, contents)
                    if contents and not first:
                        first = time.perf_counter() - started
                    if index == len(events):
                        break
                    data = events[index]
                    index += 1
                    if data == DONE:
                        continue
                    event, _ = _decode(data)
                    delta = event["choices"][0]["delta"] if event["choices"] else {}
                    if delta.get("content"):
                        contents.append(delta["content"])
                        if not first:  # the first token, as soon as it is decoded
                            first = time.perf_counter() - started
                    template.learn(data, event)
        return first, time.perf_counter() - started, len(contents)


class DirectProcess:
    """A `Direct` reader in a process of its own (`floor_direct.py`): one stream per request."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.pid = process.pid

    @classmethod
    async def start(cls, base_url: str, origin: str) -> DirectProcess:
        process = await asyncio.create_subprocess_exec(
            sys.executable, str(HERE / "floor_direct.py"), base_url, origin,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        reader = cls(process)
        assert process.stdout is not None
        line = await process.stdout.readline()
        if line.strip() != b"ready":
            await reader.close()
            raise RuntimeError(f"the direct reader did not start: {line!r}")
        return reader

    async def chat(self, max_tokens: int) -> tuple[float, int, float]:
        """(elapsed s, tokens, CPU s) of one stream, as the reader measured them."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(b"%d\n" % max_tokens)
        await self.process.stdin.drain()
        elapsed, tokens, cpu = (await self.process.stdout.readline()).split()
        return float(elapsed), int(tokens), float(cpu)

    async def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            await asyncio.wait_for(self.process.wait(), 5)
        except asyncio.TimeoutError:
            self.process.kill()
            await self.process.wait()


# -- the run ------------------------------------------------------------------------------------


class Pinning:
    """Each relay stream runs with its reading process (the direct reader, this process; or the
    server) alone on one CPU, every other party on the rest, the CPU alternating pair by pair.

    Why: this machine's two CPUs differ in speed by up to 30 % for seconds at a time (the same
    loop pinned to each: 71 against 88-93 ms), and a process stays on the CPU it ran on. Unpinned,
    one run compared a server on the slow CPU with a reader on the fast one (server CPU 54.6 ms
    per stream against the reader's 54.0), the next the reverse (35.5 against 50.4). Pinned, both
    sides of a pair run on the same CPU. No-op where affinity cannot be set (one CPU, not Linux).
    """

    def __init__(self, others: list[int]) -> None:
        self.others = others  # pids besides the reader: the upstream, and any other server
        cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
        self.cpus = cpus if len(cpus) >= 2 else []

    def pin(self, reader: int, pair: int) -> None:
        if not self.cpus:
            return
        mine = self.cpus[pair % len(self.cpus)]
        rest = set(self.cpus) - {mine}
        for pid in {reader, os.getpid(), *self.others}:
            with contextlib.suppress(OSError):  # a process that has exited
                os.sched_setaffinity(pid, {mine} if pid == reader else rest)

    def release(self) -> None:
        for pid in {os.getpid(), *self.others}:
            with contextlib.suppress(OSError):
                os.sched_setaffinity(pid, set(self.cpus))


def cpu_seconds(pid: int) -> float:
    """A process's user and system CPU time (`/proc/<pid>/stat`'s utime and stime)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def minor_faults(pid: int) -> int:
    """A process's minor page faults so far (`/proc/<pid>/stat`'s minflt)."""
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[7])


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def ms(values: list[float]) -> dict[str, float]:
    return {"p50": statistics.median(values) * 1000, "p95": pct(values, 0.95) * 1000}


class Run:
    def __init__(self, client: RawClient, direct: Direct, origin: str) -> None:
        self.client = client
        self.direct = direct
        self.origin = origin
        self.rounds = 0

    def chat_frame(self, prompt: str, max_tokens: int,
                   client: RawClient | None = None) -> tuple[str, int, bytes]:
        self.rounds += 1
        token = f"t{self.rounds}"
        msg_id, data = (client or self.client).prepare("openrouter/chat", {
            "messages": [{"role": "user", "content": prompt}], "modelId": MODEL,
            "maxTokens": max_tokens, "partialResultToken": token,
        })
        return token, msg_id, data

    async def server_chat(self, prompt: str, max_tokens: int,
                          client: RawClient | None = None) -> tuple[float, float, Any]:
        """One chat with the run's server (or `client`): first progress, answer, result."""
        client = client or self.client
        token, msg_id, data = self.chat_frame(prompt, max_tokens, client)
        started, answered, result = await client.send(msg_id, data)
        first = client.first_progress.pop(token) - started
        chars = client.progress_chars.pop(token)
        assert chars == len(result["content"]), (chars, len(result["content"]))
        return first, answered - started, result

    async def noop(self) -> float:
        started, answered, _ = await self.client.send(
            *self.client.prepare("openrouter/settings/get", {}))
        return answered - started

    async def latency(self, prompt: str, rounds: int,
                      at_round: Callable[[int], None] | None = None) -> dict[str, Any]:
        for _ in range(10):  # warm both paths
            await self.direct.chat(SMALL_TOKENS)
            await self.server_chat(prompt, SMALL_TOKENS)
        direct, server, noop = [], [], []
        for i in range(rounds):  # interleaved, so machine noise hits all three alike
            direct.append((await self.direct.chat(SMALL_TOKENS))[0])
            server.append((await self.server_chat(prompt, SMALL_TOKENS))[0])
            noop.append(await self.noop())
            if at_round is not None:
                at_round(i + 1)
        added = [s - d for s, d in zip(server, direct, strict=True)]
        return {"direct_ms": ms(direct), "server_ms": ms(server), "noop_ms": ms(noop),
                "added_p50_ms": (statistics.median(server) - statistics.median(direct)) * 1000,
                "added_paired_ms": ms(added), "rounds": rounds}

    async def throughput(self, rounds: int, upstream_pid: int, servers: list[RawClient],
                         readers: list[DirectProcess]) -> dict[str, Any]:
        """Relay rounds: round i pairs server process `i % S` with reader process `(i // S) % R`,
        so every server meets every reader (see `floor_direct.py` for why several of each)."""
        everyone = [upstream_pid, *(s.pid for s in servers), *(r.pid for r in readers)]
        pinning = Pinning(everyone)
        for reader in readers:
            await reader.chat(THROUGHPUT_TOKENS)
        for server in servers:
            await self.server_chat("throughput", THROUGHPUT_TOKENS, server)
        direct, server_tps, direct_cpu, server_cpu = [], [], [], []
        server_of, reader_of = [], []

        async def direct_round(pair: int) -> None:
            reader = readers[(pair // len(servers)) % len(readers)]
            pinning.pin(reader.pid, pair)
            elapsed, tokens, cpu = await reader.chat(THROUGHPUT_TOKENS)
            direct_cpu.append(cpu)
            assert tokens == THROUGHPUT_TOKENS
            direct.append(THROUGHPUT_TOKENS / elapsed)
            reader_of.append(readers.index(reader))

        async def server_round(pair: int) -> None:
            client = servers[pair % len(servers)]
            pinning.pin(client.pid, pair)
            cpu = cpu_seconds(client.pid)
            _, elapsed, result = await self.server_chat("throughput", THROUGHPUT_TOKENS, client)
            server_cpu.append(cpu_seconds(client.pid) - cpu)
            assert result["usage"]["completionTokens"] == THROUGHPUT_TOKENS
            server_tps.append(THROUGHPUT_TOKENS / elapsed)
            server_of.append(servers.index(client))

        try:
            for i in range(rounds):
                # The order swaps each round: this machine's speed comes in bursts (a VM's CPU
                # share) that a fixed order would meet at the same place of every pair.
                for side in (direct_round, server_round)[:: 1 if i % 2 else -1]:
                    await side(i)
        finally:
            pinning.release()
        ratios = [s / d for s, d in zip(server_tps, direct, strict=True)]

        def by_process(owner: list[int], count: int) -> list[float]:
            return [statistics.median([r for r, o in zip(ratios, owner, strict=True) if o == k])
                    for k in range(count)]

        return {
            "direct_tokens_per_s": statistics.median(direct),
            "server_tokens_per_s": statistics.median(server_tps),
            # Each server round runs right after its direct round, under the same load: the
            # median of these paired ratios is steadier than a ratio of two medians, which a
            # few slow rounds on one side only move (kept below for comparison).
            "ratio": statistics.median(ratios),
            "ratio_of_medians": statistics.median(server_tps) / statistics.median(direct),
            # Two halves of the run, as two shorter runs: they agree when the rounds suffice.
            "ratio_first_half": statistics.median(ratios[: rounds // 2]),
            "ratio_second_half": statistics.median(ratios[rounds // 2 :]),
            # By the order within the pair (odd rounds: direct first), to see any order effect.
            "ratio_direct_first": statistics.median(ratios[1::2]),
            "ratio_server_first": statistics.median(ratios[0::2]),
            # The spread between processes: each server's (each reader's) median paired ratio.
            "ratio_by_server": by_process(server_of, len(servers)),
            "ratio_by_reader": by_process(reader_of, len(readers)),
            # CPU per stream, which the machine's bursts do not stretch: the server processes'
            # (from /proc) and the readers' (their own process time for the stream's reading).
            # Means: /proc counts in 10 ms ticks, so one stream's figure is a multiple of 10.
            "server_cpu_ms": statistics.mean(server_cpu) * 1000,
            "direct_cpu_ms": statistics.mean(direct_cpu) * 1000,
            "rounds": rounds,
        }

    async def after_pause(self, prompt: str, chats: int) -> dict[str, Any]:
        """First tokens of big prompts each sent after a pause longer than the session's trim
        delay (`lsp.session.TRIM_AFTER_S`): what a user's occasional big prompt meets, where the
        latency rounds measure a burst. Direct round, then server round, after each pause."""
        direct, server, faults = [], [], []
        for _ in range(chats):
            await asyncio.sleep(PAUSE_S)
            direct.append((await self.direct.chat(SMALL_TOKENS))[0])
            before = minor_faults(self.client.pid)
            server.append((await self.server_chat(prompt, SMALL_TOKENS))[0])
            faults.append(minor_faults(self.client.pid) - before)
        added = [s - d for s, d in zip(server, direct, strict=True)]
        return {"direct_ms": ms(direct), "server_ms": ms(server), "added_paired_ms": ms(added),
                "faults_p50": statistics.median(faults), "chats": chats}

    async def sequential(self, chats: int) -> dict[str, float]:
        for _ in range(200):  # the steady state: pools, caches and free lists filled
            await self.server_chat("sequential", SMALL_TOKENS)
        await asyncio.sleep(0.5)
        before = rss_mb(self.client.pid)
        for _ in range(chats):
            await self.server_chat("sequential", SMALL_TOKENS)
        await asyncio.sleep(0.5)
        after = rss_mb(self.client.pid)
        return {"chats": chats, "rss_before_mb": before, "rss_after_mb": after,
                "growth_mb": after - before}


def server_env(home: str, base_url: str) -> dict[str, str]:
    Path(home, "settings.json").write_text(
        json.dumps({"useCustomBaseUrl": True, "customBaseUrl": base_url}))
    return {"OPENROUTER_LSP_HOME": home, "OPENROUTER_LSP_NO_KEYRING": "1",
            "OPENROUTER_API_KEY": KEY}


async def main_run(args: argparse.Namespace, origin: str, upstream_pid: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    base_url = f"{origin}/api/v1"
    with tempfile.TemporaryDirectory() as home:
        client = await RawClient.start(server_env(home, base_url))
        direct = Direct(base_url)
        run = Run(client, direct, origin)
        try:
            await client.initialize()
            await asyncio.sleep(1.0)  # settle: the HTTP stack is preloaded after `initialized`
            results["rss_idle_mb"] = rss_mb(client.pid)
            models = await client.request("openrouter/models/list", {})
            assert len(models["models"]) == 337
            await asyncio.sleep(0.5)
            results["rss_catalogue_mb"] = rss_mb(client.pid)
            await run.server_chat("warm", SMALL_TOKENS)
            await direct.copy_server_request(origin)
            results["small"] = await run.latency("Benchmark prompt", args.rounds)
            print("small prompt done", file=sys.stderr)
            prompt = big_prompt()

            def at_round(i: int) -> None:
                if i == BIG_RSS_CHATS:
                    results["rss_after_60_big_mb"] = rss_mb(client.pid)

            await run.server_chat(prompt, SMALL_TOKENS)
            await direct.copy_server_request(origin)  # the big body, as the server sent it
            results["big"] = await run.latency(prompt, args.rounds, at_round)
            await asyncio.sleep(1.5)  # the server returns a big request's heap once they pause
            results["rss_after_big_rounds_mb"] = rss_mb(client.pid)
            results.setdefault("rss_after_60_big_mb", float("nan"))  # fewer rounds than 60
            if args.paused:
                results["big_after_pause"] = await run.after_pause(prompt, args.paused)
            print("big prompt done", file=sys.stderr)
            results["throughput"] = await relay_rounds(run, args, base_url, origin, upstream_pid)
            print("throughput done", file=sys.stderr)
            if args.sequential:
                results["sequential"] = await run.sequential(args.sequential)
        finally:
            await client.close()
            await direct.client.aclose()
        if not args.only_relay:
            results["later_start"] = await later_start_rss(home, base_url)
    return results


async def relay_rounds(run: Run, args: argparse.Namespace, base_url: str, origin: str,
                       upstream_pid: int) -> dict[str, Any]:
    """`--relay-processes` servers (the run's own and fresh ones) against as many direct reader
    processes, started once the server's plain request is the upstream's last."""
    servers = [run.client]
    readers: list[DirectProcess] = []
    homes = [tempfile.TemporaryDirectory() for _ in range(args.relay_processes - 1)]
    try:
        for home in homes:
            server = await RawClient.start(server_env(home.name, base_url))
            servers.append(server)
            await server.initialize()
        # Each new server's first chat, then the run's server's: the readers copy its body.
        for server in [*servers[1:], run.client]:
            await run.server_chat("Benchmark prompt", SMALL_TOKENS, server)
        for _ in range(args.relay_processes):
            readers.append(await DirectProcess.start(base_url, origin))
        return await run.throughput(args.tp_rounds, upstream_pid, servers, readers)
    finally:
        for reader in readers:
            await reader.close()
        for server in servers[1:]:
            await server.close()
        for home in homes:
            home.cleanup()


async def later_start_rss(home: str, base_url: str) -> dict[str, float]:
    """RSS after the catalogue when the server starts again in the same state folder (its
    generated-code cache written by the first start): once with the catalogue fetched again (as
    an hour later), once read from its disk cache (as within the hour)."""
    results: dict[str, float] = {}
    for case in ("fetched", "from_disk"):
        if case == "fetched":
            for cached in Path(home, "cache").glob("models-*.json"):
                cached.unlink()
        client = await RawClient.start(server_env(home, base_url))
        try:
            await client.initialize()
            await asyncio.sleep(1.0)
            results[f"{case}_idle_mb"] = rss_mb(client.pid)
            await client.request("openrouter/models/list", {})
            await asyncio.sleep(0.5)
            results[f"{case}_catalogue_mb"] = rss_mb(client.pid)
        finally:
            await client.close()
    return results


async def emulator_floor(rounds: int) -> dict[str, Any]:
    """The direct client against the emulator, to show why the emulator is not the floor."""
    process, base_url = start_emulator(KEY)
    direct = Direct(base_url)
    try:
        direct.body = {"model": MODEL, "messages": [{"role": "user", "content": "Benchmark"}],
                       "stream": True}
        direct.headers = {"authorization": f"Bearer {KEY}"}
        for _ in range(10):
            await direct.chat(SMALL_TOKENS)
        firsts = [(await direct.chat(SMALL_TOKENS))[0] for _ in range(rounds)]
        return {"direct_ms": ms(firsts), "rounds": rounds}
    finally:
        await direct.client.aclose()
        process.terminate()
        process.wait(5)


async def catalogue_run(origin: str, rounds: int) -> dict[str, Any]:
    """A synthetic 5,000-model catalogue (`/synth/` on the floor upstream)."""
    with tempfile.TemporaryDirectory() as home:
        client = await RawClient.start(server_env(home, f"{origin}/synth/api/v1"))
        try:
            await client.initialize()
            await asyncio.sleep(1.0)
            idle = rss_mb(client.pid)
            started = time.perf_counter()
            models = await client.request("openrouter/models/list", {})
            cold = time.perf_counter() - started
            assert len(models["models"]) == 5_000, len(models["models"])
            del models
            warm, searched, page, searched_page, fresh_page = [], [], [], [], []
            paging = await _pages(client)

            async def answer_time(params: dict[str, Any]) -> float:
                # Until the answer's last byte is read, as the latency rows: the client's own
                # parse of a 5,000-model answer (~50 ms in this Python client) is not the
                # server's cost, and an editor pays it whichever server answers. Right after
                # that parse, this client is woken ~4.5 ms late by the next answer (measured:
                # the server wrote it in 2 ms; 5 ms of idle first, or no parse, and it is not);
                # a picker's next request does not come within a millisecond of the last.
                await asyncio.sleep(0.005)
                started, answered, _ = await client.send(
                    *client.prepare("openrouter/models/list", params))
                return answered - started

            for _ in range(rounds):
                warm.append(await answer_time({}))
                searched.append(await answer_time(SEARCHED))
                if paging:  # what a picker asks for: the first 100
                    page.append(await answer_time({"limit": PAGE}))
                    searched_page.append(await answer_time({**SEARCHED, "limit": PAGE}))
                    # The same search, as the server has not seen it (its last orders are kept
                    # by what was asked; a `minContext` below every model's changes only that).
                    fresh = {**SEARCHED, "limit": PAGE, "minContext": len(fresh_page) + 1}
                    fresh_page.append(await answer_time(fresh))
            await asyncio.sleep(0.5)
            loaded = rss_mb(client.pid)
        finally:
            await client.close()
    return {"models": 5_000, "rss_idle_mb": idle, "rss_loaded_mb": loaded,
            "cold_ms": cold * 1000, "warm_ms": ms(warm), "searched_ms": ms(searched),
            "rounds": rounds,
            **({"page_ms": ms(page), "searched_page_ms": ms(searched_page),
                "searched_fresh_page_ms": ms(fresh_page)} if paging else {})}


async def _pages(client: RawClient) -> bool:
    """Whether the server pages `models/list` (a release before `limit` ignores it)."""
    result = await client.request("openrouter/models/list", {"limit": PAGE})
    if "total" not in result:
        return False
    assert len(result["models"]) == PAGE and result["total"] == 5_000, result["total"]
    return True


def startup(rounds: int, origin: str) -> dict[str, float]:
    sys.path.insert(0, str(HERE))
    from bench_core import bench_startup  # the same interleaved measure as bench_core.py

    with tempfile.TemporaryDirectory() as home:
        return asyncio.run(bench_startup(rounds, server_env(home, f"{origin}/api/v1")))


def table(r: dict[str, Any]) -> str:
    rows = relay_rows(r) if "small" in r else []
    if "catalogue" in r:
        rows += catalogue_rows(r)
    if "startup" in r:
        u = r["startup"]
        rows.append(("**Start-up** ours / bare pygls (p50)",
                     f"{u['startup_ratio']:.3f} ({u['startup_ours_p50_ms']:.0f} / "
                     f"{u['startup_bare_pygls_p50_ms']:.0f} ms)", "≤ 1.0"))
        rows.append(("Start-up, the first start in a new state folder (it compiles and writes "
                     "the code cache) / bare pygls (p50)",
                     f"{u['startup_first_ratio']:.3f} ({u['startup_first_p50_ms']:.0f} ms)", ""))
    if "emulator" in r:
        rows.append(("Direct first token p50 from the emulator (not the floor)",
                     f"{r['emulator']['direct_ms']['p50']:.2f} ms", ""))
    lines = ["| measure | result | target |", "|---|---|---|"]
    lines += [f"| {name} | {value} | {target} |" for name, value, target in rows]
    return "\n".join(lines)


def relay_rows(r: dict[str, Any]) -> list[tuple[str, str, str]]:
    s, b, t = r["small"], r["big"], r["throughput"]
    rows = [
        ("First token p50, 11-token reply: direct floor / server",
         f"{s['direct_ms']['p50']:.2f} / {s['server_ms']['p50']:.2f} ms", ""),
        ("**Added first-token latency p50, small prompt** (server - direct)",
         f"{s['added_p50_ms']:.2f} ms (paired p50 {s['added_paired_ms']['p50']:.2f}, "
         f"p95 {s['added_paired_ms']['p95']:.2f})", "≤ 0.6 ms"),
        ("No-op round trip `settings/get` p50 / p95",
         f"{s['noop_ms']['p50']:.2f} / {s['noop_ms']['p95']:.2f} ms", "floor of any request"),
        ("First token p50, 400,000-character prompt: direct floor / server",
         f"{b['direct_ms']['p50']:.2f} / {b['server_ms']['p50']:.2f} ms", ""),
        ("**Added first-token latency p50, 400,000-character prompt**",
         f"{b['added_p50_ms']:.2f} ms (paired p50 {b['added_paired_ms']['p50']:.2f}, "
         f"p95 {b['added_paired_ms']['p95']:.2f})", "≤ 1.5 ms"),
        *paused_rows(r),
        ("Relay of a 20,000-token stream: direct / server",
         f"{t['direct_tokens_per_s']:,.0f} / {t['server_tokens_per_s']:,.0f} tokens/s", ""),
        ("**Relay ratio** server / direct, median of paired rounds (halves of the run; "
         "ratio of the medians)",
         f"{t['ratio']:.3f}x ({t['ratio_first_half']:.3f}, {t['ratio_second_half']:.3f}; "
         f"{t['ratio_of_medians']:.3f})", "≥ 0.95x"),
        ("Relay ratio of the rounds where the direct stream ran first / second",
         f"{t['ratio_direct_first']:.3f}x / {t['ratio_server_first']:.3f}x", ""),
        (f"Relay ratio by process, {len(t['ratio_by_server'])} servers / "
         f"{len(t['ratio_by_reader'])} direct readers (each one's median)",
         f"{' '.join(f'{x:.3f}' for x in t['ratio_by_server'])} / "
         f"{' '.join(f'{x:.3f}' for x in t['ratio_by_reader'])}", ""),
        ("Relay CPU per 20,000-token stream: direct reader / server process (mean)",
         f"{t['direct_cpu_ms']:.1f} / {t['server_cpu_ms']:.1f} ms", ""),
        ("**RSS idle after the catalogue**, the first start in a new state folder (idle before it)",
         f"{r['rss_catalogue_mb']:.1f} MB ({r['rss_idle_mb']:.1f})", "≤ 50 MB"),
        *later_start_rows(r),
        (f"**RSS after {BIG_RSS_CHATS} big-prompt chats**, in the burst (all {b['rounds'] + 11}"
         ", then 1.5 s idle)",
         f"{r['rss_after_60_big_mb']:.1f} MB ({r['rss_after_big_rounds_mb']:.1f})", "≤ 60 MB"),
    ]
    if "sequential" in r:
        q = r["sequential"]
        rows.append((f"**RSS growth over {q['chats']:,} sequential chats**",
                     f"{q['growth_mb']:+.1f} MB ({q['rss_before_mb']:.1f} → "
                     f"{q['rss_after_mb']:.1f})", "none"))
    return rows


def paused_rows(r: dict[str, Any]) -> list[tuple[str, str, str]]:
    if "big_after_pause" not in r:
        return []
    p = r["big_after_pause"]
    return [(f"Added first-token latency, 400,000-character prompt after a {PAUSE_S:g} s pause "
             f"(the heap returned; {p['chats']} chats): paired p50 (server's minor page faults "
             "per chat)",
             f"{p['added_paired_ms']['p50']:.2f} ms ({p['faults_p50']:.0f}); direct / server "
             f"{p['direct_ms']['p50']:.2f} / {p['server_ms']['p50']:.2f} ms", "")]


def later_start_rows(r: dict[str, Any]) -> list[tuple[str, str, str]]:
    if "later_start" not in r:
        return []
    later = r["later_start"]
    return [
        ("RSS idle after the catalogue, a later start (the code cache written by the first): "
         "the catalogue fetched again / read from its disk cache (idle before it)",
         f"{later['fetched_catalogue_mb']:.1f} MB ({later['fetched_idle_mb']:.1f}) / "
         f"{later['from_disk_catalogue_mb']:.1f} MB ({later['from_disk_idle_mb']:.1f})",
         "≤ 50 MB"),
    ]


def catalogue_rows(r: dict[str, Any]) -> list[tuple[str, str, str]]:
    c = r["catalogue"]
    rows = [
        ("**5,000-model catalogue: warm `models/list`**, all of it, p50 (p95)",
         f"{c['warm_ms']['p50']:.2f} ms ({c['warm_ms']['p95']:.2f})", "≤ 10 ms"),
        ("**5,000-model catalogue: filtered search**, every match, p50 (p95)",
         f"{c['searched_ms']['p50']:.2f} ms ({c['searched_ms']['p95']:.2f})", "≤ 5 ms"),
    ]
    if "page_ms" in c:
        rows += [
            (f"**5,000-model catalogue: first page of {PAGE}** (`limit`) p50 (p95)",
             f"{c['page_ms']['p50']:.2f} ms ({c['page_ms']['p95']:.2f})", "≤ 10 ms"),
            (f"**5,000-model catalogue: filtered search, first {PAGE}** p50 (p95)",
             f"{c['searched_page_ms']['p50']:.2f} ms ({c['searched_page_ms']['p95']:.2f})",
             "≤ 5 ms"),
            (f"**5,000-model catalogue: filtered search, first {PAGE}, not asked before** p50 "
             "(p95)", f"{c['searched_fresh_page_ms']['p50']:.2f} ms "
             f"({c['searched_fresh_page_ms']['p95']:.2f})", "≤ 5 ms"),
        ]
    growth = f"({c['rss_loaded_mb'] - c['rss_idle_mb']:+.1f} over idle)"
    if "rss_catalogue_mb" in r:
        growth = f"{c['rss_loaded_mb'] - r['rss_catalogue_mb']:+.1f} MB {growth}"
    rows.append(("**5,000-model catalogue: RSS growth** over the 337-model server", growth,
                 "≤ 15 MB"))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=300, help="latency rounds per prompt size")
    parser.add_argument("--tp-rounds", type=int, default=201, help="20,000-token streams each")
    parser.add_argument("--relay-processes", type=int, default=3,
                        help="server processes and direct reader processes in the relay rounds")
    parser.add_argument("--sequential", type=int, default=2000, help="0 to skip")
    parser.add_argument("--paused", type=int, default=15,
                        help="big prompts sent after a pause each (0 to skip)")
    parser.add_argument("--only-relay", action="store_true",
                        help="skip the catalogue, start-up and emulator measures")
    parser.add_argument("--only-catalogue", action="store_true",
                        help="only the 5,000-model catalogue's measures")
    args = parser.parse_args()
    upstream, origin = start_upstream()
    origin = origin.rstrip("/")
    try:
        if args.only_catalogue:
            results = {"catalogue": asyncio.run(catalogue_run(origin, 50))}
        else:
            results = asyncio.run(main_run(args, origin, upstream.pid))
        if not args.only_relay and not args.only_catalogue:
            results["catalogue"] = asyncio.run(catalogue_run(origin, 50))
            results["startup"] = startup(10, origin)
            results["emulator"] = asyncio.run(emulator_floor(100))
    finally:
        upstream.terminate()
        upstream.wait(5)
    results["machine_cpus"] = os.cpu_count()
    results["load_average"] = os.getloadavg()
    markdown = table(results)
    print(markdown)
    save_results("floor", results, markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
