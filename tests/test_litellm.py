"""Against an OpenAI-compatible server nobody here wrote: LiteLLM's proxy (PyPI `litellm[proxy]`),
routing to the emulator as its OpenAI-compatible backend, with our server pointed at LiteLLM.

Without `stream_options.include_usage` LiteLLM streams no usage at all (issue 12: every chat came
back with empty usage and no cost); with it, usage and the cost arrive.

LiteLLM is large (hundreds of MB, ~30-60 s to start), so it lives in its own environment: the
executable is `$OPENROUTER_LSP_LITELLM`, else `litellm` beside this Python, else
`.venv-litellm/bin/litellm` in the checkout (`python -m venv .venv-litellm &&
.venv-litellm/bin/pip install -e '.[litellm]'` or `pip install 'litellm[proxy]'`;
`scripts/test` does this). A missing LiteLLM fails the test: it is never skipped.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from tests.support.chat import chat, chat_requests, upstream_data, user
from tests.support.lsp import (
    TEST_KEY,
    LspSession,
    server_env,
    start_session,
    stop_session,
    write_settings,
)

from openrouter_emulator import run_in_thread

ROOT = Path(__file__).parents[1]
MASTER_KEY = "sk-Zt8xq2Lr9Vw4Kp7Hm3Nd6Fb1Yc5Gj0Qs"  # LiteLLM's own key, fake
MODEL = "openai/gpt-4o"
START_TIMEOUT_S = 180.0


def litellm_executable() -> str:
    candidates = [
        os.environ.get("OPENROUTER_LSP_LITELLM"),
        str(Path(sys.executable).with_name("litellm")),
        str(ROOT / ".venv-litellm" / "bin" / "litellm"),
        shutil.which("litellm"),
    ]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail(
        "LiteLLM's proxy is not installed: python -m venv .venv-litellm && "
        ".venv-litellm/bin/pip install 'litellm[proxy]' (or set OPENROUTER_LSP_LITELLM)"
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def backend() -> Iterator[Any]:
    """An emulator of its own: LiteLLM keeps connections to it for the whole module."""
    with run_in_thread(api_keys=[TEST_KEY]) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def litellm(backend: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """LiteLLM's proxy on loopback, its one model served by the emulator; yields its base URL."""
    folder = tmp_path_factory.mktemp("litellm")
    config = folder / "config.yaml"
    config.write_text(
        "model_list:\n"
        f"  - model_name: {MODEL}\n"
        "    litellm_params:\n"
        f"      model: openai/{MODEL}\n"  # LiteLLM's OpenAI-compatible route, model as named
        f"      api_base: {backend.base_url}\n"
        f"      api_key: {TEST_KEY}\n"
        "litellm_settings:\n"
        "  telemetry: false\n"
    )
    port = free_port()
    env = {
        **os.environ,
        "LITELLM_MASTER_KEY": MASTER_KEY,
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # offline: no model price list from GitHub
        "LITELLM_TELEMETRY": "False",
    }
    log = (folder / "litellm.log").open("wb")
    process = subprocess.Popen(
        [litellm_executable(), "--config", str(config), "--host", "127.0.0.1",
         "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=folder,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"LiteLLM exited: {(folder / 'litellm.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"{base_url}/health/liveliness", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"LiteLLM did not start within {START_TIMEOUT_S:g} s")
            time.sleep(0.5)
        yield f"{base_url}/v1"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest_asyncio.fixture
async def via_litellm(litellm: str, backend: Any, tmp_path: Path) -> AsyncIterator[LspSession]:
    backend.reset()
    backend.configure(apiKeys=[TEST_KEY])
    home = tmp_path / "state"
    write_settings(
        home, provider="openai-compatible", useCustomBaseUrl=True, customBaseUrl=litellm,
        modelId=MODEL,
    )
    session = await start_session(home, server_env(home, OPENROUTER_API_KEY=MASTER_KEY))
    yield session
    await stop_session(session)


@pytest.mark.timeout(400)
async def test_usage_and_cost_come_back_through_litellm(
    via_litellm: LspSession, backend: Any
) -> None:
    # The backend streams usage only when asked, as OpenAI does: LiteLLM must pass the ask on.
    backend.configure(stream_usage="when_asked")
    result = await chat(via_litellm, messages=[user("Count to three")], maxTokens=16, timeout=60)
    assert result["content"] and result["finishReason"] == "stop"
    (sent,) = chat_requests(backend)
    assert sent["body"]["stream_options"]["include_usage"] is True
    usage = result["usage"]
    assert usage["completionTokens"] == 16 and usage["promptTokens"] > 0
    # LiteLLM passes the backend's cost on in its usage chunk.
    billed = backend.state.generations[sent["generationId"]]["total_cost"]
    assert result["costSource"] == "stream"
    assert usage["costUsd"] == pytest.approx(billed, rel=1e-6) and billed > 0


@pytest.mark.timeout(400)
async def test_litellm_has_no_openrouter_account(via_litellm: LspSession) -> None:
    data = upstream_data(await via_litellm.call_error("openrouter/account/get", {}))
    assert data["kind"] == "bad_request" and "has no OpenRouter account" in data["message"]
