"""OpenRouter-shaped error bodies: `{"error": {"code", "message", "metadata"?}}`."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

# Messages OpenRouter documents (or really sends) for each status.
DEFAULT_MESSAGES: dict[int, str] = {
    400: "Bad Request",
    401: "No auth credentials found",
    402: "This request requires more credits, or fewer max_tokens. You requested up to 64 "
    "tokens, but can only afford 0. To increase, visit https://openrouter.ai/settings/credits "
    "and add more credits",
    403: "Your input was flagged by the moderation system",
    404: "Not Found",
    408: "Request timed out",
    413: "Payload Too Large",
    422: "Unprocessable Entity",
    429: "Rate limit exceeded: limit_rpm/emulator/20. High demand, please retry shortly.",
    500: "Internal Server Error",
    502: "Provider returned error",
    503: "No endpoints found that can handle the requested parameters.",
    524: "Request timed out at the edge",
    529: "Provider returned error",
}
ERROR_TYPES: dict[int, str] = {
    400: "invalid_request",
    401: "authentication",
    402: "payment_required",
    403: "content_policy_violation",
    404: "not_found",
    408: "timeout",
    413: "payload_too_large",
    422: "unprocessable",
    429: "rate_limit_exceeded",
    500: "server",
    502: "provider_unavailable",
    503: "provider_unavailable",
    524: "timeout",
    529: "provider_overloaded",
}
EMULATOR_PROVIDER = "Emulator"


def error_body(code: int, message: str, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if metadata is not None:
        error["metadata"] = metadata
    return {"error": error}


def default_error_body(status: int, provider_name: str = "OpenAI") -> dict[str, Any]:
    """The body a fault with this status sends when it gives none."""
    message = DEFAULT_MESSAGES.get(status, f"Emulated error {status}")
    metadata: dict[str, Any] | None = None
    if status == 403:
        metadata = {"reasons": ["emulated"], "flagged_input": "…", "provider_name": provider_name,
                    "model_slug": "openai/gpt-4o"}
    elif status in (502, 529):
        metadata = {"raw": f"[emulator] upstream {provider_name} failed (emulated)",
                    "provider_name": provider_name, "error_type": ERROR_TYPES[status]}
    elif status in ERROR_TYPES:
        metadata = {"error_type": ERROR_TYPES[status]}
    return error_body(status, message, metadata)


def json_error(status: int, message: str, metadata: dict[str, Any] | None = None,
               headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(status, message, metadata), status_code=status,
                        headers=headers)
