"""`openrouter/settings/*` and `openrouter/apiKey/*`."""

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
from ..settings import DEFAULTS, merge, parse
from .models import unknown_model

if TYPE_CHECKING:
    from ..server import OpenRouterLanguageServer


def register(server: OpenRouterLanguageServer) -> None:
    ctx = server.ctx

    @server.custom_method(protocol.SETTINGS_GET, EmptyParams)
    def get_settings(_: EmptyParams) -> SettingsView:
        return ctx.settings_view()

    @server.custom_method(protocol.SETTINGS_UPDATE, SettingsUpdateParams)
    async def update_settings(params: SettingsUpdateParams) -> SettingsView:
        # Validate the whole merged document first (types, enums, base URL rules) ...
        current = ctx.settings.current
        candidate = parse(merge(ctx.settings.persisted, params.patch, DEFAULTS))
        # ... then a new model id against the catalogue of the base URL it will be used with,
        # when that catalogue is already known (never a network call just to validate).
        if isinstance(params.patch.get("modelId"), str) and candidate.model_id != current.model_id:
            snapshot = ctx.catalogue.cached(candidate.effective_base_url)
            known = snapshot is None or snapshot.knows(candidate.model_id)
            if candidate.provider == "openrouter" and not known:
                raise unknown_model(candidate.model_id)
        ctx.settings.update(params.patch)
        return ctx.announce_settings()

    @server.custom_method(protocol.API_KEY_SET, ApiKeySetParams)
    def set_api_key(params: ApiKeySetParams) -> ApiKeyStatus:
        status = ctx.keys.set(params.api_key)
        ctx.announce_settings()
        return status

    @server.custom_method(protocol.API_KEY_CLEAR, EmptyParams)
    def clear_api_key(_: EmptyParams) -> ApiKeyStatus:
        status = ctx.keys.clear()
        ctx.announce_settings()
        return status
