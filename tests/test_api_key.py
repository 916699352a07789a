"""The API key: write-only over the wire, env -> keyring -> 0600 file, announced on change."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from tests.support.lsp import TEST_KEY, LspSession, server_env, start_session, stop_session

SET = "openrouter/apiKey/set"
CLEAR = "openrouter/apiKey/clear"
GET = "openrouter/settings/get"


async def test_set_stores_a_0600_file_when_no_keyring_exists(lsp_no_key: LspSession) -> None:
    status = await lsp_no_key.call(SET, {"apiKey": "  sk-or-v1-abc-def-1c96\n"})
    assert status == {
        "isSet": True, "hint": "sk-or-v1-…1c96", "source": "file", "verdict": None,
        "verdictMessage": None,
    }
    key_file = lsp_no_key.home / "api-key"
    assert key_file.read_text() == "sk-or-v1-abc-def-1c96"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    view = await lsp_no_key.call(GET)
    assert view["apiKey"]["isSet"] is True
    assert "sk-or-v1-abc-def-1c96" not in str(view)
    changes = await lsp_no_key.wait_notified("openrouter/settings/didChange")
    assert changes[-1]["apiKey"]["hint"] == "sk-or-v1-…1c96"


async def test_clear_removes_the_key_and_announces(lsp_no_key: LspSession) -> None:
    await lsp_no_key.call(SET, {"apiKey": TEST_KEY})
    status = await lsp_no_key.call(CLEAR, {})
    assert status == {
        "isSet": False, "hint": None, "source": None, "verdict": None, "verdictMessage": None,
    }
    assert not (lsp_no_key.home / "api-key").exists()
    await lsp_no_key.wait_notified("openrouter/settings/didChange", 2)


async def test_key_survives_a_restart(home: Path) -> None:
    first = await start_session(home, server_env(home))
    await first.call(SET, {"apiKey": TEST_KEY})
    await stop_session(first)
    second = await start_session(home, server_env(home))
    try:
        status = (await second.call(GET))["apiKey"]
    finally:
        await stop_session(second)
    assert status == {
        "isSet": True, "hint": "sk-or-v1-…1c96", "source": "file", "verdict": None,
        "verdictMessage": None,
    }


async def test_environment_variable_wins(lsp: LspSession) -> None:
    status = (await lsp.call(GET))["apiKey"]
    assert status["source"] == "env" and status["hint"].endswith("…1c96")


async def test_a_working_keyring_is_preferred(home: Path, tmp_path: Path) -> None:
    """With a real keyring backend (keyrings.alt's file backend stands in for the OS one)."""
    keyring_dir = tmp_path / "keyring"
    keyring_dir.mkdir()
    config = keyring_dir / "keyringrc.cfg"
    config.write_text("[backend]\ndefault-keyring=tests.support.keyring_backend.TestKeyring\n")
    env = server_env(home, XDG_CONFIG_HOME=str(tmp_path / "xdg"))
    env.pop("OPENROUTER_LSP_NO_KEYRING")
    env["PYTHON_KEYRING_BACKEND"] = "tests.support.keyring_backend.TestKeyring"
    env["TEST_KEYRING_FILE"] = str(keyring_dir / "store.json")
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(Path(__file__).parent.parent), env.get("PYTHONPATH")) if p
    )
    session = await start_session(home, env)
    try:
        status = await session.call(SET, {"apiKey": TEST_KEY})
        assert status["source"] == "keyring"
        assert not (home / "api-key").exists()
        assert TEST_KEY in (keyring_dir / "store.json").read_text()
        status = await session.call(CLEAR, {})
        assert status["isSet"] is False
        assert TEST_KEY not in (keyring_dir / "store.json").read_text()
    finally:
        await stop_session(session)
