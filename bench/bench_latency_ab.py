"""First-token latency of two server trees in one run, their rounds interleaved (issue 13).

Whole `bench_floor.py` runs of two trees taken minutes apart differ by more than the change under
test on a shared 2-core machine (another session's test suite doubles the figures). Here both
servers are alive at once, against the same floor upstream and the same direct client, and
every round runs direct, tree A, tree B, no-op A, no-op B (A and B swap places each round), so
a stall hits both trees alike. The paired p50 of B - A is the change's effect. The tree started
first (A) measured up to ~0.5 ms faster on this machine than in position B: run both orders
(`--a X --b Y`, then `--a Y --b X`) and give both.

Run: `python bench/bench_latency_ab.py --a /tmp/base/server --b server [--rounds 300]`
(the two `server` folders put first on each server's PYTHONPATH; this script itself imports
the measuring side from the first tree on its own PYTHONPATH).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_core import save_results
from bench_floor import (
    SMALL_TOKENS,
    THROUGHPUT_TOKENS,
    Direct,
    Pinning,
    RawClient,
    Run,
    big_prompt,
    cpu_seconds,
    ms,
    server_env,
    start_upstream,
)


async def start(tree: str, home: str, base_url: str) -> RawClient:
    env = server_env(home, base_url)
    env["PYTHONPATH"] = os.pathsep.join([tree, os.environ.get("PYTHONPATH", "")])
    client = await RawClient.start(env)
    await client.initialize()
    return client


async def compare(
    trees: dict[str, str], rounds: int, origin: str, relay_rounds: int = 0, upstream_pid: int = 0
) -> dict[str, Any]:
    base_url = f"{origin}/api/v1"
    with tempfile.TemporaryDirectory() as home_a, tempfile.TemporaryDirectory() as home_b:
        homes = dict(zip(trees, (home_a, home_b), strict=True))
        clients = {name: await start(tree, homes[name], base_url) for name, tree in trees.items()}
        direct = Direct(base_url)
        runs = {name: Run(client, direct, origin) for name, client in clients.items()}
        results: dict[str, Any] = {}
        try:
            await asyncio.sleep(1.0)  # the HTTP stack is preloaded after `initialized`
            for client in clients.values():
                await client.request("openrouter/models/list", {})
            for size, prompt in (("small", "Benchmark prompt"), ("big", big_prompt())):
                bodies = []
                for run in runs.values():
                    await run.server_chat(prompt, SMALL_TOKENS)
                    await direct.copy_server_request(origin)
                    bodies.append(json.dumps(direct.body, sort_keys=True))
                results[f"{size}_same_body"] = len(set(bodies)) == 1
                results[size] = await interleaved(runs, direct, prompt, rounds)
                print(f"{size} prompt done", file=sys.stderr)
            if relay_rounds:
                results["relay"] = await relay(runs, direct, relay_rounds, upstream_pid)
        finally:
            for client in clients.values():
                await client.close()
            await direct.client.aclose()
    return results


async def interleaved(
    runs: dict[str, Run], direct: Direct, prompt: str, rounds: int
) -> dict[str, Any]:
    names = list(runs)
    for _ in range(10):  # warm every path
        await direct.chat(SMALL_TOKENS)
        for run in runs.values():
            await run.server_chat(prompt, SMALL_TOKENS)
    firsts: dict[str, list[float]] = {name: [] for name in names}
    noops: dict[str, list[float]] = {name: [] for name in names}
    floor: list[float] = []
    for i in range(rounds):
        floor.append((await direct.chat(SMALL_TOKENS))[0])
        order = names if i % 2 == 0 else names[::-1]
        for name in order:
            firsts[name].append((await runs[name].server_chat(prompt, SMALL_TOKENS))[0])
        for name in order:
            noops[name].append(await runs[name].noop())
    a, b = names
    out: dict[str, Any] = {"rounds": rounds, "direct_ms": ms(floor)}
    for name in names:
        added = [s - d for s, d in zip(firsts[name], floor, strict=True)]
        out[name] = {"server_ms": ms(firsts[name]), "added_paired_ms": ms(added),
                     "added_p50_ms": (statistics.median(firsts[name])
                                      - statistics.median(floor)) * 1000,
                     "noop_ms": ms(noops[name])}
    out["b_minus_a_ms"] = ms([y - x for x, y in zip(firsts[a], firsts[b], strict=True)])
    out["noop_b_minus_a_ms"] = ms([y - x for x, y in zip(noops[a], noops[b], strict=True)])
    return out


async def relay(
    runs: dict[str, Run], direct: Direct, rounds: int, upstream_pid: int
) -> dict[str, Any]:
    """20,000-token streams: direct, A and B each round, the order rotating, each stream's reader
    alone on the round's CPU (`bench_floor.Pinning`); each tree's ratio to the direct stream of
    its round, and its server's CPU per stream."""
    names = list(runs)
    pinning = Pinning([upstream_pid, *(run.client.pid for run in runs.values())])
    sides = ["direct", *names]
    rates: dict[str, list[float]] = {side: [] for side in sides}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    try:
        for i in range(rounds + 3):  # the first three warm every path
            turn = i % len(sides)
            for side in sides[turn:] + sides[:turn]:
                pinning.pin(os.getpid() if side == "direct" else runs[side].client.pid, i)
                if side == "direct":
                    _, elapsed, _ = await direct.chat(THROUGHPUT_TOKENS)
                else:
                    before = cpu_seconds(runs[side].client.pid)
                    _, elapsed, _ = await runs[side].server_chat("throughput", THROUGHPUT_TOKENS)
                    if i >= 3:
                        cpu[side].append(cpu_seconds(runs[side].client.pid) - before)
                if i >= 3:
                    rates[side].append(THROUGHPUT_TOKENS / elapsed)
    finally:
        pinning.release()
    out: dict[str, Any] = {"rounds": rounds}
    for name in names:
        ratios = [s / d for s, d in zip(rates[name], rates["direct"], strict=True)]
        out[name] = {"ratio": statistics.median(ratios),
                     "cpu_ms": statistics.mean(cpu[name]) * 1000}
    return out


def report(r: dict[str, Any]) -> str:
    lines = ["| prompt | direct p50 | A added p50 (paired) | B added p50 (paired) "
             "| B - A paired p50 | no-op A / B p50 | no-op B - A |",
             "|---|---|---|---|---|---|---|"]
    for size in ("small", "big"):
        s = r[size]
        lines.append(
            f"| {size} | {s['direct_ms']['p50']:.2f} ms "
            f"| {s['a']['added_p50_ms']:+.2f} ({s['a']['added_paired_ms']['p50']:+.2f}) "
            f"| {s['b']['added_p50_ms']:+.2f} ({s['b']['added_paired_ms']['p50']:+.2f}) "
            f"| {s['b_minus_a_ms']['p50']:+.3f} ms "
            f"| {s['a']['noop_ms']['p50']:.2f} / {s['b']['noop_ms']['p50']:.2f} ms "
            f"| {s['noop_b_minus_a_ms']['p50']:+.3f} ms |")
    if "relay" in r:
        t = r["relay"]
        lines.append(f"| relay ratio, {t['rounds']} rounds | | A {t['a']['ratio']:.3f}x "
                     f"(CPU {t['a']['cpu_ms']:.1f} ms) | B {t['b']['ratio']:.3f}x "
                     f"(CPU {t['b']['cpu_ms']:.1f} ms) | | | |")
    same = all(r[f"{size}_same_body"] for size in ("small", "big"))
    lines.append("")
    lines.append(f"(both trees sent the same upstream body: {same}; load average "
                 f"{', '.join(f'{x:.2f}' for x in r['load_average'])})")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--a", required=True, help="tree A's server folder (the before)")
    parser.add_argument("--b", required=True, help="tree B's server folder (the after)")
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--relay-rounds", type=int, default=0,
                        help="20,000-token streams per side (direct, A, B), order rotating")
    args = parser.parse_args()
    upstream, origin = start_upstream()
    try:
        trees = {"a": str(Path(args.a).resolve()), "b": str(Path(args.b).resolve())}
        results = asyncio.run(
            compare(trees, args.rounds, origin.rstrip("/"), args.relay_rounds, upstream.pid))
    finally:
        upstream.terminate()
        upstream.wait(5)
    results["load_average"] = os.getloadavg()
    print(report(results))
    save_results("latency_ab", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
