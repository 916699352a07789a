"""The command line: --version, --tcp for debugging, the demo (the README's main job)."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
from pathlib import Path

from openrouter_lsp import __version__


def test_version() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "openrouter_lsp", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0 and out.stdout.strip() == f"openrouter-lsp {__version__}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_tcp_mode_answers_initialize(tmp_path: Path) -> None:
    port = free_port()
    env = {"OPENROUTER_LSP_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "openrouter_lsp", "--tcp", f"127.0.0.1:{port}", env=env
    )
    try:
        for _ in range(100):
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                break
            except OSError:
                await asyncio.sleep(0.1)
        body = json.dumps(
            {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}
        ).encode()
        writer.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()
        header = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        length = int(header.split(b":")[1].split(b"\r\n")[0])
        answer = json.loads(await reader.readexactly(length))
        assert answer["result"]["serverInfo"]["name"] == "openrouter-lsp"
        writer.close()
    finally:
        server.kill()
        await server.wait()


def test_demo_shows_settings_catalogue_and_a_streamed_chat() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "openrouter_lsp", "demo", "--prompt", "Say hello", "--limit", "3"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "== Settings ==" in text and "base URL        http://127.0.0.1:" in text
    assert "== Models: " in text and "in $/M" in text
    assert "balance $100.00 (account credits)" in text  # the emulator starts with $100
    assert "anthropic/claude-sonnet-4.5" in text
    assert "== Chat ==" in text and "synthetic reply from the OpenRouter emulator" in text
    assert "cost $" in text and "completion tokens" in text


def test_the_language_server_never_imports_the_emulator() -> None:
    """Only the `emulator` and `demo` subcommands reach the emulator package: importing every
    other module of the server (and building it) leaves it unloaded."""
    script = (
        "import pkgutil, sys, openrouter_lsp\n"
        "skip = {'openrouter_lsp.__main__', 'openrouter_lsp.terminal_client'}\n"
        "names = [m.name for m in pkgutil.walk_packages(openrouter_lsp.__path__, 'openrouter_lsp.')"
        " if m.name not in skip]\n"
        "for name in names: __import__(name)\n"
        "from openrouter_lsp.server import build_server\n"
        "build_server()\n"
        "assert len(names) > 20, names\n"
        "print(sorted(m for m in sys.modules if m.startswith('openrouter_emulator')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout
