"""The key never appears in anything the server writes: stderr, log messages, notifications,
results, errors, the settings file or the model cache."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import ClientServerConfig, client_capabilities
from tests.support.lsp import LspSession, make_client, secret_marker, server_env, stop_session


async def start_debug_session(home: Path, env: dict[str, str], stderr_file: Path) -> LspSession:
    """The server at DEBUG level (pygls then logs every message body), stderr kept in a file."""
    box: list[LspSession] = []
    command = f'exec "{sys.executable}" -m openrouter_lsp --log-level DEBUG 2>"{stderr_file}"'
    config = ClientServerConfig(
        server_command=["sh", "-c", command],
        client_factory=lambda: make_client(box),
        server_env=env,
    )
    client = await config.start()
    session = LspSession(client, home)
    box.append(session)
    await client.initialize_session(
        types.InitializeParams(capabilities=client_capabilities("visual-studio-code"))
    )
    return session


async def exercise_everything(session: LspSession, marker: str) -> list[Any]:
    """Every method, including failures that carry upstream text, collecting what came back."""
    seen: list[Any] = []

    async def record(method: str, params: Any) -> None:
        try:
            seen.append(await session.call(method, params))
        except Exception as exc:  # errors are part of what the server writes
            seen.append({"error": str(exc), "data": getattr(exc, "data", None)})

    await record("openrouter/settings/get", {})
    await record("openrouter/models/list", {"refresh": True})
    await record("openrouter/models/endpoints", {"modelId": "openai/gpt-4o"})
    await record("openrouter/account/get", {})  # 401: the emulator does not know the marker
    await record("openrouter/settings/update", {"patch": {"routing": {"sort": "price"}}})
    await record("openrouter/settings/update", {"patch": {"routing": {"sort": marker}}})
    await record("openrouter/chat", {"messages": [{"role": "user", "content": "hello"}]})
    await record("openrouter/apiKey/set", {"apiKey": marker + " with a space"})
    return seen


def everything_written(session: LspSession, home: Path, stderr_file: Path, seen: list[Any]) -> str:
    client = session.client
    parts = [stderr_file.read_text(errors="replace"), json.dumps(seen, default=str)]
    parts += [m.message for m in client.log_messages] + [m.message for m in client.messages]
    parts += [json.dumps(p, default=str) for _, p in session.notifications]
    return "\n".join(parts)


def state_files(home: Path, except_names: tuple[str, ...] = ()) -> str:
    return "\n".join(
        p.read_text(errors="replace")
        for p in home.rglob("*")
        if p.is_file() and p.name not in except_names
    )


async def test_key_from_the_environment_is_never_written(home: Path, tmp_path: Path) -> None:
    marker = secret_marker()
    stderr_file = tmp_path / "stderr.log"
    session = await start_debug_session(
        home, server_env(home, OPENROUTER_API_KEY=marker), stderr_file
    )
    try:
        seen = await exercise_everything(session, marker)
    finally:
        await stop_session(session)
    written = everything_written(session, home, stderr_file, seen)
    # The DEBUG log really recorded the traffic, so the check below means something.
    assert "openrouter/models/list" in stderr_file.read_text(errors="replace")
    assert marker not in written
    assert marker not in state_files(home)


async def test_key_set_over_the_wire_lives_only_in_its_0600_file(
    home: Path, tmp_path: Path
) -> None:
    marker = secret_marker()
    stderr_file = tmp_path / "stderr.log"
    session = await start_debug_session(home, server_env(home), stderr_file)
    try:
        status = await session.call("openrouter/apiKey/set", {"apiKey": marker})
        seen = [status, *await exercise_everything(session, marker)]
    finally:
        await stop_session(session)
    assert "openrouter/models/list" in stderr_file.read_text(errors="replace")
    assert marker not in everything_written(session, home, stderr_file, seen)
    assert marker not in state_files(home, except_names=("api-key",))
    assert (home / "api-key").read_text() == marker
