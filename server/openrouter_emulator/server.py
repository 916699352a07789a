"""Running the emulator: uvicorn on a loopback socket, in the foreground or in a thread."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from .app import create_app
from .control import config_changes
from .faults import parse_fault
from .state import MINIMAL, Config, EmulatorState


def _http_impl() -> str:
    try:
        import httptools  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        return "h11"
    return "httptools"


def make_server(state: EmulatorState, host: str, port: int) -> tuple[uvicorn.Server, socket.socket]:
    config = uvicorn.Config(create_app(state), host=host, port=port, loop="asyncio",
                            http=_http_impl(), log_level="warning", lifespan="off",
                            access_log=False, timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    return server, bind_socket(host, port)


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket created with an explicit IPPROTO_TCP: asyncio only sets
    TCP_NODELAY on accepted sockets whose `proto` says TCP, and without it Nagle's algorithm
    plus delayed ACKs add ~40 ms to every keep-alive response (uvicorn's own `bind_socket`
    uses proto 0)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


async def serve(server: uvicorn.Server, sock: socket.socket,
                on_ready: Callable[[], None] | None = None) -> None:
    """Serve until `server.should_exit`; `on_ready` runs once connections are accepted."""
    task = asyncio.ensure_future(server.serve(sockets=[sock]))
    while not server.started and not task.done():
        await asyncio.sleep(0.002)
    if server.started and on_ready is not None:
        on_ready()
    await task


def _camel(name: str) -> str:
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), name)


class EmulatorHandle:
    """A running emulator, with shortcuts to its control routes for tests."""

    def __init__(self, state: EmulatorState, host: str, port: int) -> None:
        self.state = state
        self.host = host
        self.port = port
        shown = f"[{host}]" if ":" in host else host
        self.origin = f"http://{shown}:{port}"
        self.base_url = f"{self.origin}/api/v1"

    def requests(self) -> list[dict[str, Any]]:
        return self.state.request_list()

    def clear_requests(self) -> None:
        self.state.clear_requests()

    def add_fault(self, **fields: Any) -> None:
        """`add_fault(route="/chat/completions", status=429, headers={...})`; snake_case or
        camelCase names as in `POST /_emulator/faults`."""
        self.state.add_fault(parse_fault({_camel(k): v for k, v in fields.items()}))

    def clear_faults(self) -> None:
        self.state.clear_faults()

    def configure(self, **fields: Any) -> None:
        """`configure(tokens_per_second=0, chunk_tokens=8)` (or the camelCase names)."""
        self.state.update_config(**config_changes({_camel(k): v for k, v in fields.items()}))

    def reset(self) -> None:
        self.state.reset()


@contextmanager
def run_in_thread(host: str = "127.0.0.1", port: int = 0, api_keys: list[str] | None = None,
                  tokens_per_second: float | None = None,
                  chunk_tokens: int | None = None, minimal: bool = False
                  ) -> Iterator[EmulatorHandle]:
    """`minimal=True` starts without the realism (see `state.MINIMAL`)."""
    config = Config(api_keys=list(api_keys or []))
    if minimal:
        config = dataclasses.replace(config, **MINIMAL)
    if tokens_per_second is not None:
        config.tokens_per_second = tokens_per_second
    if chunk_tokens is not None:
        config.chunk_tokens = chunk_tokens
    state = EmulatorState(config)
    server, sock = make_server(state, host, port)
    server.config.install_signal_handlers = False  # type: ignore[attr-defined]
    ready = threading.Event()
    failure: list[BaseException] = []

    def run() -> None:
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(serve(server, sock, ready.set))
        except BaseException as exc:  # surfaced to the caller below
            failure.append(exc)
        finally:
            ready.set()
            loop.close()

    thread = threading.Thread(target=run, name="openrouter-emulator", daemon=True)
    thread.start()
    ready.wait(10)
    if failure or not server.started:
        raise RuntimeError(f"emulator failed to start: {failure[:1]}")
    try:
        yield EmulatorHandle(state, host, sock.getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(3)
        if thread.is_alive():
            server.force_exit = True
            thread.join(3)
        sock.close()
