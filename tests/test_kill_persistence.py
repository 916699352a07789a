"""kill -9 at random moments while the server writes settings, the key and the model cache:
every file stays whole (the old or the new version), and no temp file survives the next start-up.

30 rounds in the normal run; `OPENROUTER_LSP_LONG_TESTS=1` runs 300. `OPENROUTER_LSP_KILL_SEED`
replays a run (the seed is printed).
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import random
import signal
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.support.lsp import server_env

from openrouter_lsp.lsp_client import StdioLspClient

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")

ROUNDS = 300 if os.environ.get("OPENROUTER_LSP_LONG_TESTS") else 30
GET = "openrouter/settings/get"
UPDATE = "openrouter/settings/update"
SET_KEY = "openrouter/apiKey/set"
SORTS = ["price", "throughput", "latency", "default"]


def temp_files(home: Path) -> list[Path]:
    return sorted(home.rglob(".*.tmp"))


def settings_on_disk(home: Path) -> dict[str, Any]:
    """The settings file, which must be whole JSON (the server's next start checks the rest: it
    would move aside a file it cannot use)."""
    document = json.loads((home / "settings.json").read_text())
    assert isinstance(document, dict)
    return document


def routing(document: dict[str, Any], field: str) -> Any:
    return document.get("routing", {}).get(field, {"sort": "default"}.get(field))


def assert_opened_cleanly(home: Path, view: dict[str, Any]) -> None:
    """What the server shows once it has opened the state folder after a kill."""
    assert temp_files(home) == []
    assert list(home.glob("*.corrupt-*")) == [], "the server found a file it could not use"
    assert view["routing"]["sort"] == routing(settings_on_disk(home), "sort")


def key_on_disk(home: Path) -> str | None:
    path = home / "api-key"
    return path.read_text() if path.exists() else None


async def start(home: Path) -> StdioLspClient:
    client = await StdioLspClient.start(env=server_env(home))
    await client.initialize()
    return client


def fire_writes(
    client: StdioLspClient, rng: random.Random, round_number: int
) -> tuple[list[asyncio.Future[Any]], set[str], set[str]]:
    """Settings updates, key sets and catalogue refreshes, sent without waiting for answers;
    returns the requests and the pins and keys they may leave on disk."""
    requests: list[asyncio.Future[Any]] = []
    pins: set[str] = set()
    keys: set[str] = set()
    for i in range(rng.randint(4, 40)):
        roll = rng.random()
        if roll < 0.3:
            key = f"sk-or-v1-kill-{round_number}-{i}-{rng.getrandbits(32):08x}"
            keys.add(key)
            request = client.request(SET_KEY, {"apiKey": key})
        elif roll < 0.4:
            request = client.request("openrouter/models/list", {"refresh": True})
        else:
            pin = f"pin-{round_number}-{i}"
            pins.add(pin)
            patch = {"routing": {"sort": rng.choice(SORTS), "provider": pin}}
            request = client.request(UPDATE, {"patch": patch})
        requests.append(asyncio.ensure_future(request))
    return requests, pins, keys


async def test_kill_9_during_writes_never_tears_a_file_nor_leaves_a_temp_file(
    home: Path,
) -> None:
    seed = int(os.environ.get("OPENROUTER_LSP_KILL_SEED", random.randrange(2**32)))
    print(f"OPENROUTER_LSP_KILL_SEED={seed}")
    rng = random.Random(seed)
    base_url = settings_on_disk(home)["customBaseUrl"]
    counts: collections.Counter[str] = collections.Counter()
    pin_on_disk: str | None = None
    key: str | None = None
    for round_number in range(ROUNDS):
        client = await start(home)
        # Opening the state (first request) sweeps what the previous kill left.
        assert_opened_cleanly(home, await client.request(GET, {}))

        requests, pins, keys = fire_writes(client, rng, round_number)
        await asyncio.sleep(rng.uniform(0.0, 0.25))
        os.kill(client.pid, signal.SIGKILL)
        await client.close()
        await asyncio.gather(*requests, return_exceptions=True)

        counts["requests sent"] += len(requests)
        counts["answered before the kill"] += sum(not r.exception() for r in requests)
        left = temp_files(home)
        counts["rounds that left temp files"] += bool(left)
        for path in left:
            target = path.name.rsplit(".", 3)[0][1:]  # .<target>.<pid>.<random>.tmp
            counts[f"temp files of {'the model cache' if path.parent != home else target}"] += 1
        settings = settings_on_disk(home)  # whole: the old version or one of the new ones
        assert settings["customBaseUrl"] == base_url
        assert routing(settings, "provider") in {pin_on_disk} | pins, f"round {round_number}"
        pin_on_disk = routing(settings, "provider")
        assert key_on_disk(home) in {key} | keys, f"round {round_number}"
        key = key_on_disk(home)

    client = await start(home)
    try:
        view = await client.request(GET, {})
        assert_opened_cleanly(home, view)
        models = await client.request("openrouter/models/list", {})
    finally:
        await client.close()
    assert view["apiKey"]["isSet"] is (key is not None)
    assert key is None or view["apiKey"]["hint"].endswith(key[-4:])
    assert len(models["models"]) > 100
    print(f"kill -9 rounds: {ROUNDS}; " + "; ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
