"""One JSON-RPC body to Python values: orjson when its answer is the standard library's, else
the standard library (whose value or error is then exactly what the server always did).

Why: decoding the body was most of the server's own CPU for a big chat request. For the
benchmark's 427 KB body (a 400,000-character prompt of code, many escapes) `json` took 0.72 ms
and this function 0.23 ms (best of 300, process time; 1.07 against 0.34 ms on a busier run);
the check below adds ~3 µs of that.

What orjson 3.13 does differently, each case checked against `json` (tests/test_json_decode.py
pins them all), and what happens to it here:

- rejected by orjson, so decoded by `json` (same value, or the same error, as before): NaN and
  (-)Infinity (`json` calls `reject_constant`), numbers that overflow a double (`1e400`: `json`
  gives inf), lone surrogate escapes (`"\\ud800"`, in strings and keys: `json` keeps them and
  `inbound` answers -32602 naming the field), invalid UTF-8 (`json` raises UnicodeDecodeError),
  nesting deeper than 1024 (`json` raises RecursionError first), integers of more than ~309
  digits (`json` reads them up to its 4,300-digit limit, then raises ValueError);
- accepted by orjson with a different value: integers outside [-2**63, 2**64) become floats
  (`json` keeps the int). `_same_as_stdlib` then sends the body to `json`: it looks for a float
  of magnitude >= 2**63 (what such an integer becomes; a real float that big goes the slow way);
- accepted by orjson but maybe not by `json`: nesting deeper than `json` manages, which is the
  recursion limit (1000) less the caller's stack, not a fixed figure.
  `_same_as_stdlib` sends anything nested deeper than `MAX_FAST_DEPTH` to `json`;
- the same in both (no check needed): duplicate keys (the last value, at the first key's place),
  `-0` (int 0), `-0.0` and `-1e-400` (float -0.0), `1e-400` (0.0), `1.0` and `1e2` (floats),
  other floats (both round correctly), integers in range, escapes and raw UTF-8 in strings, a
  top-level scalar; a BOM, whitespace other than space/tab/CR/LF, control characters inside
  strings, an empty or blank body, trailing data: rejected by both (the error message is
  `json`'s, as the fallback decodes again).

The check walks every container of the decoded value: nothing for a prompt (one string), and
about as long as the two decoders' difference for a body of thousands of small values (~1.1x
the old time at worst, 800 KB of LSP symbols).

A value orjson decoded holds no lone surrogate (it refuses them), which `decode_body` says, so
that the session need not scan the body for one (`inbound.may_hold_lone_surrogates`, ~0.23 ms
for a 400,000-character prompt that is not all ASCII).
"""

from __future__ import annotations

import json
from typing import Any

from ..strict_json import orjson_module


def reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_STDLIB = json.JSONDecoder(parse_constant=reject_constant)

# orjson turns an integer outside its 64-bit range into a float at least this big.
_FLOAT_FROM_BIG_INT = 2.0**63
# Nesting that `json` decodes wherever the server calls it (its limit is ~1000 levels less the
# stack; JSON-RPC messages nest ~10 deep).
MAX_FAST_DEPTH = 256


def decode_body(body: bytes) -> tuple[Any, bool]:
    """The JSON value of `body` as `json.JSONDecoder(parse_constant=reject_constant)` decodes
    `body.decode("utf-8")`, raising what it raises (ValueError, UnicodeDecodeError,
    RecursionError); and True when orjson decoded it, so that it holds no lone surrogate."""
    orjson = orjson_module()  # after `initialized`, when installed (`strict_json.load_orjson`)
    if orjson is not None:
        try:
            value = orjson.loads(body)
        except Exception:  # whatever orjson refuses, `json` decides (it may accept it)
            pass
        else:
            if _same_as_stdlib(value):
                return value, True
    return _STDLIB.decode(body.decode("utf-8")), False


def _same_as_stdlib(value: Any) -> bool:
    """False when orjson's `value` may differ from `json`'s: a float from an integer out of
    64-bit range, or nesting deeper than `MAX_FAST_DEPTH`."""
    if type(value) is float:
        return -_FLOAT_FROM_BIG_INT < value < _FLOAT_FROM_BIG_INT
    if type(value) is not dict and type(value) is not list:
        return True
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        container, depth = stack.pop()
        if depth > MAX_FAST_DEPTH:
            return False
        for child in container.values() if type(container) is dict else container:
            kind = type(child)
            if kind is float:
                if not -_FLOAT_FROM_BIG_INT < child < _FLOAT_FROM_BIG_INT:
                    return False
            elif kind is dict or kind is list:
                stack.append((child, depth + 1))
    return True
