"""Helpers of the chat tests: calling `openrouter/chat`, the emulator's recorded chat requests,
and the official OpenAPI schemas (loaded once per session)."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import yaml
from pygls.exceptions import JsonRpcException
from tests.support.lsp import TEST_KEY, LspSession, server_env, start_session, stop_session
from tests.support.openapi import SPEC, OpenApi, check

CHAT = "openrouter/chat"
UPSTREAM_ERROR = -32001
_tokens = itertools.count(1)
DATA = Path(__file__).parents[2] / "server" / "openrouter_emulator" / "data"


def user(text: str) -> dict[str, str]:
    return {"role": "user", "content": text}


def new_token() -> str:
    return f"chat-{next(_tokens)}"


async def chat(lsp: LspSession, timeout: float = 30, **params: Any) -> dict[str, Any]:
    params.setdefault("messages", [user("Hello there")])
    result: dict[str, Any] = await lsp.call(CHAT, params, timeout=timeout)
    return result


async def chat_error(lsp: LspSession, **params: Any) -> JsonRpcException:
    params.setdefault("messages", [user("Hello there")])
    with pytest.raises(JsonRpcException) as info:
        await lsp.call(CHAT, params)
    return info.value


def upstream_data(error: JsonRpcException) -> dict[str, Any]:
    assert error.code == UPSTREAM_ERROR, (error.code, error.message)
    data: dict[str, Any] = error.data  # type: ignore[assignment]
    assert isinstance(data, dict) and data["message"]
    return data


def streamed(lsp: LspSession, token: str) -> str:
    return "".join(value.get("content", "") for value in lsp.partials.get(token, []))


def chat_requests(emulator: Any) -> list[dict[str, Any]]:
    return [r for r in emulator.requests() if r["path"].endswith("/chat/completions")]


def last_chat_request(emulator: Any) -> dict[str, Any]:
    requests = chat_requests(emulator)
    assert requests, "the emulator received no chat request"
    return requests[-1]


async def update_settings(lsp: LspSession, **patch: Any) -> None:
    await lsp.call("openrouter/settings/update", {"patch": patch})


async def wait_for(predicate: Any, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.01)


def catalogue_pricing(model_id: str) -> dict[str, float]:
    """USD per token, from the catalogue snapshot the emulator serves."""
    models = json.loads((DATA / "models-2026-06-16.json").read_text())["data"]
    pricing = next(m["pricing"] for m in models if m["id"] == model_id)
    return {k: float(v) for k, v in pricing.items()}


@pytest.fixture(scope="session", name="openapi")
def openapi_fixture() -> Iterator[OpenApi]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with SPEC.open(encoding="utf-8") as handle:
        yield OpenApi(yaml.load(handle, Loader=loader))


def check_chat_request(openapi: OpenApi, body: Any) -> None:
    check(openapi.component("ChatRequest"), body)


@pytest_asyncio.fixture(name="lsp_short_stall")
async def lsp_short_stall_fixture(home: Path) -> AsyncIterator[LspSession]:
    """A server whose chat stall timeout is one second."""
    env = server_env(home, OPENROUTER_API_KEY=TEST_KEY, OPENROUTER_LSP_STALL_TIMEOUT="1")
    session = await start_session(home, env)
    yield session
    await stop_session(session)
