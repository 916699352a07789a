"""Editor configuration the LSP way; registers the commands and code actions of plain LSP editors.

Configuration is a partial settings document (camelCase) from two places, the later winning:
`initializationOptions` (given at start; `{"openrouter": {...}}` or the document itself) and the
`openrouter` section of `workspace/configuration`, pulled after `initialized` and again on each
`workspace/didChangeConfiguration` when the client supports pulling (else the pushed
`settings.openrouter` is used). The merge is this session's editor overlay; where it sits among
the other sources is written down once, in settings.py. Invalid values are reported to the user
once and skipped; `useCustomBaseUrl`, `customBaseUrl` and the key are never taken from here, so a
cloned repository's workspace settings cannot send the key elsewhere.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp
from pygls.capabilities import get_capability

if TYPE_CHECKING:
    from ..server import OpenRouterLanguageServer

log = logging.getLogger(__name__)

SECTION = "openrouter"
PULL_TIMEOUT_S = 10.0
KEY_FIELDS = frozenset({"apiKey", "openrouterApiKey", "key"})


def client_supports(server: OpenRouterLanguageServer, path: str) -> bool:
    """Whether the client's capabilities set `path` (snake_case attributes, dotted)."""
    try:
        return bool(get_capability(server.client_capabilities, path, False))
    except Exception:  # no capabilities yet (before initialize)
        return False


class EditorConfiguration:
    """The editor overlay of this session: where it comes from and when it is re-read."""

    def __init__(self, server: OpenRouterLanguageServer) -> None:
        self._server = server
        self._ctx = server.ctx
        self._core = server.ctx.core
        self._init_options: dict[str, Any] = {}
        self._pulled: dict[str, Any] = {}
        self._told: set[str] = set()
        self._lock = asyncio.Lock()

    def tell_once(self, message: str) -> None:
        if message not in self._told:
            self._told.add(message)
            self._ctx.warn_user(message)

    def section(self, value: object, origin: str) -> dict[str, Any]:
        """The settings document inside `value`, or {} (the user told) when it is not one."""
        if value is None or (isinstance(value, list) and not value):
            return {}  # Neovim sends an empty Lua table as []
        if not isinstance(value, dict):
            self.tell_once(
                f"OpenRouter: the {origin} must be an object of settings, got "
                f"{type(value).__name__}; it was ignored."
            )
            return {}
        if SECTION in value:
            inner = value[SECTION]
            if isinstance(inner, dict) or inner is None or inner == []:
                return inner or {}
            self.tell_once(f"OpenRouter: `{SECTION}` in the {origin} must be an object; ignored.")
            return {}
        return value

    def on_initialize(self, params: lsp.InitializeParams) -> None:
        self._init_options = self.section(params.initialization_options, "initializationOptions")

    async def refresh(self, pushed: object = None, *, pushed_given: bool = False) -> None:
        """Re-read the configuration (pull, or the pushed value) and apply the overlay."""
        async with self._lock:
            if client_supports(self._server, "workspace.configuration"):
                pulled = await self._pull()
                if pulled is not None:
                    self._pulled = pulled
            elif pushed_given:
                self._pulled = self.section(pushed, "workspace/didChangeConfiguration settings")
            self.apply()

    async def _pull(self) -> dict[str, Any] | None:
        params = lsp.ConfigurationParams(items=[lsp.ConfigurationItem(section=SECTION)])
        try:
            result = await asyncio.wait_for(
                self._server.workspace_configuration_async(params), PULL_TIMEOUT_S
            )
        except Exception as exc:  # a client that fails or never answers keeps the last values
            log.warning("workspace/configuration failed (%s)", type(exc).__name__)
            return None
        # pygls structures the result as a tuple; a plain list is fine too.
        value = result[0] if isinstance(result, (list, tuple)) and result else None
        return self.section(value, "workspace configuration `openrouter`")

    def apply(self) -> None:
        layers = []
        for layer in (self._init_options, self._pulled):
            layer = dict(layer)
            for field in KEY_FIELDS & layer.keys():
                layer.pop(field)
                self.tell_once(
                    f"OpenRouter: `{field}` in the editor configuration was ignored: the API key "
                    "is never read from editor or workspace settings. Use the openrouter.setApiKey"
                    " command, openrouter/apiKey/set or the OPENROUTER_API_KEY environment "
                    "variable."
                )
            layers.append(layer)
        try:
            errors = self._core.apply_editor_configuration(*layers)
        except Exception:
            log.exception("Applying the editor configuration failed")
            self.tell_once("OpenRouter: the editor configuration could not be applied; ignored.")
            return
        for error in errors:
            if error.path in ("useCustomBaseUrl", "customBaseUrl"):
                self.tell_once(
                    "OpenRouter: `useCustomBaseUrl`/`customBaseUrl` in the editor configuration "
                    "were ignored: where requests (and your API key) go can only be changed "
                    "explicitly, with openrouter/settings/update or the openrouter.updateSettings "
                    "command."
                )
            else:
                self.tell_once(
                    f"OpenRouter: the editor setting `{error.path}` {error.message}; ignored."
                )


def register(server: OpenRouterLanguageServer) -> None:
    from . import code_actions, commands

    config = EditorConfiguration(server)

    @server.feature(lsp.INITIALIZE)
    def on_initialize(params: lsp.InitializeParams) -> None:
        config.on_initialize(params)  # applied once initialized, so warnings can be shown
        server.ctx.on_initialize()

    server.ctx.add_initialized_hook(config.refresh)

    @server.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def on_did_change_configuration(params: lsp.DidChangeConfigurationParams) -> None:
        await config.refresh(params.settings, pushed_given=True)

    commands.install(server, {**commands.handlers(server), **code_actions.handlers(server)})
    code_actions.register(server)
