"""The items of one array member of a big JSON object, parsed one item at a time.

`json.loads` of a whole catalogue is one C call that holds the event loop (and the GIL, so a
thread does not help) for as long as it runs: ~5 ms for the real 0.7 MB catalogue, hundreds of
milliseconds for a hostile one under the size cap, and it builds the whole object graph at once.
Parsed item by item, the event loop gets a turn every `TURN_S` seconds and only one item's
objects exist besides what the caller keeps.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from json.decoder import scanstring  # type: ignore[attr-defined]

TURN_S = 0.002
_SPACE = re.compile(r"[ \t\n\r]*")


def _skip_space(text: str, index: int) -> int:
    end: int = _SPACE.match(text, index).end()  # type: ignore[union-attr]
    return end


def _expect(text: str, index: int, char: str) -> int:
    if text[index : index + 1] != char:
        raise ValueError(f"expected {char!r} at character {index:,}")
    return index + 1


async def array_items(
    text: str, member: str, decoder: json.JSONDecoder
) -> AsyncIterator[object]:
    """Each item of the array `text[member]` (`text` a JSON object), in order; ValueError when
    `text` is not such an object. Members after the array are not read."""
    index = _expect(text, _skip_space(text, 0), "{")
    turn_at = time.perf_counter() + TURN_S
    while True:
        index = _skip_space(text, index)
        if text[index : index + 1] == "}":
            raise ValueError(f"no {member!r} member")
        index = _expect(text, index, '"')
        name, index = scanstring(text, index)
        index = _skip_space(text, _expect(text, _skip_space(text, index), ":"))
        if name == member and text[index : index + 1] == "[":
            break
        _, index = decoder.raw_decode(text, index)  # another member: parsed and dropped
        index = _skip_space(text, index)
        if text[index : index + 1] != "}":
            index = _expect(text, index, ",")
    index = _skip_space(text, index + 1)
    if text[index : index + 1] == "]":
        return
    while True:
        item, index = decoder.raw_decode(text, index)
        yield item
        if time.perf_counter() >= turn_at:
            await asyncio.sleep(0)
            turn_at = time.perf_counter() + TURN_S
        index = _skip_space(text, index)
        if text[index : index + 1] == "]":
            return
        index = _skip_space(text, _expect(text, index, ","))
