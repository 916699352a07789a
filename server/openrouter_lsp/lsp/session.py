"""One client's message stream: bytes in, checked messages to pygls (stdio and TCP alike).

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
import logging
from typing import Any

from pygls.lsp.server import LanguageServer

from ..errors import InvalidInput
from ..memory import release_freed_memory
from ..protocol import FieldError
from . import pygls_adapter as adapter
from .framing import MAX_MESSAGE_BYTES_ENV, Frame, FrameDecoder, Oversized, Skipped
from .inbound import (
    has_lone_surrogate,
    may_hold_lone_surrogates,
    params_problems,
    peek_id,
    replace_lone_surrogates,
    request_id,
)
from .json_decode import decode_body
from .jsonrpc_errors import to_jsonrpc
from .lifecycle import INVALID_REQUEST, Lifecycle

log = logging.getLogger(__name__)

PARSE_ERROR = -32700
INTERNAL_ERROR = -32603
# A request at least this big leaves freed copies of itself in the C heap: returned to the OS
# once such requests pause for `TRIM_AFTER_S` (see `memory`).
BIG_REQUEST_BYTES = 256 * 1024
TRIM_AFTER_S = 1.0


class Session:
    """One client's message stream: framing, checks, lifecycle; then pygls."""

    def __init__(self, server: LanguageServer, lifecycle: Lifecycle, max_body: int) -> None:
        self.server = server
        self.lifecycle = lifecycle
        self.max_body = max_body
        self.decoder = FrameDecoder(max_body)
        self._big_requests: set[Any] = set()
        self._trim: asyncio.TimerHandle | None = None
        adapter.watch_answers(server, self._answered)

    def _answered(self, msg_id: Any, ok: bool) -> None:
        self.lifecycle.answered(msg_id, ok)
        if msg_id in self._big_requests:
            self._big_requests.discard(msg_id)
            self._trim_later()

    def _trim_later(self) -> None:
        """Return the heap once big requests pause: trimming after each one measured slower
        (the next one page-faults all its copies back in), ~10 ms per 400 KB prompt."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a session driven by hand)
            release_freed_memory()
            return
        if self._trim is not None:
            self._trim.cancel()
        self._trim = loop.call_later(TRIM_AFTER_S, release_freed_memory)

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
            data, surrogate_free = decode_body(body)
        except ValueError as exc:  # UnicodeDecodeError too: its length was probably wrong
            log.warning("Received a message that is not JSON (%s).", type(exc).__name__)
            self._error(None, PARSE_ERROR, f"Parse error: the message is not valid JSON ({exc}).")
            self.decoder.reject(body)
            return
        except RecursionError:
            self._error(None, PARSE_ERROR, "Parse error: the message is nested too deeply.")
            return
        # The bytes `inbound` scans for a lone surrogate's escape: none when orjson decoded the
        # body, as it refuses them (saves ~0.23 ms for a 400,000-character non-ASCII prompt).
        escapes = b"" if surrogate_free else body
        try:
            self._on_message(data, body, escapes)
        except Exception as exc:  # never let one message stop the loop
            log.error("Handling a message failed (%s).", type(exc).__name__, exc_info=exc)
            found, msg_id = request_id(data)
            if found:
                self._error(msg_id, INTERNAL_ERROR, "Internal error while reading the request.")

    # -- messages ------------------------------------------------------------------------------

    def _on_message(self, data: Any, body: bytes, escapes: bytes) -> None:
        if not isinstance(data, dict):
            shape = " (batches are not supported)" if isinstance(data, list) else ""
            self._error(None, INVALID_REQUEST, f"Invalid Request: expected a JSON object{shape}.")
            return
        if "method" not in data:
            self._on_client_response(data, escapes)
            return
        method = data["method"]
        found, msg_id = request_id(data)
        if "id" in data and not found:
            self._error(None, INVALID_REQUEST, "Invalid Request: id must be an integer or string.")
            return
        if (
            data.get("jsonrpc") != "2.0"
            or not isinstance(method, str)
            or has_lone_surrogate(method)
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
            self._on_request(data, method, msg_id, body, escapes)
        else:
            self._on_notification(data, method, escapes)

    def _on_request(
        self, data: dict[str, Any], method: str, msg_id: Any, body: bytes, escapes: bytes
    ) -> None:
        refusal = self.lifecycle.admit_request(method, msg_id)
        if refusal is not None:
            self._error(msg_id, refusal.code, refusal.message)
            return
        problems = params_problems(data.get("params"), escapes)
        if problems:
            self._invalid(msg_id, method, problems)
            return
        try:
            message = adapter.structure(self.server, data)
        except adapter.MalformedMessage as exc:
            self._invalid(msg_id, method, exc.errors)
            return
        if len(body) >= BIG_REQUEST_BYTES:
            self._big_requests.add(msg_id)
        adapter.dispatch_request(self.server, message)

    def _on_notification(self, data: dict[str, Any], method: str, escapes: bytes) -> None:
        if not self.lifecycle.admit_notification(method):
            log.info("Dropped notification %s (%s).", method[:80], self.lifecycle.stage.value)
            return
        if may_hold_lone_surrogates(data.get("params"), escapes):
            data["params"] = replace_lone_surrogates(data.get("params"))
        try:
            message = adapter.structure(self.server, data)
        except adapter.MalformedMessage as exc:
            log.warning("Dropped notification %s with bad params: %s", method[:80], exc)
            return
        adapter.dispatch(self.server, message)

    def _on_client_response(self, data: dict[str, Any], escapes: bytes) -> None:
        found, msg_id = request_id(data)
        if not found:
            log.warning("Dropped a message with neither a method nor a valid id.")
            return
        if data.get("jsonrpc") != "2.0" or ("result" in data) == ("error" in data):
            # Whatever it is, the request it answers must not wait forever.
            adapter.fail_pending_request(self.server, msg_id, "The client's answer was malformed.")
            return
        data["id"] = msg_id
        if may_hold_lone_surrogates(data, escapes):
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
