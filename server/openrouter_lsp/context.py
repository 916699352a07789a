"""The services a running server shares: settings, key, catalogue, and announcing changes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp

from . import protocol, wire
from .protocol import ProviderPin, SettingsView
from .secrets import KeyStore
from .settings import SettingsStore
from .state_dir import state_dir

if TYPE_CHECKING:
    from .openrouter.catalogue import Catalogue
    from .server import OpenRouterLanguageServer

log = logging.getLogger(__name__)


class ServerContext:
    def __init__(self, server: OpenRouterLanguageServer) -> None:
        self._server = server
        self._ready = False
        self._pending_warnings: list[str] = []
        self._folder: Path | None = None
        self._settings: SettingsStore | None = None
        self._keys: KeyStore | None = None
        self._catalogue: Catalogue | None = None
        self._initialized_hooks: list[Callable[[], Awaitable[None]]] = []

    # State is opened on first use, not while the client waits for `initialize`.

    @property
    def folder(self) -> Path:
        if self._folder is None:
            self._folder = state_dir()
        return self._folder

    @property
    def settings(self) -> SettingsStore:
        if self._settings is None:
            self._settings = SettingsStore(self.folder, warn=self.warn_user)
        return self._settings

    @property
    def keys(self) -> KeyStore:
        if self._keys is None:
            self._keys = KeyStore(self.folder, warn=self.warn_user)
        return self._keys

    @property
    def catalogue(self) -> Catalogue:
        if self._catalogue is None:
            from .openrouter.catalogue import Catalogue

            self._catalogue = Catalogue(self.folder)
        return self._catalogue

    # --- user-facing messages ---

    def warn_user(self, message: str) -> None:
        """A warning for the person at the editor; held back until the client is initialized."""
        log.warning("%s", message)
        if not self._ready:
            self._pending_warnings.append(message)
            return
        self._server.window_show_message(
            lsp.ShowMessageParams(type=lsp.MessageType.Warning, message=message)
        )

    def add_initialized_hook(self, hook: Callable[[], Awaitable[None]]) -> None:
        """Run `hook` once the client is initialized (after the held-back warnings)."""
        self._initialized_hooks.append(hook)

    async def on_initialized(self) -> None:
        self.settings  # noqa: B018 - open the state now, so a corrupt file is reported at once
        self._ready = True
        for message in self._pending_warnings:
            self.warn_user(message)
        self._pending_warnings.clear()
        from .logging_setup import attach_client

        attach_client(self._server)
        # Warm the HTTP stack off the critical path of `initialize`.
        asyncio.get_running_loop().run_in_executor(None, _preload_http_stack)
        for hook in self._initialized_hooks:
            try:
                await hook()
            except Exception:
                log.exception("An initialized hook failed")

    # --- views and change announcements ---

    def settings_view(self) -> SettingsView:
        s = self.settings.current
        return SettingsView(
            provider=s.provider,
            model_id=s.model_id,
            use_custom_base_url=s.use_custom_base_url,
            custom_base_url=s.custom_base_url,
            middle_out_transform=s.middle_out_transform,
            routing=s.routing,
            prompt_caching=s.prompt_caching,
            api_key=self.keys.status(),
            effective_base_url=s.effective_base_url,
            provider_pin=ProviderPin(
                provider=s.routing.provider,
                state="none" if s.routing.provider is None else "unchecked",
                message=None,
            ),
        )

    def sync_with_disk(self) -> None:
        """Another server sharing the state folder (another editor window) may have changed the
        settings or the key: take its change and tell this client too."""
        if self._settings is None:
            return  # not opened yet: the first use reads the latest
        settings_changed = self.settings.reload_if_changed()
        key_changed = self.keys.reload_if_changed()
        if settings_changed or key_changed:
            self.announce_settings()

    def announce_settings(self) -> SettingsView:
        view = self.settings_view()
        self._server.protocol.notify(protocol.SETTINGS_DID_CHANGE, wire.unstructure(view))
        return view

    def api_key(self) -> str | None:
        return self.keys.get()

    def base_url(self) -> str:
        return self.settings.current.effective_base_url

    async def close(self) -> None:
        from .openrouter.client import close_http_client

        await close_http_client()


def _preload_http_stack() -> Any:
    import httpx  # noqa: F401

    return None
