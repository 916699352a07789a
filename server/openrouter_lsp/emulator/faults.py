"""Fault injection: parsing `POST /_emulator/faults` bodies and answering status faults."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse, Response

from .errors import default_error_body
from .state import Fault

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


def fault_response(fault: Fault) -> Response:
    """The response of a plain status fault (no stream mode)."""
    status = fault.status or 500
    body = fault.body if fault.body is not None else default_error_body(status)
    if isinstance(body, str):
        return Response(body, status_code=status, headers=fault.headers,
                        media_type="text/plain")
    return JSONResponse(body, status_code=status, headers=fault.headers)


def error_body_200(fault: Fault) -> JSONResponse:
    """`error_body_200`: HTTP 200 whose JSON body is an OpenRouter error."""
    body = fault.body
    if not isinstance(body, dict) or "error" not in body:
        body = default_error_body(fault.status or 502)
    return JSONResponse(body, status_code=200, headers=fault.headers)
