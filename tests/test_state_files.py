"""State files that cannot be used (settings, key, model cache) and the temp files of interrupted
writes: quarantined under unique names, the user told once, defaults used, nothing left behind."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock
from tests.support.lsp import LspSession, server_env, start_session, stop_session, write_settings

from openrouter_lsp.openrouter.catalogue import cache_path
from openrouter_lsp.state_dir import move_aside

GET = "openrouter/settings/get"
UPDATE = "openrouter/settings/update"
SET_KEY = "openrouter/apiKey/set"
CLEAR_KEY = "openrouter/apiKey/clear"
DID_CHANGE = "openrouter/settings/didChange"

DEEPLY_NESTED = ('{"routing": ' + "[" * 5000 + "]" * 5000 + "}").encode()


async def told(session: LspSession, about: str, count: int = 1) -> list[str]:
    """The `window/showMessage` texts mentioning `about`, once `count` of them have arrived."""
    for _ in range(200):
        found = [m.message for m in session.client.messages if about in m.message]
        if len(found) >= count:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"fewer than {count} messages about {about!r}: {session.client.messages}")


def quarantined(home: Path, name: str) -> list[Path]:
    return sorted(home.glob(f"{name}.corrupt-*"))


def dead_pid() -> int:
    """The id of a process that has exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def temp_name(target: str, pid: int) -> str:
    return f".{target}.{pid}.{os.urandom(6).hex()}.tmp"


def make_directory(path: Path) -> None:
    path.mkdir()
    (path / "inside").write_text("x")


UNUSABLE_SETTINGS: dict[str, Any] = {
    "nested 5,000 levels": DEEPLY_NESTED,
    "a folder": make_directory,
    "not UTF-8": b'{"modelId": "\xff\xfe"}',
    "invalid JSON": b'{"provider": "openrouter", "routing": {',
    "not an object": b'["openrouter"]',
    "NaN": b'{"routing": {"sort": NaN}}',
    "invalid values": b'{"routing": {"sort": "warp-speed"}}',
    "a huge number": b'{"modelId": ' + b"9" * 5000 + b"}",
}


@pytest.mark.parametrize("content", UNUSABLE_SETTINGS.values(), ids=UNUSABLE_SETTINGS.keys())
async def test_an_unusable_settings_file_is_moved_aside_once_and_defaults_used(
    tmp_path: Path, content: Any
) -> None:
    home = tmp_path / "state"
    home.mkdir()
    settings = home / "settings.json"
    if callable(content):
        content(settings)
    else:
        settings.write_bytes(content)
    session = await start_session(home, server_env(home))
    try:
        view = await session.call(GET)
        assert view["routing"]["sort"] == "default" and view["modelId"].startswith("anthropic/")
        # Every method keeps working, and an update writes a good file.
        view = await session.call(UPDATE, {"patch": {"routing": {"sort": "price"}}})
        assert view["routing"]["sort"] == "price"
        await session.call(GET)
        messages = await told(session, "settings file")
    finally:
        await stop_session(session)
    [aside] = quarantined(home, "settings.json")
    assert len(messages) == 1 and aside.name in messages[0] and "default settings" in messages[0]
    if callable(content):
        assert (aside / "inside").read_text() == "x"
    else:
        assert aside.read_bytes() == content
    assert json.loads(settings.read_text())["routing"]["sort"] == "price"


async def test_an_empty_settings_file_is_no_settings_not_a_broken_one(tmp_path: Path) -> None:
    """An editor saving in place truncates first: a read in between must not quarantine it."""
    home = tmp_path / "state"
    home.mkdir()
    (home / "settings.json").write_bytes(b"\n")
    session = await start_session(home, server_env(home))
    try:
        view = await session.call(GET)
        await session.call(GET)
    finally:
        await stop_session(session)
    assert view["routing"]["sort"] == "default"
    assert quarantined(home, "settings.json") == []
    assert session.client.messages == []


async def test_a_file_edited_into_invalid_json_while_running_is_kept_not_overwritten(
    lsp: LspSession,
) -> None:
    settings = lsp.home / "settings.json"
    edits = [b'{"routing": {"sort": "latency",}}', b"{{", b'{"modelId": 42}']
    for number, edit in enumerate(edits, start=1):
        settings.write_bytes(edit)
        view = await lsp.call(UPDATE, {"patch": {"promptCaching": False}})
        assert view["promptCaching"] is False
        await told(lsp, "settings file", count=number)
    # Three quarantines within moments of each other: each edit kept under its own name.
    asides = quarantined(lsp.home, "settings.json")
    assert sorted(a.read_bytes() for a in asides) == sorted(edits)
    assert json.loads(settings.read_text())["promptCaching"] is False


async def test_invalid_values_edited_while_running_are_quarantined_and_announced(
    lsp: LspSession,
) -> None:
    await lsp.call(UPDATE, {"patch": {"routing": {"sort": "price"}}})
    (lsp.home / "settings.json").write_text(json.dumps({"routing": {"sort": "warp-speed"}}))
    view = await lsp.call(GET)
    assert view["routing"]["sort"] == "default"
    changes = await lsp.wait_notified(DID_CHANGE, 2)
    assert changes[-1]["routing"]["sort"] == "default"
    [message] = await told(lsp, "settings file")
    assert "warp-speed" in message or "routing.sort" in message
    assert len(quarantined(lsp.home, "settings.json")) == 1


UNUSABLE_KEY_FILES: dict[str, Any] = {
    "a folder": make_directory,
    "not ASCII": b"sk-or-v1-\xff\xfe-1c96",
    "a space inside": b"sk-or-v1-two words-1c96",
}


@pytest.mark.parametrize("content", UNUSABLE_KEY_FILES.values(), ids=UNUSABLE_KEY_FILES.keys())
async def test_an_unusable_key_file_is_moved_aside_and_the_key_can_be_set_again(
    tmp_path: Path, content: Any
) -> None:
    home = tmp_path / "state"
    home.mkdir()
    key_file = home / "api-key"
    if callable(content):
        content(key_file)
    else:
        key_file.write_bytes(content)
    session = await start_session(home, server_env(home))
    try:
        view = await session.call(GET)
        assert view["apiKey"] == {
        "isSet": False, "hint": None, "source": None, "verdict": None, "verdictMessage": None,
    }
        [message] = await told(session, "API key file")
        status = await session.call(SET_KEY, {"apiKey": "sk-or-v1-fresh-key-7d2e"})
        assert status["source"] == "file"
    finally:
        await stop_session(session)
    [aside] = quarantined(home, "api-key")
    assert aside.name in message and "words" not in message
    assert key_file.read_text() == "sk-or-v1-fresh-key-7d2e"


@pytest.mark.parametrize("content", [DEEPLY_NESTED, make_directory], ids=["nested", "a folder"])
async def test_an_unusable_model_cache_is_ignored(home: Path, emulator: Any, content: Any) -> None:
    cache = cache_path(home, emulator.base_url)
    cache.parent.mkdir(parents=True)
    if callable(content):
        content(cache)
    else:
        cache.write_bytes(content)
    session = await start_session(home, server_env(home))
    try:
        result = await session.call("openrouter/models/list", {})
    finally:
        await stop_session(session)
    assert len(result["models"]) > 100


async def test_temp_files_of_dead_writers_are_removed_at_start_up(tmp_path: Path) -> None:
    home = tmp_path / "state"
    write_settings(home, modelId="openai/gpt-4o")
    cache = home / "cache"
    cache.mkdir()
    gone, live = dead_pid(), os.getpid()
    stale = [
        # Settings and key are written only under the folder lock: any temp file of theirs is
        # stale once the lock is held, even one named after a live process.
        home / temp_name("api-key", live),
        home / temp_name("api-key", gone),
        home / temp_name("settings.json", gone),
        cache / temp_name("models-0123.json", gone),
        cache / temp_name("models-4567.json", live),  # made old below
    ]
    in_progress = cache / temp_name("models-89ab.json", live)  # a live writer, just now
    for path in [*stale, in_progress]:
        path.write_text("sk-or-v1-an-old-key-0000")
    an_hour_ago = time.time() - 3600
    os.utime(stale[-1], (an_hour_ago, an_hour_ago))
    session = await start_session(home, server_env(home))
    try:
        view = await session.call(GET)
    finally:
        await stop_session(session)
    assert view["modelId"] == "openai/gpt-4o"
    assert [p.name for p in stale if p.exists()] == []
    assert in_progress.exists()


async def test_clear_leaves_no_copy_of_any_key_in_the_folder(lsp_no_key: LspSession) -> None:
    home = lsp_no_key.home
    await lsp_no_key.call(SET_KEY, {"apiKey": "sk-or-v1-current-key-1111"})
    # What a writer killed mid-write leaves, and a key file quarantined earlier.
    (home / temp_name("api-key", os.getpid())).write_text("sk-or-v1-older-key-2222")
    (home / "api-key.corrupt-20260101-000000-0badc0de").write_text("sk-or-v1-bad key-3333")
    status = await lsp_no_key.call(CLEAR_KEY, {})
    assert status["isSet"] is False
    leftovers = [
        p.name
        for p in home.rglob("*")
        if p.is_file() and any(k in p.read_bytes() for k in (b"1111", b"2222", b"3333"))
    ]
    assert leftovers == []


async def test_a_write_waits_for_the_folder_lock_held_by_another_process(
    lsp: LspSession,
) -> None:
    """The lock is `filelock`'s, so a process using the library (any OS) excludes the server."""
    settings = lsp.home / "settings.json"
    await lsp.call(GET)
    before = settings.read_bytes()
    lock = FileLock(lsp.home / ".lock")
    with lock:
        update = asyncio.ensure_future(lsp.call(UPDATE, {"patch": {"promptCaching": False}}))
        await asyncio.sleep(1.0)
        assert not update.done() and settings.read_bytes() == before
    view = await update
    assert view["promptCaching"] is False
    assert json.loads(settings.read_text())["promptCaching"] is False


def test_two_quarantines_in_the_same_second_keep_both_files(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    asides = []
    for content in ("first", "second", "third"):
        path.write_text(content)
        asides.append(move_aside(path))
    assert len({a.name for a in asides}) == 3
    assert [a.read_text() for a in asides] == ["first", "second", "third"]
