"""orjson when it is there and gives the standard library's answer, the standard library else.

orjson is optional: it is imported by `load_orjson` after `initialized`, off the start-up path
(~2 ms), and the VSIX's bundle carries no native modules, so until then, and without it, the
standard library works alone. Decoding (`lsp.json_decode`) and encoding (`dumps`, for every
message to the client and every request body upstream) both come here.

Why encoding: `json.dumps(..., ensure_ascii=False)` takes ~2.9 ns a character. A 20,000-token
answer's result (80,000 characters) took 230 µs and each `$/progress` value of it ~30 µs, 0.6 ms
of server CPU a stream; a 400,000-character prompt's request body ~1.1 ms. orjson: 3 µs, 0.5 µs
and ~0.1 ms (`bench/bench_floor.py`; the direct floor encodes its body the same way).

Where the two encoders differ, `dumps` gives the standard library's answer:
- a non-finite float: orjson writes `null` and says nothing; `json` with `allow_nan=False`
  raises. `plain_and_finite` walks the value first (one type check per value, ~20x cheaper than
  `json`'s encoding of it) and sends anything with such a float to `json`;
- anything but dicts, lists, tuples, strings, numbers, booleans and None (an enum, an attrs
  object a `default` would convert): sent to `json` too, which applies the `default`;
- what orjson refuses (a lone surrogate, an integer beyond 64 bits, a non-string key, nesting
  deeper than 255): `json` decides. The walk stops at that depth, and at a container it has
  seen before (a value that holds itself, or one list twice): `json` decides those too, and
  raises "Circular reference detected" for a cycle as it always did;
- floats may be spelled differently (`0.00001` for `1e-05`): the same number to any parser.
"""

from __future__ import annotations

import json
import math
from types import ModuleType
from typing import Any

_orjson: ModuleType | None = None

_COMPACT = (",", ":")
MAX_DEPTH = 255  # orjson's own limit


def load_orjson() -> None:
    global _orjson
    try:
        import orjson
    except ImportError:
        return
    _orjson = orjson


def orjson_module() -> ModuleType | None:
    """orjson once `load_orjson` found it, else None."""
    return _orjson


def plain_and_finite(value: Any) -> bool:
    """True when `value` holds only dicts, lists, tuples, strings, ints, finite floats, booleans
    and None: what orjson encodes exactly as `json` with `allow_nan=False` does."""
    isfinite = math.isfinite
    seen: set[int] = set()
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        kind = type(item)
        if kind is dict or kind is list or kind is tuple:
            if depth == MAX_DEPTH or id(item) in seen:
                return False
            seen.add(id(item))
            children = item.values() if kind is dict else item
            stack.extend((child, depth + 1) for child in children)
        elif kind is float:
            if not isfinite(item):
                return False
        elif not (kind is str or kind is int or kind is bool or item is None):
            return False
    return True


def fast_dumps(value: Any) -> bytes | None:
    """`value` as compact UTF-8 JSON from orjson, or None when `json` must decide (see above)."""
    if _orjson is None or not plain_and_finite(value):
        return None
    try:
        encoded: bytes = _orjson.dumps(value)
    except TypeError:  # JSONEncodeError: a lone surrogate, a big integer, a non-string key...
        return None
    return encoded


def dumps(value: Any) -> bytes:
    """`value` as compact UTF-8 JSON, strict: ValueError on NaN or infinity, as `json` raises
    (a request body: what httpx's `json=` did, without its 2.9 ns a character)."""
    encoded = fast_dumps(value)
    if encoded is not None:
        return encoded
    return json.dumps(value, ensure_ascii=False, separators=_COMPACT, allow_nan=False).encode()
