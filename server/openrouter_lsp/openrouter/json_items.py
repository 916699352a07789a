"""The items of one array member of a big JSON object, parsed one bounded item at a time.

`json.loads` of a whole catalogue is one C call that holds the event loop (and the GIL, so a
thread does not help) for as long as it runs: ~5 ms for the real 0.7 MB catalogue, seconds for
a hostile one under the size cap (small values cost ~10 times their size in objects and time).
Here each item is decoded from a slice of at most `max_item_chars` characters (an item that does
not fit is refused), so one decode costs at most that much; the event loop gets a turn every
`TURN_S` seconds; and only one item's objects exist besides what the caller keeps. The cyclic
garbage collector is paused during one decode: millions of small containers otherwise trigger
collection after collection (8 s instead of 0.8 s for 2.7 million empty lists).
"""

from __future__ import annotations

import asyncio
import gc
import json
import re
import time
from collections.abc import AsyncIterator
from json.decoder import scanstring  # type: ignore[attr-defined]

TURN_S = 0.002
# Most items fit this first slice (the real catalogue's largest model is 3.5 KB): copying a
# small slice per item is cheap; only a bigger item is tried again with the largest slice.
_FIRST_SLICE = 16 * 1024
_SPACE = re.compile(r"[ \t\n\r]*")


class ItemTooLarge(ValueError):
    """One item is longer than the limit (or is not valid JSON within it)."""


def _skip_space(text: str, index: int) -> int:
    end: int = _SPACE.match(text, index).end()  # type: ignore[union-attr]
    return end


def _expect(text: str, index: int, char: str) -> int:
    if text[index : index + 1] != char:
        raise ValueError(f"expected {char!r} at character {index:,}")
    return index + 1


def _decode_bounded(
    decoder: json.JSONDecoder, text: str, index: int, max_chars: int
) -> tuple[object, int]:
    """The value at `index` and the index after it, decoding at most `max_chars` characters."""
    size = min(_FIRST_SLICE, max_chars)
    while True:
        window = text[index : index + size]
        truncated = index + size < len(text)
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            value, end = decoder.raw_decode(window)
        except ValueError:
            value, end = None, -1
        finally:
            if was_enabled:
                gc.enable()
        # A value that ends exactly at a cut might be a cut number: tried again, larger.
        if end >= 0 and (end < len(window) or not truncated):
            return value, index + end
        if not truncated or size >= max_chars:
            if not truncated:
                raise ValueError(f"invalid JSON at character {index:,}")
            raise ItemTooLarge(
                f"a value at character {index:,} is longer than {max_chars:,} characters "
                "or not valid JSON"
            )
        size = max_chars


async def array_items(
    text: str, member: str, decoder: json.JSONDecoder, max_item_chars: int
) -> AsyncIterator[object]:
    """Each item of the array `text[member]` (`text` a JSON object), in order; ValueError when
    `text` is not such an object or an item is longer than `max_item_chars`. Members after the
    array are not read."""
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
        _, index = _decode_bounded(decoder, text, index, max_item_chars)  # dropped
        index = _skip_space(text, index)
        if text[index : index + 1] != "}":
            index = _expect(text, index, ",")
    index = _skip_space(text, index + 1)
    if text[index : index + 1] == "]":
        return
    while True:
        item, index = _decode_bounded(decoder, text, index, max_item_chars)
        yield item
        if time.perf_counter() >= turn_at:
            await asyncio.sleep(0)
            turn_at = time.perf_counter() + TURN_S
        index = _skip_space(text, index)
        if text[index : index + 1] == "]":
            return
        index = _skip_space(text, _expect(text, index, ","))
