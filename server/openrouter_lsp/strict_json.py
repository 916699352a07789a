"""orjson when it is there and gives the standard library's answer, the standard library else.

orjson is optional: it is imported by `load_orjson` after `initialized`, off the start-up path
(~2 ms), and the VSIX's bundle carries no native modules, so until then, and without it, the
standard library works alone. Decoding (`lsp.json_decode`) and encoding (`dumps`, for every
message to the client and every request body upstream) both come here.

Why encoding: `json.dumps(..., ensure_ascii=False)` takes ~2.9 ns a character. A 20,000-token
answer's result (80,000 characters) took 230 µs and each `$/progress` value of it ~30 µs, 0.6 ms
of server CPU a stream; a 400,000-character prompt's request body ~1.1 ms. orjson: 3 µs, 0.5 µs
and 0.26-0.37 ms (`timeit`; `bench/bench_floor.py`'s direct floor encodes its body the same way).

Where the two encoders differ, `dumps` gives the standard library's answer:
- a non-finite float: orjson writes `null` and says nothing; `json` with `allow_nan=False`
  raises. `plain_and_finite` walks the value first (one type check per value: 2.6 µs for a
  20,000-token result, which `json` encodes in 240 µs; 1.9 ms for 2,000 records of five small
  values, 3.8 ms in `json`) and sends anything with such a float to `json`;
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
MAX_DEPTH = 255  # orjson refuses 255 levels and more; the walk gives up past them too


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
    # Containers only go on the stack, each with its depth; leaves are checked in place (a tuple
    # per leaf made the walk of 10,000 small values cost as much as `json` encoding them). The
    # value itself starts inside a list of depth -1, so a scalar is checked like any leaf.
    isfinite = math.isfinite
    seen: set[int] = set()
    stack: list[tuple[Any, int]] = [([value], -1)]
    while stack:
        container, depth = stack.pop()
        if depth == MAX_DEPTH or id(container) in seen:
            return False
        seen.add(id(container))
        for child in container.values() if type(container) is dict else container:
            kind = type(child)
            if kind is str or kind is int or kind is bool or child is None:
                continue
            if kind is float:
                if not isfinite(child):
                    return False
            elif kind is dict or kind is list or kind is tuple:
                stack.append((child, depth + 1))
            else:
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
