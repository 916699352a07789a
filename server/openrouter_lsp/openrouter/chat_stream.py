"""One streaming chat over HTTP: open the stream, hand each increment to a callback, and end with
the outcome (text, finish reason, usage, generation id) or an UpstreamError carrying the text
received so far.

- Retries happen only before the first token (HTTP 429/502/503, bounded, honouring
  Retry-After up to a cap); once text has streamed, a failure ends the request.
- A stream that sends nothing for `stall_timeout` seconds is a timeout (keep-alive comments
  count as life: OpenRouter sends them while a slow provider thinks).
- Cancellation (the task's CancelledError) leaves the `async with` of the stream at once, which
  closes the connection: the provider sees the disconnect and stops billing.

Per chunk the work is one JSON decode and a few dict lookups: this is the hot path.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

from ..errors import UpstreamError, upstream_error
from ..protocol import ErrorKind
from .client import CONNECT_TIMEOUT_S, http_client
from .errors import error_body, error_from_http, error_from_payload, error_from_transport
from .sse import DONE, MalformedStream, SSEDecoder

if TYPE_CHECKING:
    import httpx

OnDelta = Callable[[str | None, str | None], None]  # (content, reasoning) increments

RETRY_STATUSES = frozenset({429, 502, 503})
DEFAULT_STALL_TIMEOUT_S = 120.0
STALL_TIMEOUT_ENV = "OPENROUTER_LSP_STALL_TIMEOUT"
MAX_ERROR_BODY_BYTES = 256 * 1024
# `raw_decode` on text skips json.loads' encoding detection: a third of the per-chunk cost.
_decode = json.JSONDecoder().raw_decode
# After [DONE], how long to wait for the end of the HTTP body so the connection can be reused.
DRAIN_TIMEOUT_S = 0.25


def stall_timeout_from_env() -> float:
    raw = os.environ.get(STALL_TIMEOUT_ENV)
    if raw:
        try:
            value = float(raw)
        except ValueError:
            return DEFAULT_STALL_TIMEOUT_S
        if value > 0:
            return value
    return DEFAULT_STALL_TIMEOUT_S


@attrs.frozen
class RetryPolicy:
    max_retries: int = 2
    base_delay_s: float = 0.5
    max_wait_s: float = 10.0  # a longer Retry-After is not waited for: the error says it

    def delay(self, attempt: int, retry_after: float | None) -> float | None:
        """Seconds to wait before retry number `attempt + 1`, or None to give up."""
        if attempt >= self.max_retries:
            return None
        if retry_after is not None:
            return retry_after if retry_after <= self.max_wait_s else None
        return float(min(self.base_delay_s * 2.0**attempt, self.max_wait_s))


@attrs.frozen
class ChatRequest:
    url: str
    headers: dict[str, str]
    body: dict[str, Any]
    base_url: str  # for messages: where the request went
    service: str = "OpenRouter"  # who to name in messages


@attrs.define
class ChatOutcome:
    content: str
    reasoning: str
    finish_reason: str | None
    model: str | None
    provider: str | None
    generation_id: str | None
    usage: dict[str, Any] | None  # the stream's raw `usage` object


class _Retry(Exception):
    def __init__(self, error: UpstreamError) -> None:
        super().__init__(error.detail.message)
        self.error = error


class _Stream:
    """The state of one attempt: what has arrived so far."""

    def __init__(self, request: ChatRequest, on_delta: OnDelta) -> None:
        self.request = request
        self.on_delta = on_delta
        self.content: list[str] = []
        self.reasoning: list[str] = []
        self.finish_reason: str | None = None
        self.model: str | None = None
        self.provider: str | None = None
        self.generation_id: str | None = None
        self.usage: dict[str, Any] | None = None
        self.done = False

    @property
    def partial(self) -> str | None:
        return "".join(self.content) or None

    def outcome(self) -> ChatOutcome:
        return ChatOutcome(
            content="".join(self.content),
            reasoning="".join(self.reasoning),
            finish_reason=self.finish_reason,
            model=self.model,
            provider=self.provider,
            generation_id=self.generation_id,
            usage=self.usage,
        )

    def fail(self, message: str, kind: ErrorKind = "stream_error", **extra: Any) -> UpstreamError:
        return upstream_error(kind, message, partial_content=self.partial, **extra)

    def handle(self, data: str) -> None:
        if data == DONE:
            self.done = True
            return
        if data[:1].isspace():
            data = data.strip()
        try:
            chunk, end = _decode(data)
            if end != len(data) and data[end:].strip():
                raise ValueError("trailing data")
        except ValueError:
            raise self.fail(
                f"{self.request.service} sent a malformed stream line; the answer is cut short. "
                "Try again."
            ) from None
        try:
            self._chunk(chunk)
        except (AttributeError, TypeError, KeyError, IndexError):
            raise self.fail(
                f"{self.request.service} sent a stream chunk of an unexpected shape; the answer "
                "is cut short. Try again."
            ) from None

    def _chunk(self, chunk: dict[str, Any]) -> None:
        error = chunk.get("error")
        if error is not None:
            raise self._error(error if isinstance(error, dict) else {"message": str(error)})
        choices = chunk.get("choices")
        if choices:
            choice = choices[0]
            delta = choice.get("delta")
            if delta:
                content = delta.get("content")
                reasoning = delta.get("reasoning")
                if reasoning is None:
                    reasoning = delta.get("reasoning_content")
                if content or reasoning:
                    if content:
                        if not isinstance(content, str):
                            raise TypeError("content")
                        self.content.append(content)
                    if reasoning:
                        if not isinstance(reasoning, str):
                            raise TypeError("reasoning")
                        self.reasoning.append(reasoning)
                    self.on_delta(content or None, reasoning or None)
            finish = choice.get("finish_reason")
            if finish:
                self.finish_reason = finish
                if finish == "error":
                    raise self._error({"message": "the provider ended the answer with an error"})
        usage = chunk.get("usage")
        if usage:
            self.usage = usage
        if self.model is None:
            self.generation_id = self.generation_id or chunk.get("id") or None
            self.model = chunk.get("model") or None
            self.provider = chunk.get("provider") or None

    def _error(self, error: dict[str, Any]) -> UpstreamError:
        mapped = error_from_payload(error, None, service=self.request.service)
        if not self.content and not self.reasoning:
            # Keep-alives committed the 200 before the error: it is the request's answer.
            return mapped
        detail = mapped.detail
        return self.fail(
            f"The answer stopped part-way with an error: {detail.message}",
            status=detail.status,
            provider_name=detail.provider_name,
        )

    def started(self) -> bool:
        return bool(self.content or self.reasoning)


async def stream_chat(
    request: ChatRequest,
    on_delta: OnDelta,
    *,
    stall_timeout: float | None = None,
    retry: RetryPolicy | None = None,
    client: httpx.AsyncClient | None = None,
) -> ChatOutcome:
    """Stream one chat; raises UpstreamError (with `partialContent`) on failure."""
    import httpx

    retry = retry or RetryPolicy()
    stall = stall_timeout if stall_timeout is not None else stall_timeout_from_env()
    timeout = httpx.Timeout(connect=CONNECT_TIMEOUT_S, read=stall, write=60.0, pool=30.0)
    client = client or http_client()
    attempt = 0
    while True:
        try:
            return await _attempt(client, request, on_delta, timeout, stall)
        except _Retry as retry_signal:
            wait = retry.delay(attempt, retry_signal.error.detail.retry_after_seconds)
            if wait is None:
                raise retry_signal.error from None
            attempt += 1
            await asyncio.sleep(wait)


async def _attempt(
    client: httpx.AsyncClient,
    request: ChatRequest,
    on_delta: OnDelta,
    timeout: httpx.Timeout,
    stall: float,
) -> ChatOutcome:
    import httpx

    stream = _Stream(request, on_delta)
    responded = False
    try:
        async with client.stream(
            "POST", request.url, json=request.body, headers=request.headers, timeout=timeout
        ) as response:
            responded = True
            header_id = response.headers.get("x-generation-id")
            status = response.status_code
            if 300 <= status < 400:
                raise _redirect_error(request, status, response.headers.get("location"))
            if status != 200:
                body = await _read_bounded(response)
                error = error_from_http(status, response.headers, body, service=request.service)
                if status in RETRY_STATUSES:
                    raise _Retry(error)
                raise error
            if "text/event-stream" not in response.headers.get("content-type", ""):
                outcome = _from_json(stream, await _read_bounded(response), response.headers)
            else:
                await _read_events(stream, response)
                outcome = stream.outcome()
            if outcome.generation_id is None:
                outcome.generation_id = header_id
            return outcome
    except httpx.TimeoutException as exc:
        if not responded:
            raise error_from_transport(exc, request.base_url) from None
        raise stream.fail(
            f"{request.service} sent nothing for {stall:g} s, so the request was stopped. "
            "Try again, or pick a faster model or provider.",
            kind="timeout",
        ) from None
    except httpx.TransportError as exc:
        if not responded:
            raise error_from_transport(exc, request.base_url) from None
        raise stream.fail(
            f"The connection to {request.base_url} broke off during the answer "
            f"({type(exc).__name__}). Try again."
        ) from None


def _redirect_error(request: ChatRequest, status: int, location: str | None) -> UpstreamError:
    target = f" to {location[:200]}" if location else ""
    return upstream_error(
        "bad_request",
        f"{request.base_url} answered with a redirect (HTTP {status}{target}). The API key is "
        "never sent across a redirect: set the final address as the base URL.",
        status=status,
    )


async def _read_events(stream: _Stream, response: httpx.Response) -> None:
    decoder = SSEDecoder()
    chunks = response.aiter_bytes()
    try:
        async for chunk in chunks:
            for data in decoder.feed(chunk):
                stream.handle(data)
            if stream.done:
                break
        else:
            for data in decoder.close():
                stream.handle(data)
    except MalformedStream as exc:
        raise stream.fail(f"{stream.request.service} sent a malformed stream ({exc}).") from None
    if stream.done:
        await _drain(chunks)
    elif stream.finish_reason is None:
        raise stream.fail(
            f"The stream from {stream.request.base_url} ended before the answer was complete. "
            "Try again."
        )


async def _drain(chunks: Any) -> None:
    """Read the end of the HTTP body after [DONE] so the connection goes back to the pool."""

    async def exhaust() -> None:
        async for _ in chunks:
            pass

    # Not drained in time: the connection is closed instead of reused; the answer is complete.
    with contextlib.suppress(asyncio.TimeoutError, Exception):
        await asyncio.wait_for(exhaust(), DRAIN_TIMEOUT_S)


async def _read_bounded(response: httpx.Response) -> bytes:
    parts: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        parts.append(chunk)
        size += len(chunk)
        if size >= MAX_ERROR_BODY_BYTES:
            break
    return b"".join(parts)[:MAX_ERROR_BODY_BYTES]


def _from_json(stream: _Stream, body: bytes, headers: Any) -> ChatOutcome:
    """A 200 that is not a stream: an error body, or a server that ignored `stream: true`."""
    error = error_body(body)
    if error is not None:
        raise error_from_http(200, headers, body, service=stream.request.service)
    try:
        payload = json.loads(body)
        choice = payload["choices"][0]
        message = choice.get("message") or {}
        content = message.get("content") or ""
        reasoning = message.get("reasoning") or message.get("reasoning_content") or ""
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        raise stream.fail(
            f"{stream.request.service} answered with something that is neither a stream nor a "
            "chat completion. Check the base URL."
        ) from None
    if content or reasoning:
        stream.on_delta(content or None, reasoning or None)
    return ChatOutcome(
        content=content if isinstance(content, str) else "",
        reasoning=reasoning if isinstance(reasoning, str) else "",
        finish_reason=choice.get("finish_reason"),
        model=payload.get("model"),
        provider=payload.get("provider"),
        generation_id=payload.get("id"),
        usage=payload.get("usage") if isinstance(payload.get("usage"), dict) else None,
    )
