"""The read side of the server on stdio and on TCP: bytes in, checked messages to pygls.

It replaces pygls' reader (which dies on a huge Content-Length, desynchronises for good after one
bad frame and answers nothing it cannot parse): `framing.FrameDecoder` cuts the byte stream,
then each message is checked here, in this order, before any handler sees it:

1. JSON (UTF-8, no `NaN`): else -32700 with id null, and the framing resyncs;
2. the envelope (an object, `"jsonrpc": "2.0"`, a string method, an integer or string id): else
   -32600;
3. the lifecycle (`lifecycle.Lifecycle`): -32002 before initialize, -32600 after shutdown;
4. params pygls cannot hold: a lone surrogate in any string, a progress token that is not an
   integer or a string, params pygls fails to structure: -32602 naming the field.

Only the top-level object is a message (pygls' JSON object hook took any nested object with a
`jsonrpc` member for one, and the request was never answered).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import Any, BinaryIO

from pygls.lsp.server import LanguageServer

from . import framing, outgoing
from . import pygls_adapter as adapter
from .errors import InvalidInput
from .framing import (
    MAX_MESSAGE_BYTES_ENV,
    Frame,
    FrameDecoder,
    Oversized,
    Skipped,
    max_message_bytes,
)
from .lifecycle import INVALID_REQUEST, Lifecycle
from .logging_setup import register_secret
from .lsp_errors import to_jsonrpc
from .protocol import FieldError

log = logging.getLogger(__name__)

PARSE_ERROR = -32700
INTERNAL_ERROR = -32603
CHUNK_BYTES = 256 * 1024
PROGRESS_TOKEN_FIELDS = ("workDoneToken", "partialResultToken")
REPLACEMENT = "\ufffd"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


class Session:
    """One client's message stream: framing, checks, lifecycle; then pygls."""

    def __init__(self, server: LanguageServer, lifecycle: Lifecycle, max_body: int) -> None:
        self.server = server
        self.lifecycle = lifecycle
        self.max_body = max_body
        self.decoder = FrameDecoder(max_body)
        adapter.watch_answers(server, lifecycle.answered)

    def restart_framing(self) -> None:
        self.decoder = FrameDecoder(self.max_body)

    def receive(self, chunk: bytes) -> bool:
        """Handle the bytes; False once the client sent `exit`."""
        self.decoder.feed(chunk)
        while (event := self.decoder.next_event()) is not None:
            if isinstance(event, Frame):
                self._on_body(event.body)
            elif isinstance(event, Skipped):
                self._on_skipped(event)
            else:
                self._on_oversized(event)
            if self.lifecycle.exit_requested:
                return False
        return True

    # -- framing events --------------------------------------------------------------------

    def _on_skipped(self, event: Skipped) -> None:
        log.warning("Skipped input that was not a framed message: %s.", event.reason)
        self._error(
            None,
            PARSE_ERROR,
            f"Parse error: skipped input that was not a framed message ({event.reason}); "
            "expected 'Content-Length: N', a blank line, then N bytes of JSON.",
        )

    def _on_oversized(self, event: Oversized) -> None:
        log.warning("Discarded a message of %d bytes (limit %d).", event.length, event.limit)
        found, msg_id = peek_id(event.head)
        self._error(
            msg_id if found else None,
            INVALID_REQUEST,
            f"Invalid Request: the message is {event.length:,} bytes; the limit is "
            f"{event.limit:,} (set {MAX_MESSAGE_BYTES_ENV} to change it).",
        )

    def _on_body(self, body: bytes) -> None:
        try:
            data = _DECODER.decode(body.decode("utf-8"))
        except ValueError as exc:  # UnicodeDecodeError too: its length was probably wrong
            log.warning("Received a message that is not JSON (%s).", type(exc).__name__)
            self._error(None, PARSE_ERROR, f"Parse error: the message is not valid JSON ({exc}).")
            self.decoder.reject(body)
            return
        except RecursionError:
            self._error(None, PARSE_ERROR, "Parse error: the message is nested too deeply.")
            return
        try:
            self._on_message(data, body)
        except Exception as exc:  # never let one message stop the loop
            log.error("Handling a message failed (%s).", type(exc).__name__, exc_info=exc)
            found, msg_id = _request_id(data)
            if found:
                self._error(msg_id, INTERNAL_ERROR, "Internal error while reading the request.")

    # -- messages ------------------------------------------------------------------------------

    def _on_message(self, data: Any, body: bytes) -> None:
        if not isinstance(data, dict):
            shape = " (batches are not supported)" if isinstance(data, list) else ""
            self._error(None, INVALID_REQUEST, f"Invalid Request: expected a JSON object{shape}.")
            return
        if "method" not in data:
            self._on_client_response(data, body)
            return
        method = data["method"]
        found, msg_id = _request_id(data)
        if "id" in data and not found:
            self._error(None, INVALID_REQUEST, "Invalid Request: id must be an integer or string.")
            return
        if (
            data.get("jsonrpc") != "2.0"
            or not isinstance(method, str)
            or _has_lone_surrogate(method)
        ):
            if found:
                self._error(
                    msg_id,
                    INVALID_REQUEST,
                    'Invalid Request: "jsonrpc" must be "2.0" and "method" a valid string.',
                )
            return
        if method == "exit":
            self.lifecycle.admit_notification(method)
            return
        if found:
            data["id"] = msg_id
            self._on_request(data, method, msg_id, body)
        else:
            self._on_notification(data, method, body)

    def _on_request(self, data: dict[str, Any], method: str, msg_id: Any, body: bytes) -> None:
        refusal = self.lifecycle.admit_request(method, msg_id)
        if refusal is not None:
            self._error(msg_id, refusal.code, refusal.message)
            return
        problems = params_problems(data.get("params"), body)
        if problems:
            self._invalid(msg_id, method, problems)
            return
        try:
            message = adapter.structure(self.server, data)
        except adapter.MalformedMessage as exc:
            self._invalid(msg_id, method, exc.errors)
            return
        adapter.dispatch(self.server, message)

    def _on_notification(self, data: dict[str, Any], method: str, body: bytes) -> None:
        if not self.lifecycle.admit_notification(method):
            log.info("Dropped notification %s (%s).", method[:80], self.lifecycle.stage.value)
            return
        if _may_hold_surrogates(body):
            data["params"] = replace_lone_surrogates(data.get("params"))
        try:
            message = adapter.structure(self.server, data)
        except adapter.MalformedMessage as exc:
            log.warning("Dropped notification %s with bad params: %s", method[:80], exc)
            return
        adapter.dispatch(self.server, message)

    def _on_client_response(self, data: dict[str, Any], body: bytes) -> None:
        found, msg_id = _request_id(data)
        if not found or data.get("jsonrpc") != "2.0":
            log.warning("Dropped a message with neither a method nor a valid id.")
            return
        data["id"] = msg_id
        if _may_hold_surrogates(body):
            for member in ("result", "error"):
                if member in data:
                    data[member] = replace_lone_surrogates(data[member])
        try:
            message = adapter.structure(self.server, data)
        except adapter.MalformedMessage:
            adapter.fail_pending_request(self.server, msg_id, "The client's answer was malformed.")
            return
        adapter.dispatch(self.server, message)

    # -- answers -----------------------------------------------------------------------------------

    def _invalid(self, msg_id: Any, method: str, errors: list[FieldError]) -> None:
        adapter.send_exception(self.server, msg_id, to_jsonrpc(InvalidInput(errors), method))

    def _error(self, msg_id: Any, code: int, message: str) -> None:
        adapter.send_error(self.server, msg_id, code, message)


def _request_id(data: Any) -> tuple[bool, Any]:
    """(True, the id) when `data` carries an id LSP allows: an integer or a string."""
    if not isinstance(data, dict) or "id" not in data:
        return False, None
    return valid_id(data["id"])


def valid_id(value: Any) -> tuple[bool, Any]:
    if isinstance(value, str):
        return not _has_lone_surrogate(value), value  # echoed back, it must be valid Unicode
    if isinstance(value, int) and not isinstance(value, bool):
        return True, value
    if isinstance(value, float) and value.is_integer():  # 1.0 is 1; 1e999 is not an id
        return True, int(value)
    return False, None


def peek_id(head: bytes) -> tuple[bool, Any]:
    """The id of a message from its first bytes, if it comes before any nested value."""
    text = head.decode("utf-8", "ignore")
    decoder = json.JSONDecoder()
    try:
        pos = _skip_space(text, 0)
        if text[pos] != "{":
            return False, None
        pos += 1
        while True:
            pos = _skip_space(text, pos)
            key, pos = decoder.raw_decode(text, pos)
            pos = _skip_space(text, pos)
            if not isinstance(key, str) or text[pos] != ":":
                return False, None
            pos = _skip_space(text, pos + 1)
            if text[pos] in "{[":
                return False, None  # params before the id: give up rather than parse it
            value, pos = decoder.raw_decode(text, pos)
            if key == "id":
                return valid_id(value)
            pos = _skip_space(text, pos)
            if text[pos] != ",":
                return False, None
            pos += 1
    except (ValueError, IndexError):
        return False, None


def _skip_space(text: str, pos: int) -> int:
    while text[pos] in " \t\r\n":
        pos += 1
    return pos


# -- params pygls cannot hold --------------------------------------------------------------------


def _may_hold_surrogates(body: bytes) -> bool:
    # A lone surrogate can only arrive escaped (raw UTF-8 cannot encode one): `\ud800`..`\udfff`.
    return b"\\ud" in body or b"\\uD" in body


def _has_lone_surrogate(text: str) -> bool:
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def params_problems(params: Any, body: bytes) -> list[FieldError]:
    problems: list[FieldError] = []
    if _may_hold_surrogates(body):
        path = find_lone_surrogate(params)
        if path is not None:
            problems.append(
                FieldError(
                    path=path,
                    message="contains a lone surrogate (half of a UTF-16 pair), "
                    "which is not valid Unicode",
                )
            )
    if isinstance(params, dict):
        for name in PROGRESS_TOKEN_FIELDS:
            token = params.get(name)
            if token is not None and (isinstance(token, float) or not valid_id(token)[0]):
                problems.append(
                    FieldError(
                        path=name,
                        message=f"expected a string or an integer, got {adapter.describe(token)}",
                    )
                )
    return problems


def find_lone_surrogate(value: Any) -> str | None:
    """The path (`messages[0].content`) of the first string holding a lone surrogate."""
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            if _has_lone_surrogate(item):
                return path
        elif isinstance(item, dict):
            for key, child in reversed(item.items()):
                child_path = f"{path}.{key}" if path else str(key)
                if _has_lone_surrogate(key):
                    return child_path
                stack.append((child, child_path))
        elif isinstance(item, list):
            stack.extend((child, f"{path}[{i}]") for i, child in reversed(list(enumerate(item))))
    return None


def replace_lone_surrogates(value: Any) -> Any:
    """The same JSON with each lone surrogate replaced by U+FFFD (one UTF-16 unit for one, so
    document positions stay right)."""
    if isinstance(value, str):
        if not _has_lone_surrogate(value):
            return value
        return "".join(REPLACEMENT if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in value)
    if isinstance(value, dict):
        return {replace_lone_surrogates(k): replace_lone_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [replace_lone_surrogates(v) for v in value]
    return value


# -- byte sources and the serve loops ------------------------------------------------------------

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


class StdoutWriter:
    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream

    def write(self, data: bytes) -> None:
        self._stream.write(data)
        self._stream.flush()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._stream.close()


def _start(server: LanguageServer) -> tuple[Lifecycle, Session]:
    # The environment's key is a secret from the start, before anything has read it.
    register_secret(os.environ.get("OPENROUTER_API_KEY", "").strip() or None)
    lifecycle = Lifecycle()
    return lifecycle, Session(server, lifecycle, max_message_bytes())


def serve_stdio(
    server: LanguageServer, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None
) -> int:
    """Serve one client on stdio; the exit code (0 after shutdown, 1 without)."""
    lifecycle, session = _start(server)
    adapter.set_writer(server, StdoutWriter(stdout or sys.stdout.buffer))

    async def run() -> None:
        source = StdinSource(stdin or sys.stdin.buffer)
        await pump(source.read, session)

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
    """Serve one client over TCP. A connection that has not sent `initialize` (a port probe) is
    dropped when another one arrives, and leaves the server listening when it closes; once a
    client is past `initialize`, any other connection is refused and closed."""
    lifecycle, session = _start(server)

    async def run() -> None:
        finished = asyncio.Event()
        active: _Connection | None = None

        async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal active
            while active is not None:
                if lifecycle.started:
                    await _refuse(writer)
                    return
                idle = active
                idle.writer.transport.abort()  # a probe gives way to the newcomer
                await idle.closed.wait()
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
