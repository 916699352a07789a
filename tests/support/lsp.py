"""Shared fixtures: the real emulator over HTTP on loopback, and the real server as a subprocess.

`lsp` starts `python -m openrouter_lsp` with a fresh state folder whose settings point the
server at the emulator; `LspSession.call` sends a custom request and returns the raw JSON result.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from jsonschema import Draft202012Validator
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.protocol import default_converter
from pygls.protocol.json_rpc import JsonRPCNotification, JsonRPCResponseMessage
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features
from pytest_lsp.protocol import LanguageClientProtocol

from openrouter_emulator import run_in_thread

# Obviously fake keys (never shaped like a real one).
TEST_KEY = "sk-or-v1-test-key-for-the-emulator-1c96"


def secret_marker() -> str:
    """A unique key that tests can search for in everything the server writes."""
    return f"sk-or-v1-SECRETMARKER-{uuid.uuid4().hex[:12]}-zz"


class RawJsonClientProtocol(LanguageClientProtocol):
    """Keeps `openrouter/*` notifications and untyped results as plain JSON (not namedtuples)."""

    def structure_message(self, data: dict[str, Any]) -> Any:
        if "jsonrpc" not in data:
            return data  # json.loads' object_hook also sees every nested object
        method = data.get("method")
        if isinstance(method, str) and method.startswith("openrouter/") and "id" not in data:
            return JsonRPCNotification(
                method=method, jsonrpc=data["jsonrpc"], params=data.get("params")
            )
        if (
            "id" in data
            and "method" not in data
            and "error" not in data
            and self._result_types.get(data["id"]) is None
        ):
            return JsonRPCResponseMessage(
                id=data["id"], jsonrpc=data["jsonrpc"], result=data.get("result")
            )
        return super().structure_message(data)


SCHEMAS = Path(__file__).parents[2] / "schemas"


@functools.cache
def result_validator(method: str) -> Draft202012Validator | None:
    path = SCHEMAS / f"{method.replace('/', '.')}.result.schema.json"
    if not path.is_file():
        return None
    return Draft202012Validator(json.loads(path.read_text()))


class LspSession:
    """A test client connected to the real server process."""

    def __init__(self, client: LanguageClient, home: Path) -> None:
        self.client = client
        self.home = home
        self.partials: dict[str | int, list[dict[str, Any]]] = {}
        self.notifications: list[tuple[str, Any]] = []
        self.initialize_result: types.InitializeResult | None = None

    async def call(self, method: str, params: Any = None, timeout: float = 30) -> Any:
        result = await asyncio.wait_for(
            self.client.protocol.send_request_async(method, params), timeout
        )
        # Every result is checked against its published schema: schemas/ is the contract.
        if (validator := result_validator(method)) is not None:
            validator.validate(result)
        return result

    async def call_error(self, method: str, params: Any = None) -> JsonRpcException:
        with pytest.raises(JsonRpcException) as info:
            await self.call(method, params)
        return info.value

    def notified(self, method: str) -> list[Any]:
        return [params for name, params in self.notifications if name == method]

    async def wait_notified(self, method: str, count: int = 1, timeout: float = 10) -> list[Any]:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.notified(method)) < count:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{method}: {len(self.notified(method))} of {count}")
            await asyncio.sleep(0.02)
        return self.notified(method)


def make_client(session_box: list[LspSession]) -> LanguageClient:
    client = LanguageClient(converter_factory=default_converter, protocol_cls=RawJsonClientProtocol)
    register_lsp_features(
        client, {k: v for k, v in DEFAULT_CLIENT_FEATURES.items() if k != types.PROGRESS}
    )

    @client.feature(types.PROGRESS)
    def on_progress(params: types.ProgressParams) -> None:
        value = params.value
        if isinstance(value, dict) and "kind" not in value:
            session_box[0].partials.setdefault(params.token, []).append(value)
        else:
            client.progress_reports.setdefault(params.token, []).append(value)

    for method in (
        "openrouter/settings/didChange",
        "openrouter/signIn/didFinish",
        "openrouter/account/didChange",
        "openrouter/conversations/didChange",
    ):

        @client.feature(method)
        def on_notification(params: Any, _method: str = method) -> None:
            session_box[0].notifications.append((_method, params))

    return client


def write_settings(home: Path, **settings: Any) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "settings.json").write_text(json.dumps(settings))


def server_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "OPENROUTER_API_KEY"}
    env.update(
        OPENROUTER_LSP_HOME=str(home),
        OPENROUTER_LSP_NO_KEYRING="1",
        PYTHONUNBUFFERED="1",
        # A stream without a cost waits this long for /generation (default 6 s): loopback
        # upstreams without that route would make every such test wait the full bound.
        OPENROUTER_LSP_GENERATION_WAIT_S="1.5",
    )
    env.update(extra)
    return env


async def start_session(
    home: Path,
    env: dict[str, str],
    capabilities: str = "visual-studio-code",
    initialization_options: Any = None,
    configuration: dict[str, Any] | None = None,
) -> LspSession:
    box: list[LspSession] = []
    config = ClientServerConfig(
        server_command=[sys.executable, "-m", "openrouter_lsp"],
        client_factory=lambda: make_client(box),
        server_env=env,
    )
    client = await config.start()
    session = LspSession(client, home)
    box.append(session)
    if configuration:
        for section, value in configuration.items():
            client.set_configuration(value, section=section)
    session.initialize_result = await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities(capabilities),
            initialization_options=initialization_options,
        )
    )
    return session


async def stop_session(session: LspSession) -> None:
    with contextlib.suppress(Exception):
        await asyncio.wait_for(session.client.shutdown_session(), 10)
    await session.client.stop()


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[Any]:
    with run_in_thread(api_keys=[TEST_KEY]) as emulator:
        yield emulator


@pytest.fixture
def emulator(emulator_server: Any) -> Any:
    emulator_server.reset()
    emulator_server.configure(apiKeys=[TEST_KEY])
    return emulator_server


@pytest.fixture
def home(tmp_path: Path, emulator: Any) -> Path:
    """A state folder whose settings point at the emulator."""
    folder = tmp_path / "state"
    write_settings(folder, useCustomBaseUrl=True, customBaseUrl=emulator.base_url)
    return folder


@pytest_asyncio.fixture
async def lsp(home: Path) -> AsyncIterator[LspSession]:
    session = await start_session(home, server_env(home, OPENROUTER_API_KEY=TEST_KEY))
    yield session
    await stop_session(session)


@pytest_asyncio.fixture
async def lsp_no_key(home: Path) -> AsyncIterator[LspSession]:
    session = await start_session(home, server_env(home))
    yield session
    await stop_session(session)
