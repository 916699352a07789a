"""Start-up of two server trees and a bare pygls server, interleaved in one run.

Two ways to start, each to the `initialize` result (`bench_core.time_to_initialize`):

- a later start: every tree uses one state folder (after two warm-up rounds each), so the
  generated-code cache of `code_cache.py` is on disk, as at every start but a user's first;
- a first start: each start gets a new state folder (no code cache yet).

Compile both trees' modules first (`python -m compileall -q <tree>/openrouter_lsp`) when
`PYTHONDONTWRITEBYTECODE` is set, as on this machine: a tree whose `.pyc` files are missing or
stale compiles its modules at every start, which measured 1.22 against 1.05-1.12 for main.

    python bench/bench_startup_ab.py --a <main tree>/server --b server [--rounds 15]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_core import BARE_PYGLS, time_to_initialize

OURS = [sys.executable, "-m", "openrouter_lsp"]


async def later_starts(trees: dict[str, str], rounds: int) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory() as home:
        base = {**os.environ, "OPENROUTER_LSP_HOME": home, "OPENROUTER_LSP_NO_KEYRING": "1"}
        commands = {name: (OURS, {**base, "PYTHONPATH": tree}) for name, tree in trees.items()}
        commands["bare pygls"] = ([sys.executable, "-c", BARE_PYGLS], base)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(2):  # the OS file cache, and each tree's code cache
            for command, env in commands.values():
                await time_to_initialize(command, env)
        for _ in range(rounds):
            for name, (command, env) in commands.items():
                times[name].append(await time_to_initialize(command, env))
    return times


async def first_starts(trees: dict[str, str], rounds: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in trees}
    for _ in range(rounds):
        for name, tree in trees.items():
            with tempfile.TemporaryDirectory() as home:
                env = {**os.environ, "OPENROUTER_LSP_HOME": home,
                       "OPENROUTER_LSP_NO_KEYRING": "1", "PYTHONPATH": tree}
                times[name].append(await time_to_initialize(OURS, env))
    return times


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--a", required=True, help="a tree's server folder (PYTHONPATH)")
    parser.add_argument("--b", required=True, help="the other tree's server folder")
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    trees = {"A": args.a, "B": args.b}
    later = asyncio.run(later_starts(trees, args.rounds))
    first = asyncio.run(first_starts(trees, args.rounds))
    bare = statistics.median(later["bare pygls"])
    print("| tree | later start p50 | / bare pygls | first start p50 | / bare pygls |")
    print("|---|---|---|---|---|")
    for name, tree in trees.items():
        warm, cold = statistics.median(later[name]), statistics.median(first[name])
        print(f"| {name}: {tree} | {warm * 1000:.0f} ms | {warm / bare:.3f} | "
              f"{cold * 1000:.0f} ms | {cold / bare:.3f} |")
    print(f"| bare pygls | {bare * 1000:.0f} ms | 1.000 | | |")
    print(f"\n(load average {', '.join(f'{x:.2f}' for x in os.getloadavg())})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
