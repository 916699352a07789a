"""`openrouter/signIn/*`: "Sign in with OpenRouter" (OAuth PKCE), adapters over the core."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import protocol
from ..protocol import (
    EmptyParams,
    SignInCompleteParams,
    SignInResult,
    SignInStartParams,
    SignInStartResult,
)

if TYPE_CHECKING:
    from ..server import OpenRouterLanguageServer


def register(server: OpenRouterLanguageServer) -> None:
    core = server.ctx.core

    @server.custom_method(protocol.SIGN_IN_START, SignInStartParams)
    async def start(params: SignInStartParams) -> SignInStartResult:
        return await core.sign_in_start(params)

    @server.custom_method(protocol.SIGN_IN_COMPLETE, SignInCompleteParams)
    async def complete(params: SignInCompleteParams) -> SignInResult:
        return await core.sign_in_complete(params.code, params.state)

    @server.custom_method(protocol.SIGN_IN_CANCEL, EmptyParams)
    def cancel(_: EmptyParams) -> SignInResult:
        return core.sign_in_cancel()
