"""The memory floor: what a bare pygls server costs once it has fetched the same catalogue with
httpx, beside openrouter-lsp doing the same, in one run.

Issue 13 asks ≤ 50 MB idle after the catalogue. A bare pygls server (no features) idles at ~40 MB
on this machine before it has any HTTP stack; fetching 337 models over httpx (its import, the
`AsyncClient` with its TLS context and CA store, httpcore, h11, anyio under asyncio, the parsed
JSON kept, the freed body handed back with `malloc_trim`) is the least a server in this stack
carries to have a catalogue with pygls as it comes. That floor is measured here, so the server's
own share (settings, chat, search, its modules) is the difference. Since the seventh round that
share is negative (-7 MB): the server keeps less of the code attrs generates for lsprotocol than
the bare server does (`generated_code.py`).

Both servers are spawned alternately (`--rounds` each), idle 1 s after `initialized`, then asked
for the catalogue from `floor_upstream.py` and measured 0.5 s later (VmRSS, robust to CPU load).

    PYTHONPATH=server .venv/bin/python bench/bench_memory_floor.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_core import rss_mb
from bench_floor import RawClient, server_env, start_upstream

# A bare pygls server with one request: fetch and keep the catalogue, as plainly as httpx allows.
FLOOR_SERVER = """
import ctypes, gc
from pygls.lsp.server import LanguageServer
server = LanguageServer("floor", "0")
kept = []

@server.feature("floor/models")
async def models(params):
    import httpx
    async with httpx.AsyncClient() as client:
        response = await client.get(params.url)
    kept.append(response.json()["data"])
    del response
    gc.collect()
    ctypes.CDLL(None).malloc_trim(0)  # the freed body back to the OS, as the server does
    return len(kept[-1])

server.start_io()
"""


async def measure(command: list[str], env: dict[str, str], fetch: tuple[str, dict[str, str]]
                  ) -> tuple[float, float]:
    client = await RawClient.spawn(command, env)
    try:
        await client.initialize()
        await asyncio.sleep(1.0)  # the server's HTTP stack is preloaded after `initialized`
        idle = rss_mb(client.pid)
        await client.request(*fetch)
        await asyncio.sleep(0.5)
        return idle, rss_mb(client.pid)
    finally:
        await client.close()


async def run(rounds: int) -> dict[str, list[tuple[float, float]]]:
    upstream, origin = start_upstream()
    results: dict[str, list[tuple[float, float]]] = {"floor": [], "ours": []}
    try:
        with tempfile.TemporaryDirectory() as home:
            env = server_env(home, f"{origin}/api/v1")
            floor_fetch = ("floor/models", {"url": f"{origin}/api/v1/models"})
            for _ in range(rounds):  # alternated, so both see the same machine
                results["floor"].append(await measure(
                    [sys.executable, "-c", FLOOR_SERVER], env, floor_fetch))
                results["ours"].append(await measure(
                    [sys.executable, "-m", "openrouter_lsp"], env,
                    ("openrouter/models/list", {})))
    finally:
        upstream.kill()
    return results


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results = asyncio.run(run(args.rounds))
    print("| server | RSS idle | RSS after the catalogue |\n|---|---|---|")
    for name, label in (("floor", "bare pygls + httpx fetching the catalogue (the floor)"),
                        ("ours", "openrouter-lsp")):
        idle = statistics.median(r[0] for r in results[name])
        loaded = statistics.median(r[1] for r in results[name])
        print(f"| {label} | {idle:.1f} MB | {loaded:.1f} MB |")
    ours = statistics.median(r[1] for r in results["ours"])
    floor = statistics.median(r[1] for r in results["floor"])
    print(f"\nopenrouter-lsp's own share after the catalogue: {ours - floor:+.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
