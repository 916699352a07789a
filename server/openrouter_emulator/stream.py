"""The SSE side of chat: the chunk sequence (with stream faults) and a response that notices
when the client goes away.

`WatchedStream` runs the event generator and a `receive()` watcher side by side: an
`http.disconnect` before the last byte cancels the generator at once (even mid-stall) and is
reported to `on_end(disconnected=True)`, which marks the request record and the generation.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from . import reasoning_details
from .chat import ChatPlan
from .errors import default_error_body
from .state import Config, Fault
from .synth import CHARS_PER_TOKEN, text_tokens

KEEPALIVE = b": OPENROUTER PROCESSING\n\n"
DONE = b"data: [DONE]\n\n"
FLUSH_BYTES = 16384


class DropConnection(Exception):
    """Raised inside a stream to make uvicorn close the socket abruptly (drop_mid_stream)."""


class _HideDrops(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, DropConnection)


logging.getLogger("uvicorn.error").addFilter(_HideDrops())


class Progress:
    """What the stream has sent so far (for the generation record of a cancelled stream)."""

    def __init__(self) -> None:
        self.tokens = 0
        self.finish_reason: str | None = None


def _dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"))


# The documented mid-stream error (OpenRouter's streaming docs, "Error handling"): a string
# code. An explicit fault status keeps the numeric form of the OpenAPI description.
DOCUMENTED_STREAM_ERROR = {"code": "server_error", "message": "Provider disconnected unexpectedly"}


def _error_payload(plan: ChatPlan, fault: Fault, string_codes: bool) -> dict[str, Any]:
    body = fault.body
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return dict(body["error"])
    if isinstance(body, dict):
        return dict(body)
    error: dict[str, Any] = default_error_body(fault.status or 502, plan.provider)["error"]
    if string_codes and fault.status is None:
        error = {**error, **DOCUMENTED_STREAM_ERROR}
    return error


class _Chunks:
    """Serialises the chunks of one stream; content-only chunks (the hot path) are built from
    pre-encoded pieces instead of a dict per token."""

    def __init__(self, plan: ChatPlan, config: Config) -> None:
        self.plan = plan
        self.null_keys = config.null_delta_keys
        self.head = _dumps({"id": plan.gen_id, "provider": plan.provider, "model": plan.model,
                            "object": "chat.completion.chunk", "created": plan.created})[:-1]
        null_reasoning = ',"reasoning":null,"reasoning_details":[]' if self.null_keys else ""
        logprobs = ',"logprobs":null' if self.null_keys else ""
        self.open = (b"data: " + self.head.encode()
                     + b',"choices":[{"index":0,"delta":{"role":"assistant","content":')
        self.close = (null_reasoning + '},"finish_reason":null,"native_finish_reason":null'
                      + logprobs + "}]}\n\n").encode()

    def content(self, text: str) -> bytes:
        return self.open + _dumps(text).encode() + self.close

    def delta(self, delta: dict[str, Any], finish: str | None = None) -> bytes:
        if self.null_keys:
            delta = {"reasoning": None, "reasoning_details": [], **delta}
        choice: dict[str, Any] = {"index": 0, "delta": {"role": "assistant", **delta},
                                  "finish_reason": finish, "native_finish_reason": finish}
        if self.null_keys:
            choice["logprobs"] = None
        return self._with_head({"choices": [choice]})

    def usage(self) -> bytes:
        if self.plan.usage_with_choice:
            choices: list[Any] = [{"index": 0, "delta": {"role": "assistant", "content": ""},
                                   "finish_reason": None, "native_finish_reason": None,
                                   "logprobs": None}]
        else:
            choices = []
        return self._with_head({"choices": choices, "usage": self.plan.reported_usage()})

    def _with_head(self, fields: dict[str, Any]) -> bytes:
        """A data line: the stream's id/provider/model/object/created, then `fields`."""
        return b"data: " + self.head.encode() + b"," + _dumps(fields)[1:].encode() + b"\n\n"

    def error(self, error: dict[str, Any]) -> bytes:
        return self._with_head({"error": error, "choices": [
            {"index": 0, "delta": {"role": "assistant", "content": ""},
             "finish_reason": "error", "native_finish_reason": "error"}]})


def _token_chunk(chunks: _Chunks, plan: ChatPlan, first: int, last: int,
                 reasoning_tokens: int) -> bytes:
    """The chunk of tokens [first, last): reasoning first, then the text or the tool call."""
    answer = _slice(plan.answer, first - reasoning_tokens, last - reasoning_tokens)
    if first >= reasoning_tokens and plan.tool_call is None:
        return chunks.content(answer)
    delta: dict[str, Any] = {"content": answer}
    if first < reasoning_tokens:
        thought = _slice(plan.reasoning, first, last)
        delta["reasoning"] = thought
        if plan.reasoning_details:
            details = [reasoning_details.piece(plan.model, thought)]
            if last >= reasoning_tokens:
                end = reasoning_details.closing(plan.model, plan.reasoning)
                details += [end] if end is not None else []
            delta["reasoning_details"] = details
    if plan.tool_call is not None and answer:
        # The first piece names the call; the rest only extend its arguments.
        starts = first <= reasoning_tokens
        delta["content"] = None
        delta["tool_calls"] = [plan.tool_call_json(answer) if starts
                               else {"index": 0, "function": {"arguments": answer}}]
    return chunks.delta(delta)


async def sse_events(plan: ChatPlan, fault: Fault | None, config: Config,
                     progress: Progress) -> AsyncIterator[bytes]:
    mode = fault.mode if fault else None
    chunks = _Chunks(plan, config)

    def error_chunk() -> bytes:
        assert fault is not None
        return chunks.error(_error_payload(plan, fault, config.string_error_codes))

    # OpenRouter comments while it waits for the provider's first byte; it goes out with the
    # first chunk (one write, not two: the benchmarks' first-token baseline stays direct).
    opening = KEEPALIVE if config.processing_comments else b""
    if mode in ("keepalive_first", "error_chunk_before_content"):
        yield opening + KEEPALIVE + KEEPALIVE
        opening = b""
    if mode == "error_chunk_before_content":
        progress.finish_reason = "error"
        yield error_chunk()
        return
    tps = config.tokens_per_second or 0.0
    per_chunk = max(1, config.chunk_tokens)
    reasoning_tokens = text_tokens(plan.reasoning)
    total = reasoning_tokens + text_tokens(plan.answer)
    fault_at = max(0, fault.after_chunks) if fault and fault.mode else -1
    start = time.monotonic()
    buffer = bytearray(opening)
    if config.role_first_chunk:
        buffer += chunks.delta({"content": ""})
    for index, first in enumerate(range(0, total, per_chunk)):
        if index == fault_at and mode in ("error_chunk_mid_stream", "drop_mid_stream",
                                          "malformed_line", "stall_mid_stream"):
            yield bytes(buffer)
            buffer.clear()
            if mode == "error_chunk_mid_stream":
                progress.finish_reason = "error"
                yield error_chunk()
                return
            if mode == "drop_mid_stream":
                raise DropConnection
            if mode == "malformed_line":
                yield b"data: {not json\n\n"
            if mode == "stall_mid_stream" and fault is not None:
                await asyncio.sleep(fault.stall_seconds)
        last = min(first + per_chunk, total)
        buffer += _token_chunk(chunks, plan, first, last, reasoning_tokens)
        progress.tokens = last
        if tps > 0:
            due = start + progress.tokens / tps
            wait = due - time.monotonic()
            if wait > 0.001:
                yield bytes(buffer)
                buffer.clear()
                await asyncio.sleep(wait)
        if index == 0 or len(buffer) >= FLUSH_BYTES:
            yield bytes(buffer)
            buffer.clear()
    progress.finish_reason = plan.finish_reason
    buffer += chunks.delta({"content": ""}, plan.finish_reason)
    if plan.stream_usage:
        buffer += chunks.usage()
    buffer += DONE
    yield bytes(buffer)


def _slice(text: str, first_token: int, end_token: int) -> str:
    """Tokens [first_token, end_token) of a reply text (four characters a token)."""
    return text[max(0, first_token) * CHARS_PER_TOKEN:max(0, end_token) * CHARS_PER_TOKEN]


class WatchedStream(Response):
    """An ASGI response streaming `events`, cancelling them when the client disconnects."""

    def __init__(self, events: AsyncIterator[bytes], headers: dict[str, str],
                 on_end: Callable[[bool], None]) -> None:
        self.status_code = 200
        self.background = None
        self.events = events
        self.extra_headers = {"content-type": "text/event-stream", "cache-control": "no-cache",
                        "x-accel-buffering": "no", **{k.lower(): v for k, v in headers.items()}}
        self.on_end = on_end

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(k.encode(), v.encode()) for k, v in self.extra_headers.items()]})
        finished = False

        async def pump() -> None:
            nonlocal finished
            async for data in self.events:
                if data:
                    await send({"type": "http.response.body", "body": data, "more_body": True})
            finished = True
            await send({"type": "http.response.body", "body": b"", "more_body": False})

        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass

        pump_task = asyncio.ensure_future(pump())
        watch_task = asyncio.ensure_future(watch())
        try:
            await asyncio.wait({pump_task, watch_task}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            disconnected = not pump_task.done() and not finished
            for task in (pump_task, watch_task):
                if not task.done() and (task is watch_task or disconnected):
                    task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watch_task
            dropped = False
            try:
                await pump_task
            except asyncio.CancelledError:
                pass
            except DropConnection:
                dropped = True
            except OSError:  # a send to a socket the client already closed
                disconnected = True
            self.on_end(disconnected)
        if dropped:
            raise DropConnection
