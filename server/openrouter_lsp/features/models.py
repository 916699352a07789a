"""`openrouter/models/list`, `openrouter/models/endpoints` and `openrouter/account/get`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import protocol, wire
from ..errors import InvalidInput, UpstreamError, invalid, no_api_key_error
from ..openrouter.account import fetch_account
from ..protocol import (
    AccountInfo,
    EmptyParams,
    ModelsEndpointsParams,
    ModelsEndpointsResult,
    ModelsListParams,
)

if TYPE_CHECKING:
    from ..context import ServerContext
    from ..server import OpenRouterLanguageServer


def unknown_model(model_id: str, path: str = "modelId") -> InvalidInput:
    return invalid(
        path, f"unknown model {model_id[:80]!r}; openrouter/models/list lists the available ones"
    )


async def check_model_id(ctx: ServerContext, model_id: str, path: str) -> None:
    """InvalidParams naming `path` when the catalogue in use does not list `model_id`."""
    wire.check_length(model_id, protocol.MAX_ID_LENGTH, path)
    if not model_id.strip():
        raise invalid(path, "must not be empty")
    if ctx.settings.current.provider != "openrouter":
        return  # an OpenAI-compatible server's models are not in OpenRouter's catalogue
    model = await ctx.catalogue.find_model(ctx.base_url(), ctx.api_key(), model_id)
    snapshot = ctx.catalogue.cached(ctx.base_url())
    if model is None and snapshot is not None:
        raise unknown_model(model_id, path)


def register(server: OpenRouterLanguageServer) -> None:
    ctx = server.ctx

    @server.custom_method(protocol.MODELS_LIST, ModelsListParams)
    async def list_models(params: ModelsListParams) -> wire.RawJson:
        wire.check_length(params.query, protocol.MAX_QUERY_LENGTH, "query")
        snapshot, stale = await ctx.catalogue.get(
            ctx.base_url(), ctx.api_key(), refresh=params.refresh
        )
        query = params.query.strip() if params.query else None
        return wire.RawJson(snapshot.models_json(query, stale))

    @server.custom_method(protocol.MODELS_ENDPOINTS, ModelsEndpointsParams)
    async def list_endpoints(params: ModelsEndpointsParams) -> ModelsEndpointsResult:
        await check_model_id(ctx, params.model_id, "modelId")
        try:
            providers = await ctx.catalogue.endpoints(
                ctx.base_url(), ctx.api_key(), params.model_id
            )
        except UpstreamError as exc:
            if exc.detail.status == 404:
                raise unknown_model(params.model_id) from None
            raise
        return ModelsEndpointsResult(model_id=params.model_id, providers=providers)

    @server.custom_method(protocol.ACCOUNT_GET, EmptyParams)
    async def get_account(_: EmptyParams) -> AccountInfo:
        key = ctx.api_key()
        if not key:
            raise no_api_key_error()
        return await fetch_account(ctx.base_url(), key)
