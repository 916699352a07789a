"""The server's byte streams: stdin/stdout and one TCP client, fed to a `session.Session`.

pygls' own loops (`start_io`, `start_tcp`) are not used: they read with `readline` (a 64 KiB line
kills the TCP loop), let a second TCP client take over the first one's answers, stop on a
connect-and-close probe, and lose the exit code. Here: stdin (a pipe, a socket, a terminal) is
read by the event loop itself, each chunk handed to the session in the same callback: no thread,
no queue (the thread's hand-off through a queue cost ~0.13 ms per no-op round trip and ~1 ms per
400,000-character prompt, seven 64 KiB reads). A stdin the loop cannot watch (a regular file, an
in-memory stream, Windows' loop) is read on a daemon thread with `os.read` (an `exit` while it
blocks is clean). TCP serves one client (connections wait their turn while no client has sent
`initialize`, so a probe that connects and closes is harmless; after that, others are refused
with an error and closed); the return value is the exit code.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import select
import stat
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import BinaryIO

from pygls.lsp.server import LanguageServer

from ..logging_setup import register_secret
from . import framing, outgoing
from . import pygls_adapter as adapter
from .framing import max_message_bytes
from .lifecycle import INVALID_REQUEST, Lifecycle
from .session import Session

log = logging.getLogger(__name__)

CHUNK_BYTES = 256 * 1024
# Linux pipes hold 64 KiB: a 400,000-character prompt crossed stdin in seven writes, each waiting
# for the server to read (1 MiB: one write; -0.10 to -0.13 ms of added first-token latency,
# `bench_latency_ab.py`), and a big answer crosses stdout the same way.
PIPE_BYTES = 1 << 20


Read = Callable[[], Awaitable[bytes]]


async def pump(read: Read, session: Session) -> None:
    """Feed the session until end of input or `exit`."""
    while chunk := await read():
        if not session.receive(chunk):
            return


class StdinSource:
    """Reads stdin on a daemon thread (an `os.read` holds no Python lock, so an exit while it
    blocks is clean); at most a few chunks wait in the queue."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._loop = asyncio.get_running_loop()
        self._chunks: asyncio.Queue[bytes] = asyncio.Queue(maxsize=4)
        threading.Thread(target=self._run, name="openrouter-lsp-stdin", daemon=True).start()

    def _read_chunk(self) -> bytes:
        try:
            return os.read(self._stream.fileno(), CHUNK_BYTES)
        except (AttributeError, OSError, ValueError):
            read1 = getattr(self._stream, "read1", self._stream.read)
            return read1(CHUNK_BYTES) or b""

    def _run(self) -> None:
        while True:
            try:
                chunk = self._read_chunk()
            except (OSError, ValueError):
                chunk = b""
            try:
                handoff = asyncio.run_coroutine_threadsafe(self._chunks.put(chunk), self._loop)
                handoff.result()
            except Exception:  # the loop is gone: the server is exiting
                return
            if not chunk:
                return

    async def read(self) -> bytes:
        return await self._chunks.get()


async def read_in_loop(stream: BinaryIO, session: Session) -> bool:
    """Feed the session from `stream` in the event loop's own callback until end of input or
    `exit`; False (nothing read) when the loop cannot watch it (a regular file, an in-memory
    stream, Windows' loop), which `StdinSource` then reads on a thread.

    A descriptor the loop reports readable is read with one blocking `os.read`: it returns what
    has arrived at once (a pipe, a socket, a terminal), so the descriptor is left as it is (its
    blocking mode is shared with whoever else holds it)."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return False
    loop = asyncio.get_running_loop()
    finished: asyncio.Future[None] = loop.create_future()

    def readable() -> None:
        try:
            chunk = os.read(fd, CHUNK_BYTES)
        except (BlockingIOError, InterruptedError):
            return  # nothing after all: wait for the next readiness
        except OSError:
            chunk = b""
        try:
            going = bool(chunk) and session.receive(chunk)
        except Exception as exc:  # as `pump`: a failure ends the serving loop
            loop.remove_reader(fd)
            if not finished.done():
                finished.set_exception(exc)
            return
        if not going:
            loop.remove_reader(fd)
            if not finished.done():
                finished.set_result(None)

    try:
        loop.add_reader(fd, readable)
    # A regular file cannot be watched (EPERM); Windows' loop has no add_reader.
    except (NotImplementedError, OSError, ValueError):
        return False
    try:
        await finished
    finally:
        loop.remove_reader(fd)
    return True


class StdoutWriter:
    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream

    def write(self, data: bytes) -> None:
        self._stream.write(data)
        self._stream.flush()

    def write_pieces(self, pieces: list[bytes]) -> None:
        """One message as pieces, gathered by the system (`writev`), not joined here first."""
        try:
            fd = self._stream.fileno()
        except (AttributeError, OSError, ValueError):  # an in-memory stream
            fd = -1
        if fd < 0 or not hasattr(os, "writev"):  # (Windows has no writev)
            self.write(b"".join(pieces))
            return
        self._stream.flush()
        write_all(fd, pieces)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._stream.close()


def write_all(fd: int, pieces: list[bytes]) -> None:
    """Every byte of `pieces`, in order, on `fd`, `IOV_MAX` pieces per `writev`: a blocking pipe
    takes them whole, but a signal or a non-blocking descriptor can cut a write short."""
    pending: list[bytes | memoryview] = list(pieces)
    start, per_call = 0, _iov_max()
    while start < len(pending):
        batch = pending[start : start + per_call]
        try:
            written = os.writev(fd, batch)
        except BlockingIOError:  # the reader made the pipe non-blocking: wait for room
            written = 0
        if written == sum(map(len, batch)):  # the usual case: no piece by piece accounting
            start += len(batch)
            continue
        if not written:
            select.select([], [fd], [])
            continue
        for piece in batch:
            if written < len(piece):
                pending[start] = memoryview(piece)[written:]
                break
            written -= len(piece)
            start += 1


@functools.cache
def _iov_max() -> int:
    try:
        return max(16, os.sysconf("SC_IOV_MAX"))  # Linux and the BSDs: 1024
    except (AttributeError, OSError, ValueError):
        return 16  # POSIX's floor


def _start(server: LanguageServer) -> tuple[Lifecycle, Session]:
    # The environment's key is a secret from the start, before anything has read it.
    register_secret(os.environ.get("OPENROUTER_API_KEY", "").strip() or None)
    lifecycle = Lifecycle()
    return lifecycle, Session(server, lifecycle, max_message_bytes())


def widen_pipe(stream: BinaryIO) -> None:
    """Give `stream` a `PIPE_BYTES` buffer when it is a pipe on Linux; anything else (a file, a
    terminal, another system, a size the system refuses) keeps what it has."""
    try:
        import fcntl

        fd = stream.fileno()
        if stat.S_ISFIFO(os.fstat(fd).st_mode) and hasattr(fcntl, "F_SETPIPE_SZ"):
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except (ImportError, AttributeError, OSError, ValueError):
        pass


def serve_stdio(
    server: LanguageServer, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None
) -> int:
    """Serve one client on stdio; the exit code (0 after shutdown, 1 without)."""
    lifecycle, session = _start(server)
    stdin, stdout = stdin or sys.stdin.buffer, stdout or sys.stdout.buffer
    widen_pipe(stdin)
    widen_pipe(stdout)
    adapter.set_writer(server, StdoutWriter(stdout))

    async def run() -> None:
        if not await read_in_loop(stdin, session):
            await pump(StdinSource(stdin).read, session)

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass
    finally:
        adapter.stop(server)
    return lifecycle.exit_code


REFUSAL = (
    "openrouter-lsp serves one client at a time over TCP and another client is connected; "
    "this connection is closed."
)


class _Connection:
    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.closed = asyncio.Event()


def serve_tcp(server: LanguageServer, host: str, port: int) -> int:
    """Serve one client over TCP, connections in arrival order. One that closes before sending
    `initialize` (a port probe) leaves the server listening for the next; once a client has sent
    `initialize`, any other connection is refused with an error and closed."""
    lifecycle, session = _start(server)

    async def run() -> None:
        finished = asyncio.Event()
        active: _Connection | None = None

        async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal active
            while active is not None and not lifecycle.started:
                await active.closed.wait()  # first come, first served: a probe ends soon
            if lifecycle.started:
                await _refuse(writer)
                return
            active = me = _Connection(writer)
            adapter.set_writer(server, writer)
            try:
                await pump(lambda: reader.read(CHUNK_BYTES), session)
            except (ConnectionError, OSError) as exc:
                log.info("The TCP client connection failed (%s).", type(exc).__name__)
            finally:
                writer.close()
                if lifecycle.started:
                    finished.set()
                else:
                    log.info("A TCP connection closed before initialize; still listening.")
                    session.restart_framing()
                active = None
                me.closed.set()

        listener = await asyncio.start_server(on_connection, host, port)
        addresses = ", ".join(str(sock.getsockname()) for sock in listener.sockets)
        log.info("Serving LSP on %s", addresses)
        async with listener:
            await finished.wait()

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass
    except OSError as exc:  # the port is taken, the host unknown...
        log.error("Cannot listen on %s:%d (%s).", host, port, exc)
        return 2
    finally:
        adapter.stop(server)
    return lifecycle.exit_code


async def _refuse(writer: asyncio.StreamWriter) -> None:
    error = {"code": INVALID_REQUEST, "message": REFUSAL}
    text = outgoing.encode({"jsonrpc": "2.0", "id": None, "error": error})
    with contextlib.suppress(ConnectionError, OSError):
        writer.write(framing.frame(outgoing.to_bytes(text)))
        await writer.drain()
    writer.close()
