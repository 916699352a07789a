"""`openrouter/settings/*` and `openrouter/apiKey/*`: adapters over the core."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import protocol
from ..protocol import (
    ApiKeySetParams,
    ApiKeyStatus,
    EmptyParams,
    SettingsUpdateParams,
    SettingsView,
)

if TYPE_CHECKING:
    from ..server import OpenRouterLanguageServer


def register(server: OpenRouterLanguageServer) -> None:
    core = server.ctx.core

    @server.custom_method(protocol.SETTINGS_GET, EmptyParams)
    def get_settings(_: EmptyParams) -> SettingsView:
        return core.get_settings()

    @server.custom_method(protocol.SETTINGS_UPDATE, SettingsUpdateParams)
    async def update_settings(params: SettingsUpdateParams) -> SettingsView:
        return await core.update_settings(params.patch)  # error paths: within the patch

    @server.custom_method(protocol.API_KEY_SET, ApiKeySetParams)
    def set_api_key(params: ApiKeySetParams) -> ApiKeyStatus:
        return core.set_api_key(params.api_key)

    @server.custom_method(protocol.API_KEY_CLEAR, EmptyParams)
    def clear_api_key(_: EmptyParams) -> ApiKeyStatus:
        return core.clear_api_key()
