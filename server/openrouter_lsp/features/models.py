"""`openrouter/models/list`, `openrouter/models/endpoints`, `openrouter/account/get`: adapters."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import protocol, wire
from ..protocol import (
    AccountInfo,
    EmptyParams,
    ModelsEndpointsParams,
    ModelsEndpointsResult,
    ModelsListParams,
)

if TYPE_CHECKING:
    from ..server import OpenRouterLanguageServer


def register(server: OpenRouterLanguageServer) -> None:
    core = server.ctx.core

    @server.custom_method(protocol.MODELS_LIST, ModelsListParams)
    async def list_models(params: ModelsListParams) -> wire.RawJson:
        return await core.list_models(params)

    @server.custom_method(protocol.MODELS_ENDPOINTS, ModelsEndpointsParams)
    async def list_endpoints(params: ModelsEndpointsParams) -> ModelsEndpointsResult:
        return await core.model_endpoints(params.model_id)

    @server.custom_method(protocol.ACCOUNT_GET, EmptyParams)
    async def get_account(_: EmptyParams) -> AccountInfo:
        return await core.account()
