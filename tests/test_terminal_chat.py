"""`openrouter-lsp chat` in a real pseudo-terminal, against the real server and emulator: answers
stream, the server keeps the conversation, /model /cost /new /history /open work, Ctrl-C stops
the answer (the upstream stream is closed) and not the program, Ctrl-D and /quit exit, and the
conversations outlive the program.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from tests.support.lsp import TEST_KEY, server_env

PROMPT = "\n> "
ROOT = Path(__file__).resolve().parent.parent


class Terminal:
    """A program on the slave side of a pty; the test types on the master side."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: its controlling terminal is the pty
            os.execve(argv[0], argv, env)
        self.output = ""
        self.seen = 0  # `expect` looks after this point

    def read(self, timeout: float) -> str:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return ""
        try:
            chunk = os.read(self.fd, 65536).decode(errors="replace")
        except OSError:  # the program exited
            return ""
        self.output += chunk.replace("\r\n", "\n")
        return chunk

    def expect(self, pattern: str, timeout: float = 30) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while True:
            found = re.compile(pattern).search(self.output, self.seen)
            if found:
                self.seen = found.end()
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"no {pattern!r} in: {self.output[self.seen:][-3000:]}")
            self.read(0.2)

    def type(self, text: str) -> None:
        os.write(self.fd, text.encode())

    def line(self, text: str) -> None:
        self.type(text + "\r")

    def exit_status(self, timeout: float = 20) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.read(0.1)
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                os.close(self.fd)
                return os.waitstatus_to_exitcode(status)
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        raise AssertionError(f"still running: {self.output[-2000:]}")


def chats(emulator: Any) -> list[dict[str, Any]]:
    return [r for r in emulator.requests() if r["path"] == "/api/v1/chat/completions"]


def user_texts(request: dict[str, Any]) -> list[str]:
    return [m["content"] for m in request["body"]["messages"] if m["role"] == "user"]


def start(home: Path, *args: str, key: str | None = TEST_KEY, **extra: str) -> Terminal:
    env = server_env(home, TERM="dumb", PYTHONPATH=os.environ.get("PYTHONPATH", ""))
    env.pop("DISPLAY", None)
    env.pop("BROWSER", None)
    env.update(extra)
    if key is not None:
        env["OPENROUTER_API_KEY"] = key
    terminal = Terminal([sys.executable, "-m", "openrouter_lsp", "chat", *args], env)
    terminal.expect(r"Ctrl-D exits\.")
    terminal.expect(PROMPT)
    return terminal


@pytest.mark.timeout(180)
def test_interactive_chat_in_a_terminal(home: Path, emulator: Any) -> None:
    emulator.configure(tokens_per_second=100)  # 64 tokens in 8-token chunks: a visible stream
    terminal = start(home, "--model", "openai/gpt-4o")

    terminal.line("Say hello")
    terminal.expect(r"\[emulator\]")
    # Streamed: the first words are on the screen before the answer ends (the footer).
    assert "tokens | cost" not in terminal.output[terminal.seen:]
    footer = terminal.expect(r"\[openai/gpt-4o \| (\d+) \+ (\d+) tokens \| cost \$([0-9.]+)\]")
    terminal.expect(PROMPT)
    first = chats(emulator)[-1]
    assert first["body"]["model"] == "openai/gpt-4o"
    assert first["headers"]["authorization"] == f"Bearer {TEST_KEY}"
    assert TEST_KEY not in terminal.output

    terminal.line("And again?")
    terminal.expect(r"tokens \| cost")
    terminal.expect(PROMPT)
    # The server sent the stored history; the client sent only the new message.
    assert user_texts(chats(emulator)[-1]) == ["Say hello", "And again?"]

    terminal.line("/cost")
    cost = terminal.expect(r"this conversation: 4 messages, (\d+) prompt \+ (\d+) completion "
                           r"tokens, cost \$([0-9.]+)")
    assert int(cost[1]) >= int(footer[1]) and float(cost[3]) >= float(footer[3]) > 0
    terminal.expect(PROMPT)

    # Ctrl-C stops the answer, not the program; the upstream stream is closed.
    emulator.configure(tokens_per_second=4)  # 64 tokens: 16 s
    terminal.line("Write a very long story")
    terminal.expect(r"\[emulator\]")
    terminal.type("\x03")
    terminal.expect(r"\[stopped\]")
    terminal.expect(PROMPT)
    stopped = chats(emulator)[-1]
    assert user_texts(stopped)[-1] == "Write a very long story"
    deadline = time.monotonic() + 10
    while not chats(emulator)[-1]["disconnected"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert chats(emulator)[-1]["disconnected"] is True
    emulator.configure(tokens_per_second=0)

    terminal.line("/model nobody/no-such-model")
    terminal.expect(r"unknown model nobody/no-such-model")
    terminal.line("/model openai/gpt-4o-mini")
    terminal.expect(r"model: openai/gpt-4o-mini")
    terminal.line("/new")
    terminal.expect(r"new conversation")
    terminal.line("Another topic")
    terminal.expect(r"\[openai/gpt-4o-mini \| ")
    terminal.expect(PROMPT)
    latest = chats(emulator)[-1]
    assert latest["body"]["model"] == "openai/gpt-4o-mini"
    assert user_texts(latest) == ["Another topic"]  # a new conversation: no history

    terminal.line("/history")
    listed = terminal.expect(r"1\. Another topic  \[(terminal-[0-9a-f-]+)\].*\n\s+2\. Say hello  "
                             r"\[(terminal-[0-9a-f-]+)\]")
    terminal.expect(PROMPT)
    terminal.line("/open 2")
    terminal.expect(r"# Say hello\n\n## You\n\nSay hello\n\n## Assistant\n\n\[emulator\]")
    terminal.expect(rf"\(continuing {listed[2]}\)")
    terminal.line("Back to the first one")
    terminal.expect(r"tokens \| cost")
    terminal.expect(PROMPT)
    assert user_texts(chats(emulator)[-1])[:2] == ["Say hello", "And again?"]

    terminal.line("/what")
    terminal.expect(r"/open <id\|n>")
    terminal.expect(PROMPT)
    terminal.type("\x03")  # at the prompt: only a hint
    terminal.expect(r"\^C \(Ctrl-D or /quit exits\)")
    terminal.type("\x04")  # Ctrl-D
    assert terminal.exit_status() == 0

    # A new program finds the conversations (kept by the server's store) and ends with /quit.
    again = start(home)
    again.line(f"/open {listed[1]}")
    again.expect(r"# Another topic")
    again.line("/quit")
    assert again.exit_status() == 0
    assert json.dumps(chats(emulator)).count(TEST_KEY) == len(chats(emulator))


@pytest.mark.timeout(120)
def test_sign_in_from_the_terminal_chat(home: Path, emulator: Any, tmp_path: Path) -> None:
    """/signin opens the authorisation page with $BROWSER (here a browser that clicks
    "Authorize"); the server takes the code on its loopback callback and stores the key."""
    browser = tmp_path / "browser"
    script = ROOT / "tests/support/browser.py"
    browser.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{script}" "$@"\n')
    browser.chmod(0o755)
    log = tmp_path / "browser.jsonl"
    terminal = start(home, key=None, BROWSER=str(browser), OPENROUTER_TEST_BROWSER_LOG=str(log))
    terminal.line("Hi")
    terminal.expect(r"\[error: .*key")  # no key yet: told so, still running
    terminal.line("/signin")
    terminal.expect(r"Finish signing in in the browser")
    terminal.expect(r"Signed in with OpenRouter")
    (opened,) = [json.loads(line) for line in log.read_text().splitlines()]
    assert opened["url"].startswith(emulator.origin + "/auth?") and opened["callback"] == 200
    terminal.line("Hi")
    terminal.expect(r"tokens \| cost")
    key = (home / "api-key").read_text().strip()
    assert key in emulator.state.issued_keys
    assert chats(emulator)[-1]["headers"]["authorization"] == f"Bearer {key}"
    assert key not in terminal.output
    terminal.line("/quit")
    assert terminal.exit_status() == 0
