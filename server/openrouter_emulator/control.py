"""The `/_emulator` control routes (no auth, loopback clients only)."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from .faults import parse_fault
from .state import STREAM_USAGE_MODES, USAGE_CHUNK_SHAPES, EmulatorState

# JSON name -> (Config field, accepted types)
CONFIG_FIELDS: dict[str, tuple[str, tuple[type, ...]]] = {
    "apiKeys": ("api_keys", (list,)),
    "tokensPerSecond": ("tokens_per_second", (int, float, type(None))),
    "chunkTokens": ("chunk_tokens", (int,)),
    "totalCredits": ("total_credits", (int, float)),
    "keyLimit": ("key_limit", (int, float, type(None))),
    "isFreeTier": ("is_free_tier", (bool,)),
    "isByok": ("is_byok", (bool,)),
    "reportCost": ("report_cost", (bool,)),
    "processingComments": ("processing_comments", (bool,)),
    "roleFirstChunk": ("role_first_chunk", (bool,)),
    "nullDeltaKeys": ("null_delta_keys", (bool,)),
    "reasoningDetails": ("reasoning_details", (bool,)),
    "usageChunk": ("usage_chunk", (str,)),
    "streamUsage": ("stream_usage", (str,)),
    "stringErrorCodes": ("string_error_codes", (bool,)),
    "rateLimitHeaders": ("rate_limit_headers", (bool,)),
    "generationDelaySeconds": ("generation_delay_seconds", (int, float)),
    "toolCalls": ("tool_calls", (bool,)),
    "replyText": ("reply_text", (str, type(None))),
}


def config_changes(data: Any) -> dict[str, Any]:
    """Config field changes from a `/_emulator/config` body; ValueError when invalid."""
    if not isinstance(data, dict):
        raise ValueError("config must be a JSON object")
    changes: dict[str, Any] = {}
    for name, value in data.items():
        if name not in CONFIG_FIELDS:
            raise ValueError(f"unknown config field {name!r}; known: {sorted(CONFIG_FIELDS)}")
        field, types = CONFIG_FIELDS[name]
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            raise ValueError(f"bad value for {name!r}")
        if isinstance(value, list) and not all(isinstance(k, str) for k in value):
            raise ValueError('"apiKeys" must be a list of strings')
        if name == "chunkTokens" and isinstance(value, int) and value < 1:
            raise ValueError('"chunkTokens" must be >= 1')
        if name == "usageChunk" and value not in USAGE_CHUNK_SHAPES:
            raise ValueError(f'"usageChunk" must be one of {list(USAGE_CHUNK_SHAPES)}')
        if name == "streamUsage" and value not in STREAM_USAGE_MODES:
            raise ValueError(f'"streamUsage" must be one of {list(STREAM_USAGE_MODES)}')
        if name == "generationDelaySeconds" and isinstance(value, (int, float)) and value < 0:
            raise ValueError('"generationDelaySeconds" must be >= 0')
        changes[field] = value
    return changes


def config_json(state: EmulatorState) -> dict[str, Any]:
    config = state.snapshot_config()
    return {name: getattr(config, field) for name, (field, _) in CONFIG_FIELDS.items()}


def control_routes(state: EmulatorState) -> list[BaseRoute]:
    async def requests(request: Request) -> Response:
        if request.method == "DELETE":
            state.clear_requests()
            return JSONResponse({"ok": True})
        return JSONResponse({"requests": state.request_list()})

    async def faults(request: Request) -> Response:
        if request.method == "DELETE":
            state.clear_faults()
            return JSONResponse({"ok": True})
        if request.method == "POST":
            try:
                state.add_fault(parse_fault(await _json(request)))
            except ValueError as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
        with state.lock:
            listed = [f.to_json() for f in state.faults]
        return JSONResponse({"faults": listed})

    async def config(request: Request) -> Response:
        if request.method == "POST":
            try:
                state.update_config(**config_changes(await _json(request)))
            except ValueError as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse({"config": config_json(state)})

    async def reset(request: Request) -> Response:
        state.reset()
        return JSONResponse({"ok": True})

    return [
        Route("/_emulator/requests", _local(requests), methods=["GET", "DELETE"]),
        Route("/_emulator/faults", _local(faults), methods=["GET", "POST", "DELETE"]),
        Route("/_emulator/config", _local(config), methods=["GET", "POST"]),
        Route("/_emulator/reset", _local(reset), methods=["POST"]),
    ]


async def _json(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw) if raw else {}
    except ValueError as exc:
        raise ValueError(f"invalid JSON: {exc}") from exc


def _local(handler: Any) -> Any:
    async def guarded(request: Request) -> Response:
        host = request.client.host if request.client else ""
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host in ("localhost", "testclient")
        if not loopback:
            return JSONResponse({"error": "control routes answer loopback clients only"},
                                status_code=403)
        response: Response = await handler(request)
        return response

    return guarded
