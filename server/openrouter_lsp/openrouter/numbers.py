"""Numbers from an upstream, taken only when they make sense.

An upstream can send `NaN`, `1e999` (which JSON parsing turns into infinity), or an integer of
400 digits. Passed on, these become `NaN`/`Infinity` in JSON-RPC (not JSON), "Retry in inf s", or
an OverflowError that loses a complete answer. Each is treated as absent, with the reason logged.
"""

from __future__ import annotations

import json
import logging
import math
import time

log = logging.getLogger(__name__)

# Above any real token count, price, or credit figure, and exactly representable in JavaScript.
MAX_MAGNITUDE = 2**53 - 1
# An integer literal longer than this is absurd; parsing one of 4,301 digits or more would raise.
_MAX_INT_DIGITS = 20


# A hostile catalogue could hold thousands of such numbers: the log (also sent to the editor)
# gets at most `_LOG_BUDGET` of them a minute.
_LOG_BUDGET = 10
_LOG_WINDOW_S = 60.0
_log_window = [0.0, 0]  # window start (monotonic), lines logged in it


def _ignored(what: str, value: object, reason: str) -> None:
    now = time.monotonic()
    if now - _log_window[0] > _LOG_WINDOW_S:
        _log_window[0], _log_window[1] = now, 0
    _log_window[1] += 1
    if _log_window[1] > _LOG_BUDGET:
        return
    shown = repr(value)
    if len(shown) > 40:
        shown = shown[:37] + "..."
    suffix = " (further ones this minute are not logged)" if _log_window[1] == _LOG_BUDGET else ""
    log.warning("Ignoring %s from the upstream (%s): %s%s", what, shown, reason, suffix)


def finite_number(value: object, what: str, *, minimum: float = -MAX_MAGNITUDE) -> float | None:
    """A JSON number (or a decimal string) as a float, or None when absent, not a number,
    not finite, or outside `minimum`..MAX_MAGNITUDE."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        _ignored(what, value, "not a number")
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        _ignored(what, value, "not a number")
        return None
    if not math.isfinite(number):
        _ignored(what, value, "not a finite number")
        return None
    if not minimum <= number <= MAX_MAGNITUDE:
        _ignored(what, value, "out of range")
        return None
    return number


def whole_number(value: object, what: str, *, minimum: int = 0) -> int | None:
    """A JSON integer (or an integral float) as an int, or None when absent, not whole, or
    outside `minimum`..MAX_MAGNITUDE."""
    if value is None:
        return None
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        if not minimum <= value <= MAX_MAGNITUDE:
            _ignored(what, value, "out of range")
            return None
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        _ignored(what, value, "not a whole number")
        return None
    if not minimum <= value <= MAX_MAGNITUDE:
        _ignored(what, value, "out of range")
        return None
    return value


def _parse_int(text: str) -> int | float:
    if len(text) <= _MAX_INT_DIGITS:
        return int(text)
    # Kept as a number that every check above refuses, so the document still parses.
    _ignored("an integer", text, f"{len(text):,} digits")
    return math.inf


# The decoder for every upstream JSON document: like json.loads, except that an absurdly long
# integer becomes infinity (then refused where it is read) instead of an error for the whole
# document. `raw_decode` on text also skips json.loads' encoding detection.
UPSTREAM_JSON = json.JSONDecoder(parse_int=_parse_int)


def loads(text: str | bytes) -> object:
    """An upstream JSON document; ValueError (or UnicodeDecodeError) when it is not one."""
    if isinstance(text, bytes):
        text = text.decode("utf-8-sig")
    return UPSTREAM_JSON.decode(text)
