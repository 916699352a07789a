"""The direct floor reader in a process of its own, for `bench_floor.py`'s relay rounds.

Why a process: two identical server processes, interleaved in one run, relayed at 0.82x and
0.95x of the same reader (and 46 against 50 ms of CPU per stream): where a process's code and
data land in memory moves its speed by several per cent. The reader has such luck too, and one
reader inside the benchmark's own process would set the floor of a whole run. So the relay
rounds pair several server processes with several reader processes, and the ratio is the median
over all pairs.

It reads exactly as `bench_floor.Direct` does (the same class): the server's own HTTP client on
one kept-alive connection, the very body and headers the server last sent (copied from the
upstream at start), the server's SSE decoder and event template.

Protocol, one line each way per stream: the parent writes the number of tokens; the worker
streams that chat and answers `<elapsed s> <tokens> <CPU s>` (the stream's own wall and process
time, taken here, so the parent's wake-ups are not in them). It prints `ready` once started.

    python bench/floor_direct.py <base url> <upstream origin>
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_floor import Direct


async def serve(base_url: str, origin: str) -> None:
    direct = Direct(base_url)
    try:
        await direct.copy_server_request(origin)
        print("ready", flush=True)
        # Blocking reads between streams: nothing else runs in this process meanwhile.
        while line := sys.stdin.readline():
            tokens = int(line)
            cpu = time.process_time()
            _, elapsed, count = await direct.chat(tokens)
            print(f"{elapsed!r} {count} {time.process_time() - cpu!r}", flush=True)
    finally:
        await direct.client.aclose()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], sys.argv[2]))
