"""Upstream failures as values with a kind and a sentence a person can act on (SPEC §4)."""

from __future__ import annotations

from typing import Any

from pygls.exceptions import JsonRpcServerError

from ..protocol import UPSTREAM_ERROR_CODE, ErrorKind, UpstreamErrorData


class UpstreamError(JsonRpcServerError):
    """JSON-RPC error -32001 whose `data` is an `UpstreamErrorData` (camelCase)."""

    def __init__(self, detail: UpstreamErrorData) -> None:
        super().__init__(message=detail.message, code=UPSTREAM_ERROR_CODE, data=_data(detail))
        self.detail = detail

    @property
    def kind(self) -> ErrorKind:
        return self.detail.kind


def _data(detail: UpstreamErrorData) -> dict[str, Any]:
    from ..wire import unstructure

    data: dict[str, Any] = unstructure(detail)
    return {k: v for k, v in data.items() if v is not None}


def upstream_error(kind: ErrorKind, message: str, **extra: Any) -> UpstreamError:
    return UpstreamError(UpstreamErrorData(kind=kind, message=message, **extra))


def no_api_key_error() -> UpstreamError:
    return upstream_error(
        "no_api_key",
        "No API key is set. Get one at https://openrouter.ai/keys and set it with "
        "openrouter/apiKey/set (or the OPENROUTER_API_KEY environment variable).",
    )


# --- mapping (the chat issue refines these; keep the signatures) ---

_KIND_BY_STATUS: dict[int, ErrorKind] = {
    400: "bad_request",
    401: "auth",
    402: "credits",
    403: "moderation",
    404: "bad_request",
    408: "timeout",
    413: "bad_request",
    422: "bad_request",
    429: "rate_limit",
    502: "unavailable",
    503: "unavailable",
    524: "timeout",
    529: "unavailable",
}


def error_from_http(status: int, headers: Any, body: bytes) -> UpstreamError:
    """An HTTP error response (or a 200 whose body is an error) as an UpstreamError."""
    import json

    message = f"OpenRouter answered HTTP {status}."
    try:
        payload = json.loads(body)
        error = payload.get("error") if isinstance(payload, dict) else None
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            message = error["message"]
    except ValueError:
        pass
    kind = _KIND_BY_STATUS.get(status, "unavailable" if status >= 500 else "bad_request")
    return upstream_error(kind, message, status=status)


def error_from_transport(exc: Exception, base_url: str) -> UpstreamError:
    """A failure below HTTP (DNS, refused connection, TLS, timeout) as an UpstreamError."""
    name = type(exc).__name__
    if "Timeout" in name:
        return upstream_error("timeout", f"{base_url} did not answer in time ({name}).")
    return upstream_error(
        "network", f"Could not reach {base_url} ({name}). Check the connection and the base URL."
    )
