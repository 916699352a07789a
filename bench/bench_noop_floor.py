"""The floor of a no-op request over stdio: openrouter-lsp's `settings/get` against the least a
Python JSON-RPC server can do, their rounds alternating (issue 13).

The bare server (`BARE`, run with `python -c`) reads stdin in its event loop, cuts frames, parses
each with `json.loads` and answers `{}`: no pygls, no checks, no handler. Both are driven by
`bench_floor.RawClient`, so the measuring side's own cost (a pipe read into one buffer, a frame
reader) is in both figures; the paired difference is what the server adds to any request.

    PYTHONPATH=server .venv/bin/python bench/bench_noop_floor.py [--rounds 500]
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

from bench_floor import RawClient, server_env

BARE = """
import asyncio, json, os, sys
async def main():
    loop = asyncio.get_running_loop(); done = loop.create_future(); buf = bytearray()
    out = sys.stdout.buffer
    def readable():
        data = os.read(0, 262144)
        if not data:
            loop.remove_reader(0); done.set_result(None); return
        buf.extend(data)
        while (end := buf.find(b"\\r\\n\\r\\n")) >= 0:
            n = int(bytes(buf[:end]).split(b":")[1])
            if len(buf) < end + 4 + n: break
            msg = json.loads(bytes(buf[end + 4:end + 4 + n])); del buf[:end + 4 + n]
            if "id" in msg and "method" in msg:
                body = json.dumps({"jsonrpc": "2.0", "id": msg["id"], "result": {}}).encode()
                out.write(b"Content-Length: %d\\r\\n\\r\\n%s" % (len(body), body)); out.flush()
    loop.add_reader(0, readable); await done
asyncio.run(main())
"""


async def run(rounds: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as home:
        ours = await RawClient.start(server_env(home, "http://127.0.0.1:9/api/v1"))
        await ours.initialize()
        bare = await RawClient.spawn([sys.executable, "-c", BARE], {})
        await asyncio.sleep(1.0)
        server, floor = [], []
        try:
            for i in range(rounds + 50):  # the first 50 warm both
                for client, out in ((ours, server), (bare, floor))[:: 1 if i % 2 else -1]:
                    started, answered, _ = await client.send(
                        *client.prepare("openrouter/settings/get", {}))
                    if i >= 50:
                        out.append(answered - started)
        finally:
            await ours.close()
            await bare.close()
    return {"server_p50_ms": statistics.median(server) * 1000,
            "bare_p50_ms": statistics.median(floor) * 1000,
            "added_paired_p50_ms": statistics.median(
                [s - f for s, f in zip(server, floor, strict=True)]) * 1000,
            "rounds": rounds}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=500)
    args = parser.parse_args()
    r = asyncio.run(run(args.rounds))
    print(f"no-op round trip p50: openrouter-lsp settings/get {r['server_p50_ms']:.3f} ms, "
          f"bare asyncio JSON-RPC server {r['bare_p50_ms']:.3f} ms, paired difference p50 "
          f"{r['added_paired_p50_ms']:.3f} ms (load average "
          f"{', '.join(f'{x:.2f}' for x in os.getloadavg())})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
