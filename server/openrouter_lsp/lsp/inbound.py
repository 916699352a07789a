"""Checks on one decoded JSON-RPC message that pygls does not make, pure functions.

Ids must be integers or strings (LSP), valid Unicode (they are echoed back); an oversized message's
id is read from its first bytes; params must not hold a lone surrogate (half of a UTF-16 pair:
not Unicode, and httpx cannot encode it) or a progress token that is neither an integer nor a
string. Each problem is a `FieldError` naming the field, as the client spelled it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..protocol import FieldError
from ..wire import describe

PROGRESS_TOKEN_FIELDS = ("workDoneToken", "partialResultToken")
REPLACEMENT = "\ufffd"


def request_id(data: Any) -> tuple[bool, Any]:
    """(True, the id) when `data` carries an id LSP allows: an integer or a string."""
    if not isinstance(data, dict) or "id" not in data:
        return False, None
    return valid_id(data["id"])


def valid_id(value: Any) -> tuple[bool, Any]:
    if isinstance(value, str):
        return not has_lone_surrogate(value), value  # echoed back, it must be valid Unicode
    if isinstance(value, int) and not isinstance(value, bool):
        return True, value
    if isinstance(value, float) and value.is_integer():  # 1.0 is 1; 1e999 is not an id
        return True, int(value)
    return False, None


def peek_id(head: bytes) -> tuple[bool, Any]:
    """The id of a message from its first bytes, if it comes before any nested value."""
    text = head.decode("utf-8", "ignore")
    decoder = json.JSONDecoder()
    try:
        pos = _skip_space(text, 0)
        if text[pos] != "{":
            return False, None
        pos += 1
        while True:
            pos = _skip_space(text, pos)
            key, pos = decoder.raw_decode(text, pos)
            pos = _skip_space(text, pos)
            if not isinstance(key, str) or text[pos] != ":":
                return False, None
            pos = _skip_space(text, pos + 1)
            if text[pos] in "{[":
                return False, None  # params before the id: give up rather than parse it
            value, pos = decoder.raw_decode(text, pos)
            if key == "id":
                return valid_id(value)
            pos = _skip_space(text, pos)
            if text[pos] != ",":
                return False, None
            pos += 1
    except (ValueError, IndexError):
        return False, None


def _skip_space(text: str, pos: int) -> int:
    while text[pos] in " \t\r\n":
        pos += 1
    return pos


# A lone surrogate can only arrive escaped (raw UTF-8 cannot encode one): `\ud800`..`\udfff`.
# One pass of a regex over the body (two `in` scans cost ~3x as much on text with many
# escapes: 0.86 against 0.30 ms for a 400,000-character prompt of code), and escapes of other
# characters from U+D000 to U+D7FF (Hangul, which some clients escape) no longer count.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def may_hold_surrogates(body: bytes) -> bool:
    return _SURROGATE_ESCAPE.search(body) is not None


# More nodes than this and the walk would cost more than the regex pass over the body.
ASCII_WALK_NODES = 256


def ascii_only(value: Any, budget: int = ASCII_WALK_NODES) -> bool:
    """True when every string in `value` (keys too) is ASCII, seen within `budget` nodes: such
    JSON holds no lone surrogate (the decoder turns a `\\ud800` escape into a non-ASCII
    character). `str.isascii` reads a flag CPython keeps, so a 400,000-character prompt costs
    nothing here, where the body's regex pass cost ~0.2 ms. False when a string is not ASCII or
    the budget runs out (a long array): the caller then scans the body."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not item.isascii():
                return False
        elif isinstance(item, dict):
            budget -= len(item)
            if budget < 0:
                return False
            for key, child in item.items():
                if not key.isascii():
                    return False
                stack.append(child)
        elif isinstance(item, list):
            budget -= len(item)
            if budget < 0:
                return False
            stack.extend(item)
    return True


# Below this many bytes the regex pass is cheaper than the walk (~1 against ~3 µs).
SCAN_FIRST_BYTES = 4096


def may_hold_lone_surrogates(value: Any, body: bytes) -> bool:
    """Whether `value` (decoded from `body`) must be searched for lone surrogates: never when
    all its strings are ASCII, else when the body holds an escape of one."""
    if len(body) <= SCAN_FIRST_BYTES:
        return may_hold_surrogates(body)
    return not ascii_only(value) and may_hold_surrogates(body)


def has_lone_surrogate(text: str) -> bool:
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def params_problems(params: Any, body: bytes) -> list[FieldError]:
    problems: list[FieldError] = []
    if may_hold_lone_surrogates(params, body):
        path = find_lone_surrogate(params)
        if path is not None:
            problems.append(
                FieldError(
                    path=path,
                    message="contains a lone surrogate (half of a UTF-16 pair), "
                    "which is not valid Unicode",
                )
            )
    if isinstance(params, dict):
        for name in PROGRESS_TOKEN_FIELDS:
            token = params.get(name)
            if token is not None and (isinstance(token, float) or not valid_id(token)[0]):
                problems.append(
                    FieldError(
                        path=name,
                        message=f"expected a string or an integer, got {describe(token)}",
                    )
                )
    return problems


def find_lone_surrogate(value: Any) -> str | None:
    """The path (`messages[0].content`) of the first string holding a lone surrogate."""
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            if has_lone_surrogate(item):
                return path
        elif isinstance(item, dict):
            for key, child in reversed(item.items()):
                child_path = f"{path}.{key}" if path else str(key)
                if has_lone_surrogate(key):
                    return child_path
                stack.append((child, child_path))
        elif isinstance(item, list):
            stack.extend((child, f"{path}[{i}]") for i, child in reversed(list(enumerate(item))))
    return None


def replace_lone_surrogates(value: Any) -> Any:
    """The same JSON with each lone surrogate replaced by U+FFFD (one UTF-16 unit for one, so
    document positions stay right)."""
    if isinstance(value, str):
        if not has_lone_surrogate(value):
            return value
        return "".join(REPLACEMENT if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in value)
    if isinstance(value, dict):
        return {replace_lone_surrogates(k): replace_lone_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [replace_lone_surrogates(v) for v in value]
    return value
