"""Core benchmarks, measured side by side in one run:

- start-up to the `initialize` result: openrouter-lsp vs a bare pygls server (ratio target ≤ 1.10);
- warm `openrouter/models/list` round trip for the 337-model catalogue (p50 target ≤ 5 ms), and
  the same with a search, a filter, a sort and favourites (`SEARCHED`);
- idle RSS of the server after initialize + a warm catalogue (target ≤ 50 MB).

Run: `.venv/bin/python bench/bench_core.py [--rounds N]`; prints a markdown table and writes
`.bench/core.json`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from openrouter_emulator import run_in_thread
from openrouter_lsp.lsp_client import StdioLspClient

FIRST_START_ROUNDS = 5
BARE_PYGLS = """
from pygls.lsp.server import LanguageServer
LanguageServer("bare", "0").start_io()
"""


def save_results(name: str, results: dict[str, Any], markdown: str | None = None) -> None:
    """`.bench/<name>.json` (and `.md`): every figure of the last run, for the README's tables."""
    out = Path(".bench")
    out.mkdir(exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(results, indent=2))
    if markdown is not None:
        (out / f"{name}.md").write_text(markdown + "\n")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def time_to_initialize(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    client = await StdioLspClient.start(command, env)
    await client.request("initialize", {"processId": os.getpid(), "capabilities": {}})
    elapsed = time.perf_counter() - started
    await client.close()
    return elapsed


async def bench_startup(rounds: int, env: dict[str, str]) -> dict[str, float]:
    ours = [sys.executable, "-m", "openrouter_lsp"]
    bare = [sys.executable, "-c", BARE_PYGLS]
    ours_times: list[float] = []
    bare_times: list[float] = []
    for _ in range(2):  # warm the OS file cache for both
        await time_to_initialize(ours, env)
        await time_to_initialize(bare, env)
    for _ in range(rounds):  # interleaved, so machine noise hits both alike
        ours_times.append(await time_to_initialize(ours, env))
        bare_times.append(await time_to_initialize(bare, env))
    ours_p50, bare_p50 = statistics.median(ours_times), statistics.median(bare_times)
    # The first start in a state folder compiles the code attrs generates and writes its cache
    # (`code_cache.py`); every start above read it. A fresh folder each time shows that one.
    first_times = []
    for _ in range(FIRST_START_ROUNDS):
        with tempfile.TemporaryDirectory() as home:
            fresh = {**env, "OPENROUTER_LSP_HOME": home}
            first_times.append(await time_to_initialize(ours, fresh))
    first_p50 = statistics.median(first_times)
    return {
        "startup_ours_p50_ms": ours_p50 * 1000,
        "startup_bare_pygls_p50_ms": bare_p50 * 1000,
        "startup_ratio": ours_p50 / bare_p50,
        "startup_first_p50_ms": first_p50 * 1000,
        "startup_first_ratio": first_p50 / bare_p50,
    }


# A picker's typical call: a ranked search, a filter and a sort (favourites are in the settings).
SEARCHED = {"query": "gpt", "tools": True, "sort": "price"}


async def bench_models(rounds: int, env: dict[str, str]) -> dict[str, float]:
    client = await StdioLspClient.start(env=env)
    try:
        await client.initialize()
        await asyncio.sleep(1.0)  # settle: the HTTP stack is preloaded after `initialized`
        idle_after_start = rss_mb(client.pid)
        first = await client.request("openrouter/models/list", {})
        assert len(first["models"]) == 337
        timings = []
        for _ in range(rounds):
            started = time.perf_counter()
            await client.request("openrouter/models/list", {})
            timings.append(time.perf_counter() - started)
        await client.request(
            "openrouter/settings/update",
            {"patch": {"favoriteModels": ["openai/gpt-4o-mini", "anthropic/claude-sonnet-4.5"]}},
        )
        searched = []
        for _ in range(rounds):
            started = time.perf_counter()
            await client.request("openrouter/models/list", SEARCHED)
            searched.append(time.perf_counter() - started)
        favourites = []
        for _ in range(rounds):
            started = time.perf_counter()
            await client.request("openrouter/models/list", {})
            favourites.append(time.perf_counter() - started)
        await asyncio.sleep(0.5)
        idle = rss_mb(client.pid)
        noop = []
        for _ in range(rounds):
            started = time.perf_counter()
            await client.request("openrouter/settings/get", {})
            noop.append(time.perf_counter() - started)
    finally:
        await client.close()
    return {
        "models_list_warm_p50_ms": statistics.median(timings) * 1000,
        "models_list_warm_p95_ms": sorted(timings)[int(len(timings) * 0.95)] * 1000,
        "models_list_searched_p50_ms": statistics.median(searched) * 1000,
        "models_list_favourites_p50_ms": statistics.median(favourites) * 1000,
        "settings_get_p50_ms": statistics.median(noop) * 1000,
        "idle_rss_after_start_mb": idle_after_start,
        "idle_rss_mb": idle,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home, run_in_thread() as emulator:
        Path(home, "settings.json").write_text(
            json.dumps({"useCustomBaseUrl": True, "customBaseUrl": emulator.base_url})
        )
        env = {
            "OPENROUTER_LSP_HOME": home,
            "OPENROUTER_LSP_NO_KEYRING": "1",
            "OPENROUTER_API_KEY": "sk-or-v1-bench-key-0000",
        }
        results = asyncio.run(bench_startup(max(10, args.rounds // 2), env))
        results |= asyncio.run(bench_models(args.rounds * 10, env))
    rows = [
        (
            "Start-up to `initialize` result, openrouter-lsp (p50)",
            f"{results['startup_ours_p50_ms']:.0f} ms",
            "",
        ),
        (
            "Start-up to `initialize` result, bare pygls (p50)",
            f"{results['startup_bare_pygls_p50_ms']:.0f} ms",
            "",
        ),
        ("Start-up ratio ours / bare pygls", f"{results['startup_ratio']:.3f}", "≤ 1.10"),
        ("Start-up ratio, the first start in a new state folder (no code cache yet)",
         f"{results['startup_first_ratio']:.3f}", ""),
        (
            "`models/list` warm, 337 models (p50)",
            f"{results['models_list_warm_p50_ms']:.2f} ms",
            "≤ 5 ms",
        ),
        (
            "`models/list` warm, 337 models (p95)",
            f"{results['models_list_warm_p95_ms']:.2f} ms",
            "",
        ),
        (
            "`models/list` warm, search + filter + sort (p50)",
            f"{results['models_list_searched_p50_ms']:.2f} ms",
            "≤ 5 ms",
        ),
        (
            "`models/list` warm, all 337 with 2 favourites first (p50)",
            f"{results['models_list_favourites_p50_ms']:.2f} ms",
            "≤ 5 ms",
        ),
        ("`settings/get` round trip (p50)", f"{results['settings_get_p50_ms']:.2f} ms", ""),
        (
            "Idle RSS after start-up and `initialized`",
            f"{results['idle_rss_after_start_mb']:.1f} MB",
            "≤ 50 MB",
        ),
        (
            "Idle RSS with the catalogue loaded (HTTP + TLS stack in use)",
            f"{results['idle_rss_mb']:.1f} MB",
            "",
        ),
    ]
    print("| measure | result | target |\n|---|---|---|")
    for name, value, target in rows:
        print(f"| {name} | {value} | {target} |")
    save_results("core", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
