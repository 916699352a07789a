"""Real editors as clients: headless Neovim (editors/nvim/test_nvim.lua) and Emacs + eglot in batch
(editors/emacs/test-eglot.el) start the server against the emulator, set the key, list models,
chat with streamed $/progress, cancel, and run a code action. Their workspace configuration tries
to point the base URL at a second emulator, which must receive nothing.

The editors are Debian's `neovim` (0.7.2) and `emacs` + `elpa-eglot`; without them these tests
are skipped, unless OPENROUTER_REQUIRE_EDITORS=1 (CI), where a missing editor is a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.support.lsp import TEST_KEY, server_env, write_settings

from openrouter_emulator import run_in_thread

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = "def add(a, b):\n    return a + b\n\nprint(add(1, 2))\n"
EDITORS = {
    "nvim": (
        [
            "nvim",
            "--headless",
            "-u",
            "NONE",
            "-i",
            "NONE",
            "-n",
            "-c",
            f"luafile {ROOT / 'editors/nvim/test_nvim.lua'}",
        ],
        "NVIM TEST PASSED",
    ),
    "emacs": (
        ["emacs", "--batch", "-l", str(ROOT / "editors/emacs/test-eglot.el")],
        "EMACS TEST PASSED",
    ),
}


def editor_available(name: str) -> bool:
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
    chats = [r for r in emulator.requests() if r["path"].endswith("/chat/completions")]
    assert chats and all(r["headers"]["authorization"] == f"Bearer {TEST_KEY}" for r in chats)
    cancelled = [r for r in chats if (r["body"] or {}).get("max_tokens") == 4000]
    assert cancelled and cancelled[0]["disconnected"] is True  # the cancel closed the stream
    assert TEST_KEY not in output
    answers = list((home / "answers").glob("*.md"))
    assert answers and all(a.stat().st_mode & 0o077 == 0 for a in answers)
