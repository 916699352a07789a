"""Builds the language server and registers the features; little else."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from lsprotocol import types as lsp
from pygls.exceptions import FeatureRequestError
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.json_rpc import JsonRPCRequestMessage

from . import __version__, wire
from .context import ServerContext
from .lsp_errors import to_jsonrpc

log = logging.getLogger(__name__)

P = TypeVar("P")


class OpenRouterProtocol(LanguageServerProtocol):
    """Hands `openrouter/*` requests their params as raw JSON.

    pygls turns params of methods it does not know into namedtuples (renaming keys that are not
    Python names, and failing on some shapes without answering); `wire.structure` validates raw
    JSON instead and names every bad field.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pending_writes: set[asyncio.Future[Any]] = set()  # kept until written (asyncio)

    def structure_message(self, data: dict[str, Any]) -> Any:
        # This is json.loads' object_hook: it sees every nested object, so only a dict with
        # `jsonrpc` is a message.
        method = data.get("method")
        if (
            "jsonrpc" in data
            and "id" in data
            and isinstance(method, str)
            and method.startswith("openrouter/")
        ):
            return JsonRPCRequestMessage(
                id=data["id"], method=method, jsonrpc=data["jsonrpc"], params=data.get("params")
            )
        return super().structure_message(data)

    def _send_response(self, msg_id: Any, result: Any = None, error: Any = None) -> None:
        # Plain JSON results (every openrouter/* result) skip pygls' attrs envelope, whose
        # unstructuring would deep-copy a 337-model catalogue on every models/list.
        if error is None and isinstance(result, wire.RawJson):
            self._result_types.pop(msg_id, None)
            self._write_raw(f'{{"jsonrpc":"2.0","id":{json.dumps(msg_id)},"result":{result.text}}}')
            return
        if error is None and isinstance(result, (dict, list)):
            self._result_types.pop(msg_id, None)
            self._send_data({"jsonrpc": "2.0", "id": msg_id, "result": result})
            return
        super()._send_response(msg_id, result, error)

    def _write_raw(self, body: str) -> None:
        if self.writer is None:
            return
        encoded = body.encode("utf-8")
        header = f"Content-Length: {len(encoded)}\r\n\r\n".encode("ascii")
        outcome = self.writer.write(header + encoded)
        if inspect.isawaitable(outcome):
            self._pending_writes.add(task := asyncio.ensure_future(outcome))
            task.add_done_callback(self._pending_writes.discard)


class OpenRouterLanguageServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            name="openrouter-lsp", version=__version__, protocol_cls=OpenRouterProtocol
        )
        self.ctx = ServerContext(self)

    def report_server_error(self, error: Exception, source: Any) -> None:
        # Request errors already reach the client in the response. For out-of-band failures pygls
        # would show "Error in server: <exception>"; keep those in the (redacted) log instead.
        if source is FeatureRequestError:
            return
        log.error(
            "Server error (%s): %s", getattr(source, "__name__", source), type(error).__name__
        )

    def custom_method(
        self, name: str, params_type: type[P]
    ) -> Callable[[Callable[[P], Awaitable[Any] | Any]], None]:
        """Register an `openrouter/*` request: raw params in, validated, result unstructured out."""

        def register(handler: Callable[[P], Awaitable[Any] | Any]) -> None:
            async def handle(raw_params: Any) -> Any:
                try:
                    params = wire.structure(raw_params, params_type)
                    await self.ctx.settled()
                    result = handler(params)
                    if inspect.isawaitable(result):
                        result = await result
                except Exception as exc:
                    raise to_jsonrpc(exc, name) from None
                if isinstance(result, (dict, wire.RawJson)):
                    return result  # already wire-shaped (hot paths build their JSON directly)
                return wire.unstructure(result)

            self.feature(name)(handle)

        return register


def build_server() -> OpenRouterLanguageServer:
    from .features import chat, editor, models, settings

    server = OpenRouterLanguageServer()

    @server.feature(lsp.INITIALIZED)
    async def on_initialized(_: lsp.InitializedParams) -> None:
        await server.ctx.on_initialized()

    @server.feature(lsp.SHUTDOWN)
    async def on_shutdown(_: Any) -> None:
        await server.ctx.close()

    for feature in (settings, models, chat, editor):
        feature.register(server)
    return server
