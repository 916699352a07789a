"""`openrouter/chat`: params -> effective settings -> request body -> stream -> ChatResult.

Increments go to the client as `$/progress` on the request's `partialResultToken`, coalesced by
time: the first at once, then at most one notification every `FLUSH_INTERVAL_S` (a fast stream
delivers one SSE event per HTTP read, thousands a second; one notification each would cost more
than the relay itself). Everything buffered is sent before the result or the error.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp

from .. import protocol, wire
from ..errors import UpstreamError, invalid, no_api_key_error, upstream_error
from ..protocol import ChatParams, ChatResult, ModelInfo, Settings
from ..settings import base_url_problem
from .models import unknown_model

if TYPE_CHECKING:
    from ..context import ServerContext
    from ..server import OpenRouterLanguageServer

log = logging.getLogger(__name__)

FLUSH_INTERVAL_S = 0.003
FLUSH_CHARS = 32_768
MAX_TOTAL_CHARS = protocol.MAX_MESSAGE_CHARS
MAX_TOKENS_LIMIT = 2_000_000  # above every model's completion limit in the catalogue
PROGRESS = "$/progress"


class ProgressRelay:
    """Buffers increments and sends them as `$/progress` values, coalesced by time."""

    def __init__(self, send: Callable[[dict[str, str]], None]) -> None:
        self._send = send
        self._loop = asyncio.get_running_loop()
        self._content: list[str] = []
        self._reasoning: list[str] = []
        self._size = 0
        self._last = -math.inf
        self._timer: asyncio.TimerHandle | None = None

    def __call__(self, content: str | None, reasoning: str | None) -> None:
        if content:
            self._content.append(content)
            self._size += len(content)
        if reasoning:
            self._reasoning.append(reasoning)
            self._size += len(reasoning)
        now = self._loop.time()
        if now - self._last >= FLUSH_INTERVAL_S or self._size >= FLUSH_CHARS:
            self.flush()
        elif self._timer is None:
            self._timer = self._loop.call_at(self._last + FLUSH_INTERVAL_S, self.flush)

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._size:
            return
        value: dict[str, str] = {}
        if self._content:
            value["content"] = "".join(self._content)
            self._content = []
        if self._reasoning:
            value["reasoning"] = "".join(self._reasoning)
            self._reasoning = []
        self._size = 0
        self._send(value)
        self._last = self._loop.time()

    def close(self) -> None:
        """Stop without sending (cancellation): nothing may follow the cancelled answer."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


def _ignore(_content: str | None, _reasoning: str | None) -> None:
    return None


def validate(params: ChatParams) -> None:
    """Checks beyond types; each error names its field."""
    if not params.messages:
        raise invalid("messages", "must contain at least one message")
    if len(params.messages) > protocol.MAX_MESSAGES:
        raise invalid(
            "messages",
            f"has too many messages ({len(params.messages):,}; the limit is "
            f"{protocol.MAX_MESSAGES:,})",
        )
    total = 0
    for message in params.messages:
        total += len(message.content)
    if total > MAX_TOTAL_CHARS:
        raise invalid(
            "messages",
            f"is too long in total ({total:,} characters; the limit is {MAX_TOTAL_CHARS:,})",
        )
    if params.model_id is not None:
        wire.check_length(params.model_id, protocol.MAX_ID_LENGTH, "modelId")
        if not params.model_id or any(ch.isspace() or ord(ch) < 32 for ch in params.model_id):
            raise invalid("modelId", "must be a model id such as \"openai/gpt-4o\"")
    if params.max_tokens is not None and not 1 <= params.max_tokens <= MAX_TOKENS_LIMIT:
        raise invalid(
            "maxTokens", f"must be between 1 and {MAX_TOKENS_LIMIT:,}, got {params.max_tokens}"
        )
    if params.temperature is not None and not (
        math.isfinite(params.temperature) and 0.0 <= params.temperature <= 2.0
    ):
        raise invalid("temperature", f"must be between 0 and 2, got {params.temperature}")
    wire.check_length(params.conversation_id, protocol.MAX_ID_LENGTH, "conversationId")
    if isinstance(params.partial_result_token, str):
        wire.check_length(params.partial_result_token, protocol.MAX_ID_LENGTH, "partialResultToken")


async def find_model(
    ctx: ServerContext, base_url: str, api_key: str | None, model_id: str
) -> ModelInfo | None:
    """The catalogue's entry for `model_id`, or None; a catalogue failure never fails a chat."""
    try:
        return await ctx.catalogue.find_model(base_url, api_key, model_id)
    except Exception as exc:
        log.warning("Model lookup for %s failed (%s)", model_id, type(exc).__name__)
        return None


_sound_base_urls: set[str] = set()


def _check_base_url(base_url: str) -> None:
    """Settings validate the base URL when saved; checked again (once per URL) before the key
    goes anywhere."""
    if base_url in _sound_base_urls:
        return
    if problem := base_url_problem(base_url):
        raise upstream_error("bad_request", f"The custom base URL {problem}.")
    _sound_base_urls.add(base_url)


def _service(settings: Settings, base_url: str) -> str:
    if settings.provider == "openrouter":
        return "OpenRouter"
    return f"The server at {base_url}"


async def run_chat(
    ctx: ServerContext, params: ChatParams, send_progress: Callable[[dict[str, str]], None] | None
) -> ChatResult:
    # The HTTP side loads with the first chat, not while the editor waits for `initialize`.
    from ..openrouter.chat_stream import ChatRequest, stream_chat
    from ..openrouter.cost import usage_from_stream
    from ..openrouter.request_body import build_body, build_headers, model_id_for

    validate(params)
    settings = ctx.settings.current
    api_key = ctx.api_key()
    # Local OpenAI-compatible servers often need no key; OpenRouter always does.
    if not api_key and settings.provider == "openrouter":
        raise no_api_key_error()
    base_url = ctx.base_url()
    if settings.use_custom_base_url:
        _check_base_url(base_url)
    model_id = model_id_for(settings, params)
    model: ModelInfo | None = None
    if settings.provider == "openrouter":
        # Cache breakpoints depend on the model's cache-write price, and the cost falls back to
        # its prices (a catalogue lookup, answered from memory once the catalogue is known).
        model = await find_model(ctx, base_url, api_key, model_id)
        snapshot = ctx.catalogue.cached(base_url)
        if model is None and params.model_id is not None and snapshot is not None:
            raise unknown_model(params.model_id)
    request = ChatRequest(
        url=f"{base_url}/chat/completions",
        headers=build_headers(settings, api_key),
        body=build_body(settings, params, model),
        base_url=base_url,
        service=_service(settings, base_url),
    )
    relay = ProgressRelay(send_progress) if send_progress is not None else None
    try:
        outcome = await stream_chat(request, relay if relay is not None else _ignore)
    except UpstreamError:
        if relay is not None:
            relay.flush()
        raise
    finally:
        if relay is not None:
            relay.close()
    if relay is not None:
        relay.flush()

    usage = usage_from_stream(outcome.usage)
    if usage.cost_usd is None and usage.prompt_tokens is not None:
        usage.cost_usd = await _cost_from_catalogue(
            ctx, base_url, api_key, usage, model, [outcome.model, model_id]
        )
    return ChatResult(
        content=outcome.content,
        reasoning=outcome.reasoning,
        finish_reason=outcome.finish_reason,
        model=outcome.model,
        provider=outcome.provider,
        generation_id=outcome.generation_id,
        usage=usage,
    )


async def _cost_from_catalogue(
    ctx: ServerContext,
    base_url: str,
    api_key: str | None,
    usage: protocol.ChatUsage,
    known: ModelInfo | None,
    candidates: list[str | None],
) -> float | None:
    """The stream gave no cost: price the tokens with the serving (else requested) model."""
    from ..openrouter.cost import cost_from_prices

    for model_id in dict.fromkeys(c for c in candidates if c):
        model = known if known is not None and known.id == model_id else None
        if model is None:
            model = await find_model(ctx, base_url, api_key, model_id)
        if model is not None:
            cost = cost_from_prices(usage, model.pricing)
            if cost is not None:
                return cost
    return None


def register(server: OpenRouterLanguageServer) -> None:
    ctx = server.ctx

    @server.custom_method(protocol.CHAT, ChatParams)
    async def chat(params: ChatParams) -> ChatResult:
        token = params.partial_result_token
        send: Callable[[dict[str, str]], None] | None = None
        if token is not None:
            notify = server.protocol.notify

            def send(value: dict[str, Any]) -> None:
                notify(PROGRESS, lsp.ProgressParams(token=token, value=value))

        return await run_chat(ctx, params, send)
