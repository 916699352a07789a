"""Builds the language server and registers the features; little else."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from lsprotocol import types as lsp
from pygls.exceptions import FeatureRequestError
from pygls.lsp.server import LanguageServer

from . import __version__, wire
from .context import ServerContext
from .lsp.jsonrpc_errors import to_jsonrpc
from .lsp.pygls_adapter import AdapterProtocol

log = logging.getLogger(__name__)

P = TypeVar("P")


class OpenRouterLanguageServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            name="openrouter-lsp", version=__version__, protocol_cls=AdapterProtocol
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
    from .features import chat, conversations, editor, models, settings, signin

    server = OpenRouterLanguageServer()

    @server.feature(lsp.INITIALIZED)
    async def on_initialized(_: lsp.InitializedParams) -> None:
        await server.ctx.on_initialized()

    @server.feature(lsp.SHUTDOWN)
    async def on_shutdown(_: Any) -> None:
        await server.ctx.close()

    for feature in (settings, models, chat, conversations, signin, editor):
        feature.register(server)
    return server
