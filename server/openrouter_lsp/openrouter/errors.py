"""Upstream failures as values with a kind and a sentence a person can act on.

OpenRouter's own message is often too terse to act on ("Provider returned error"); the reason
is in `error.metadata.raw` and the provider's name in `metadata.provider_name`: both go into the
sentence. A JSON error body maps by its `error.code` whatever the HTTP status (OpenRouter can
answer 200 with an error body, or send an error chunk after keep-alives committed the 200).
"""

from __future__ import annotations

import json
import logging
import math
import re
import ssl
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..errors import UpstreamError, upstream_error
from ..logging_setup import redact
from ..protocol import ErrorKind
from .numbers import loads

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

# --- mapping -----------------------------------------------------------------------------------

KIND_BY_STATUS: dict[int, ErrorKind] = {
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
# String codes (and 2026 `metadata.error_type`s) that name a kind better than the status does.
_KIND_BY_NAME: dict[str, ErrorKind] = {
    "context_length_exceeded": "context_length",
    "rate_limit_exceeded": "rate_limit",
    "rate_limit": "rate_limit",
    "payment_required": "credits",
    "insufficient_quota": "credits",
    "authentication": "auth",
    "invalid_api_key": "auth",
    "unauthorized": "auth",
    "content_policy_violation": "moderation",
    "moderation": "moderation",
    "timeout": "timeout",
    "provider_unavailable": "unavailable",
    "provider_overloaded": "unavailable",
    "server_error": "unavailable",
}
_CONTEXT_LENGTH = re.compile(r"context[ _-]?(length|window)|maximum context|too many tokens", re.I)
_AFFORD = re.compile(r"requested up to (\d[\d,]*) tokens, but can only afford (\d[\d,]*)", re.I)
_KEY_LIKE = re.compile(r"sk-[A-Za-z0-9_-]{16,}")
MAX_DETAIL_CHARS = 600
# A longer Retry-After is absurd (daily limits reset within a day): treated as absent.
MAX_RETRY_AFTER_S = 2 * 86_400.0


def clean_text(text: str) -> str:
    """Upstream text as it may be shown: one line, bounded, without the API key (an upstream
    may echo it, whatever its shape) or key-like strings."""
    text = redact(" ".join(text.split()))
    text = _KEY_LIKE.sub("sk-…", text)
    if len(text) > MAX_DETAIL_CHARS:
        text = text[: MAX_DETAIL_CHARS - 1] + "…"
    return text


def _seconds(value: float, what: str) -> float | None:
    if math.isfinite(value) and -MAX_RETRY_AFTER_S <= value <= MAX_RETRY_AFTER_S:
        return max(0.0, value)
    log.warning("Ignoring %s from the upstream: %r seconds is not a sensible wait", what, value)
    return None


def _raw_reason(raw: object) -> str | None:
    """The useful part of `metadata.raw`: often a JSON document with its own error message."""
    if raw is None:
        return None
    if isinstance(raw, str):
        try:
            parsed: object = json.loads(raw)
        except ValueError:
            return clean_text(raw) or None
    else:
        parsed = raw
    if isinstance(parsed, dict):
        inner = parsed.get("error", parsed)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return clean_text(inner["message"]) or None
        if isinstance(inner, str):
            return clean_text(inner) or None
    return clean_text(raw if isinstance(raw, str) else json.dumps(raw)) or None


def retry_after_seconds(headers: Mapping[str, str] | Any, now: float | None = None) -> float | None:
    """Seconds to wait from `Retry-After` (seconds or an HTTP date) or `X-RateLimit-Reset`
    (epoch milliseconds), or None when neither says."""
    if headers is None:
        return None
    now = time.time() if now is None else now
    value = headers.get("retry-after")
    if value:
        try:
            return _seconds(float(value), "Retry-After")
        except ValueError:
            import email.utils  # ~30 ms: loaded only when a server sends an HTTP date

            try:
                when = email.utils.parsedate_to_datetime(value)
                return _seconds(when.timestamp() - now, "Retry-After")
            except (TypeError, ValueError, IndexError, OverflowError):
                pass
    reset = headers.get("x-ratelimit-reset")
    if reset:
        try:
            stamp = float(reset)
        except ValueError:
            return None
        # Epoch milliseconds as OpenRouter documents; tolerate epoch seconds too.
        seconds = stamp / 1000.0 if stamp > 1e11 else stamp
        wait = _seconds(seconds - now, "X-RateLimit-Reset")
        return None if wait is None else round(wait, 3)
    return None


def _status_code(code: object) -> int | None:
    """An error `code` that is an HTTP status (100-599), as an int; anything else is None."""
    if isinstance(code, bool):
        return None
    if isinstance(code, str) and code.isdigit() and len(code) == 3:
        code = int(code)
    return code if isinstance(code, int) and 100 <= code <= 599 else None


def _kind_for(status: int | None, code: object, error: dict[str, Any]) -> ErrorKind:
    metadata = error.get("metadata")
    error_type = metadata.get("error_type") if isinstance(metadata, dict) else None
    for name in (code, error_type):
        if isinstance(name, str) and name.lower() in _KIND_BY_NAME:
            return _KIND_BY_NAME[name.lower()]
    numeric = _status_code(code)
    effective = numeric if numeric is not None and numeric >= 400 else status
    message = error.get("message")
    raw = metadata.get("raw") if isinstance(metadata, dict) else None
    text = f"{message if isinstance(message, str) else ''} {raw if isinstance(raw, str) else ''}"
    if effective in (400, 413, 422, None) and _CONTEXT_LENGTH.search(text):
        return "context_length"
    if effective is None or effective < 400:
        return "unavailable"
    return KIND_BY_STATUS.get(effective, "unavailable" if effective >= 500 else "bad_request")


def _sentence(
    kind: ErrorKind,
    status: int | None,
    upstream: str,
    provider: str | None,
    reason: str | None,
    retry_after: float | None,
    service: str,
) -> str:
    said = f"{upstream}: {reason}" if reason and reason not in upstream else upstream
    where = f" (provider {provider})" if provider else ""
    code = f"HTTP {status}: " if status else ""
    if kind == "auth":
        return (
            f"{service} rejected the API key ({code}{said}). Check or create a key at "
            "https://openrouter.ai/keys and set it again."
        )
    if kind == "credits":
        match = _AFFORD.search(upstream)
        if match:
            wanted, allowed = match.group(1), match.group(2)
            return (
                f"Not enough credits: this request may use up to {wanted} tokens but the "
                f"remaining credits allow only {allowed}. Lower maxTokens to {allowed} or less, "
                "or add credits at https://openrouter.ai/settings/credits."
            )
        return (
            f"Not enough credits ({code}{said}). Add credits at "
            "https://openrouter.ai/settings/credits or lower maxTokens."
        )
    if kind == "moderation":
        return (
            f"The request was refused by moderation{where} ({code}{said}). Rephrase the "
            "flagged text, or pick a model or provider without this moderation."
        )
    if kind == "timeout":
        return (
            f"The request timed out upstream{where} ({code}{said}). Try again, or pick a "
            "faster model or provider."
        )
    if kind == "rate_limit":
        wait = (
            f" Retry in {retry_after:.0f} s." if retry_after is not None else " Retry shortly."
        )
        return (
            f"Rate limited{where} ({code}{said}).{wait} Free (:free) models allow about 20 "
            "requests a minute; a paid model or your own provider key avoids the shared limit."
        )
    if kind == "context_length":
        return (
            f"The conversation is longer than the model's context{where} ({said}). Turn on "
            "\"Compress prompts and message chains to the context size\" (middle-out), shorten "
            "the conversation, or pick a model with a larger context."
        )
    if kind == "unavailable":
        if status == 503 and not provider:
            return (
                f"No provider can serve this request right now ({code}{said}). Try again, or "
                "relax the provider routing (specific provider, fallbacks, data policy)."
            )
        who = f"The provider {provider}" if provider else "The provider"
        return f"{who} failed ({code}{said}). Try again, or choose another provider or model."
    # bad_request and anything else
    hint = " Check the model id and the base URL." if status == 404 else ""
    return f"{service} rejected the request ({code}{said}).{hint}"


def error_from_payload(
    error: dict[str, Any],
    status: int | None,
    headers: Any = None,
    *,
    service: str = "OpenRouter",
) -> UpstreamError:
    """An `{"code", "message", "metadata"?}` error object (from a body or a stream chunk)."""
    code = error.get("code")
    metadata = error.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    raw_message = error.get("message")
    upstream = clean_text(raw_message) if isinstance(raw_message, str) and raw_message else ""
    provider = metadata.get("provider_name")
    provider = clean_text(provider) if isinstance(provider, str) and provider else None
    reason = _raw_reason(metadata.get("raw"))
    reasons = metadata.get("reasons")
    if not reason and isinstance(reasons, list) and reasons:
        reason = clean_text("flagged for " + ", ".join(str(r) for r in reasons))
    kind = _kind_for(status, code, error)
    if not upstream:
        upstream = clean_text(f"error {str(code)[:40]}") if code is not None else "no message"
    numeric_code = _status_code(code)
    shown_status = status if status and status != 200 else numeric_code
    retry_after = retry_after_seconds(headers) if kind in ("rate_limit", "unavailable") else None
    message = _sentence(kind, shown_status, upstream, provider, reason, retry_after, service)
    return upstream_error(
        kind,
        message,
        status=shown_status,
        retry_after_seconds=retry_after,
        provider_name=provider,
    )


def error_body(body: bytes) -> dict[str, Any] | None:
    """The `error` object of a JSON body, or None when the body is not one."""
    try:
        payload = loads(body)
    except ValueError:  # UnicodeDecodeError included
        return None
    if not isinstance(payload, dict):
        return None
    error = payload.get("error")
    if isinstance(error, dict):
        return error
    if isinstance(error, str) and error:
        return {"message": error}
    return None


def error_from_http(
    status: int, headers: Any, body: bytes, *, service: str = "OpenRouter"
) -> UpstreamError:
    """An HTTP error response (or a 200 whose body is an error) as an UpstreamError."""
    error = error_body(body)
    if error is None:
        text = body[:MAX_DETAIL_CHARS].decode("utf-8", "replace").strip()
        looks_like_html = text.lstrip().startswith("<")
        no_text = looks_like_html or not text
        error = {"message": f"{status} with no JSON error" if no_text else clean_text(text)}
    return error_from_payload(error, status, headers, service=service)


def _tls_failure(exc: BaseException) -> ssl.SSLError | None:
    """The TLS error behind a transport error (httpx and httpcore chain it as the cause)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def error_from_transport(exc: httpx.HTTPError, base_url: str) -> UpstreamError:
    """A failure below HTTP (DNS, refused connection, TLS, timeout) as an UpstreamError."""
    import httpx

    name = type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        what = (
            "did not accept the connection"
            if isinstance(exc, httpx.ConnectTimeout)
            else "did not answer"
        )
        return upstream_error(
            "timeout", f"{base_url} {what} in time ({name}). Try again, or check the base URL."
        )
    tls = _tls_failure(exc)
    if tls is not None:
        return upstream_error(
            "network",
            f"The secure connection to {base_url} failed ({name}: TLS, {type(tls).__name__}). "
            "Check the base URL and the system's certificates.",
        )
    if isinstance(exc, httpx.ConnectError):
        return upstream_error(
            "network",
            f"Could not connect to {base_url} ({name}). Check the network connection and the "
            "base URL.",
        )
    return upstream_error(
        "network",
        f"The connection to {base_url} failed ({name}). Check the connection and the base URL.",
    )
