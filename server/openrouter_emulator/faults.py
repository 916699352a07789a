"""Fault injection: parsing `POST /_emulator/faults` bodies and answering status faults."""

from __future__ import annotations

import math
import time
from typing import Any

from starlette.responses import JSONResponse, Response

from .errors import default_error_body
from .state import Fault

# OpenRouter's own 429 (free models: 20 requests a minute) names its window in these headers.
RATE_LIMIT_REQUESTS = 20
DEFAULT_RETRY_AFTER_SECONDS = 1

STREAM_MODES = frozenset({
    "error_chunk_mid_stream",
    "error_chunk_before_content",
    "drop_mid_stream",
    "malformed_line",
    "stall_mid_stream",
    "keepalive_first",
})
MODES = STREAM_MODES | {"error_body_200"}


def parse_fault(data: Any) -> Fault:
    """A `Fault` from its JSON form; ValueError with a sentence when the body is wrong."""
    if not isinstance(data, dict):
        raise ValueError("fault must be a JSON object")
    route = data.get("route")
    if not isinstance(route, str) or not route.startswith("/"):
        raise ValueError('"route" must be a path such as "/chat/completions"')
    status = data.get("status")
    if status is not None and (not isinstance(status, int) or not 100 <= status <= 599):
        raise ValueError('"status" must be an HTTP status code')
    headers = data.get("headers") or {}
    if not isinstance(headers, dict):
        raise ValueError('"headers" must be an object of strings')
    mode = data.get("mode")
    if mode is not None and mode not in MODES:
        raise ValueError(f'"mode" must be one of {sorted(MODES)}')
    times = data.get("times", 1)
    if not isinstance(times, int) or times < 0:
        raise ValueError('"times" must be an integer >= 0 (0 = until cleared)')
    return Fault(
        route=route,
        status=status,
        body=data.get("body"),
        headers={str(k): str(v) for k, v in headers.items()},
        delay_seconds=_number(data, "delaySeconds", 0.0),
        times=times,
        mode=mode,
        after_chunks=int(_number(data, "afterChunks", 3)),
        stall_seconds=_number(data, "stallSeconds", 300.0),
    )


def _number(data: dict[str, Any], key: str, default: float) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f'"{key}" must be a number >= 0')
    return float(value)


def fault_response(fault: Fault, rate_limit_headers: bool = True) -> Response:
    """The response of a plain status fault (no stream mode); a 429 also gets the rate-limit
    headers the fault does not set itself (unless `rate_limit_headers` is off)."""
    status = fault.status or 500
    body = fault.body if fault.body is not None else default_error_body(status)
    headers = dict(fault.headers)
    if status == 429 and rate_limit_headers:
        headers = with_rate_limit_headers(headers)
    if isinstance(body, str):
        return Response(body, status_code=status, headers=headers, media_type="text/plain")
    return JSONResponse(body, status_code=status, headers=headers)


def with_rate_limit_headers(headers: dict[str, str], now: float | None = None
                            ) -> dict[str, str]:
    """`Retry-After` (seconds) and `X-RateLimit-Limit/Remaining/Reset` (Reset in epoch
    milliseconds), kept consistent with whichever of them the fault already gives."""
    now = time.time() if now is None else now
    given = {k.lower(): v for k, v in headers.items()}
    out = dict(headers)
    retry_after: float | None = None
    if "retry-after" in given:
        try:
            retry_after = max(0.0, float(given["retry-after"]))
        except ValueError:
            retry_after = None
    reset_ms: float | None = None
    if "x-ratelimit-reset" in given:
        try:
            reset_ms = float(given["x-ratelimit-reset"])
        except ValueError:
            reset_ms = None
    if retry_after is None and reset_ms is not None:
        retry_after = max(0.0, reset_ms / 1000.0 - now)
    if retry_after is None:
        retry_after = DEFAULT_RETRY_AFTER_SECONDS
    if "retry-after" not in given:
        out["Retry-After"] = str(math.ceil(retry_after))
    if "x-ratelimit-reset" not in given:
        out["X-RateLimit-Reset"] = str(int((now + retry_after) * 1000))
    if "x-ratelimit-limit" not in given:
        out["X-RateLimit-Limit"] = str(RATE_LIMIT_REQUESTS)
    if "x-ratelimit-remaining" not in given:
        out["X-RateLimit-Remaining"] = "0"
    return out


def error_body_200(fault: Fault) -> JSONResponse:
    """`error_body_200`: HTTP 200 whose JSON body is an OpenRouter error."""
    body = fault.body
    if not isinstance(body, dict) or "error" not in body:
        body = default_error_body(fault.status or 502)
    return JSONResponse(body, status_code=200, headers=fault.headers)
