"""`openrouter/chat`: the adapter over `Core.chat` (`core/chat.py` holds the data path).

Increments go to the client as `$/progress` on the request's `partialResultToken`, coalesced by
time: the first at once, then at most one notification every `FLUSH_INTERVAL_S` (a fast stream
delivers one SSE event per HTTP read, thousands a second; one notification each would cost more
than the relay itself). Everything buffered is sent before the result or the error.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp

from .. import protocol
from ..protocol import ChatParams, ChatResult

if TYPE_CHECKING:
    from ..server import OpenRouterLanguageServer

FLUSH_INTERVAL_S = 0.003
FLUSH_CHARS = 32_768
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


def register(server: OpenRouterLanguageServer) -> None:
    core = server.ctx.core

    @server.custom_method(protocol.CHAT, ChatParams)
    async def chat(params: ChatParams) -> ChatResult:
        token = params.partial_result_token
        if token is None:
            return await core.chat(params)
        notify = server.protocol.notify

        def send(value: dict[str, Any]) -> None:
            notify(PROGRESS, lsp.ProgressParams(token=token, value=value))

        relay = ProgressRelay(send)
        try:
            result = await core.chat(params, relay)
        except asyncio.CancelledError:
            relay.close()  # nothing may follow the cancelled answer
            raise
        except Exception:
            relay.flush()  # what streamed before the error still reaches the client
            raise
        relay.flush()
        return result
