"""The LSP side of a running server: the core, and telling the editor about it.

Holds the `Core` and connects its two outward events to LSP: a warning for the user becomes
`window/showMessage` (held back until the client is initialized), a settings change becomes the
`openrouter/settings/didChange` notification, the end of a sign-in `openrouter/signIn/didFinish`,
a balance fetched in the background `openrouter/account/didChange`, a stored conversation changed
in the background (a stopped answer's cost) `openrouter/conversations/didChange`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp

from . import code_cache, protocol, wire
from .core.service import Core
from .protocol import AccountInfo, SettingsView, SignInResult

if TYPE_CHECKING:
    from .server import OpenRouterLanguageServer

log = logging.getLogger(__name__)

SETTLE_TIMEOUT_S = 15.0  # above the configuration pull's own timeout


class ServerContext:
    def __init__(self, server: OpenRouterLanguageServer) -> None:
        self._server = server
        self._ready = False
        self._pending_warnings: list[str] = []
        self._initialized_hooks: list[Callable[[], Awaitable[None]]] = []
        # Set once the editor configuration has been read after `initialized`; requests wait
        # for it so that none runs with half of the user's configuration.
        self._settled: asyncio.Event | None = None
        self.core = Core(
            warn=self.warn_user,
            settings_changed=self._notify_settings,
            sign_in_finished=self._notify_sign_in,
            account_changed=self._notify_account,
            conversation_changed=self._notify_conversation,
        )

    def warn_user(self, message: str) -> None:
        """A warning for the person at the editor; held back until the client is initialized."""
        log.warning("%s", message)
        if not self._ready:
            self._pending_warnings.append(message)
            return
        self._server.window_show_message(
            lsp.ShowMessageParams(type=lsp.MessageType.Warning, message=message)
        )

    def _notify_settings(self, view: SettingsView) -> None:
        self._server.protocol.notify(protocol.SETTINGS_DID_CHANGE, wire.unstructure(view))

    def _notify_sign_in(self, result: SignInResult) -> None:
        self._server.protocol.notify(protocol.SIGN_IN_DID_FINISH, wire.unstructure(result))

    def _notify_account(self, info: AccountInfo) -> None:
        self._server.protocol.notify(protocol.ACCOUNT_DID_CHANGE, wire.unstructure(info))

    def _notify_conversation(self, conversation_id: str) -> None:
        self._server.protocol.notify(
            protocol.CONVERSATIONS_DID_CHANGE, {"conversationId": conversation_id}
        )

    def add_initialized_hook(self, hook: Callable[[], Awaitable[None]]) -> None:
        """Run `hook` once the client is initialized (after the held-back warnings)."""
        self._initialized_hooks.append(hook)

    async def settled(self) -> None:
        """Wait (bounded) until the editor configuration read after `initialized` is applied."""
        if self._settled is not None and not self._settled.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._settled.wait(), SETTLE_TIMEOUT_S)

    def on_initialize(self) -> None:
        # Called by the `initialize` handler, before pygls writes the result: the callback runs
        # once the result is out, its generated (un)structuring code compiled.
        asyncio.get_running_loop().call_soon(code_cache.complete_start_up)

    async def on_initialized(self) -> None:
        self._settled = asyncio.Event()
        try:
            await self._run_initialized()
        finally:
            self._settled.set()

    async def _run_initialized(self) -> None:
        self.core.open_state()
        self._ready = True
        for message in self._pending_warnings:
            self.warn_user(message)
        self._pending_warnings.clear()
        from .logging_setup import attach_client

        attach_client(self._server)
        # Warm the request path (HTTP stack, orjson) off the critical path of `initialize`.
        asyncio.get_running_loop().run_in_executor(None, _preload_request_path)
        for hook in self._initialized_hooks:
            try:
                await hook()
            except Exception:
                log.exception("An initialized hook failed")

    async def close(self) -> None:
        from .openrouter.client import close_http_client

        self.core.close()

        await close_http_client()


def _preload_request_path() -> Any:
    from .memory import tune_malloc
    from .strict_json import load_orjson

    load_orjson()

    tune_malloc()  # before the first big request or catalogue
    # Through the package: it keeps httpx from importing its command line (openrouter/__init__).
    from .openrouter.client import import_httpx

    import_httpx()

    return None
