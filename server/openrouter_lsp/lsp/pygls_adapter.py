"""Every use of pygls beyond its documented API, in one place (pinned: `pygls>=2.1.1,<2.2`).

pygls 2.1 offers no public hook for what the server needs, so this module reaches into it:

- `AdapterProtocol` overrides `_send_data` (every outgoing message goes through `outgoing.encode`:
  strict JSON, secrets redacted, a byte-exact Content-Length) and `_send_response` (plain JSON
  results skip pygls' attrs envelope; the lifecycle learns which requests were answered);
- `structure_message` hands `openrouter/*` requests their params as raw JSON;
- `dispatch_request` calls `_handle_request` directly (the session has already told a request
  from the other messages; pygls' own test costs ~12 µs on Python 3.11);
- `replace_builtin_feature` swaps one of pygls' built-in handlers.

`RELIED_ON` lists each private attribute with the parameters used; `tests/test_pygls_adapter.py`
fails when a pygls release renames or reshapes one of them.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import logging
import re
from collections.abc import Callable
from typing import Any

import cattrs
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pygls.feature_manager import FeatureManager
from pygls.lsp.server import LanguageServer
from pygls.protocol import JsonRPCProtocol, LanguageServerProtocol
from pygls.protocol.json_rpc import JsonRPCRequestMessage

from ..protocol import FieldError
from ..wire import RawJson, describe, to_camel
from . import framing, outgoing

log = logging.getLogger(__name__)
_PYGLS_LOG = logging.getLogger("pygls.protocol.json_rpc")

# (class, attribute, parameter names after self, or None for a plain attribute)
RELIED_ON: tuple[tuple[type, str, tuple[str, ...] | None], ...] = (
    (JsonRPCProtocol, "_send_data", ("data",)),
    (JsonRPCProtocol, "_send_response", ("msg_id", "result", "error")),
    (JsonRPCProtocol, "_serialize_message", ("data",)),
    (JsonRPCProtocol, "structure_message", ("data",)),
    (JsonRPCProtocol, "handle_message", ("message",)),
    (JsonRPCProtocol, "_handle_request", ("msg_id", "method_name", "params")),
    (JsonRPCProtocol, "set_writer", ("writer", "include_headers")),
    (FeatureManager, "builtin_features", None),
)
# set in JsonRPCProtocol.__init__
RELIED_ON_INSTANCE = ("_result_types", "writer", "fm", "_shutdown")

AnswerWatcher = Callable[[Any, bool], None]


class MalformedMessage(Exception):
    """pygls could not structure a message's params; `errors` name the fields."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.path}: {e.message}" for e in errors))
        self.errors = errors


class AdapterProtocol(LanguageServerProtocol):
    RAW_PARAMS_PREFIX = "openrouter/"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pending_writes: set[asyncio.Future[Any]] = set()  # kept until written (asyncio)
        self.on_answer: AnswerWatcher = lambda _msg_id, _ok: None
        self._write_failed = False  # logged once: a gone client fails every later write

    def structure_message(self, data: dict[str, Any]) -> Any:
        # pygls turns params of methods it does not know into its own shapes (and fails on some
        # without answering); `wire.structure` validates the raw JSON instead, naming each field.
        method = data.get("method")
        if "id" in data and isinstance(method, str) and method.startswith(self.RAW_PARAMS_PREFIX):
            return JsonRPCRequestMessage(
                id=data["id"], method=method, jsonrpc=data["jsonrpc"], params=data.get("params")
            )
        return super().structure_message(data)

    def _send_response(self, msg_id: Any, result: Any = None, error: Any = None) -> None:
        self.on_answer(msg_id, error is None)
        # Plain JSON results (every openrouter/* result) skip pygls' attrs envelope, whose
        # unstructuring would deep-copy a 337-model catalogue on every models/list.
        if error is None and isinstance(result, RawJson):
            self._result_types.pop(msg_id, None)
            head = outgoing.encode({"jsonrpc": "2.0", "id": msg_id})
            body = outgoing.checked_pieces(result.pieces, result.clean_as_of)
            self.write_pieces([outgoing.to_bytes(f'{head[:-1]},"result":'), *body, b"}"])
            return
        if error is None and isinstance(result, (dict, list)):
            self._result_types.pop(msg_id, None)
            self._send_data({"jsonrpc": "2.0", "id": msg_id, "result": result})
            return
        super()._send_response(msg_id, result, error)

    def _send_data(self, data: Any) -> None:
        try:
            body = outgoing.encode_body(data, default=self._serialize_message)
        except Exception as exc:
            log.error("A message could not be encoded (%s); not sent.", type(exc).__name__)
            msg_id = _response_id(data)
            if msg_id is not None:  # the request is still owed an answer
                error = {"code": -32603, "message": "The answer could not be encoded."}
                self.write_text(outgoing.encode({"jsonrpc": "2.0", "id": msg_id, "error": error}))
            return
        self.write_pieces([body])

    def write_text(self, text: str) -> None:
        """Write one message (already strict, redacted JSON text) with its header."""
        self.write_pieces([outgoing.to_bytes(text)])

    def write_pieces(self, pieces: list[bytes]) -> None:
        """Write one message whose body is `pieces` (strict, redacted, UTF-8) with its header:
        a writer that can (`transport.StdoutWriter`) writes them without joining them."""
        if self.writer is None:
            return
        framed = [framing.header(sum(map(len, pieces))), *pieces]
        try:
            write_pieces = getattr(self.writer, "write_pieces", None)
            if write_pieces is not None:
                outcome = write_pieces(framed)
            else:
                outcome = self.writer.write(b"".join(framed))
        except OSError as exc:  # the client went away; the read loop ends on EOF
            if not self._write_failed:
                self._write_failed = True
                log.info("Writing to the client failed (%s).", type(exc).__name__)
            return
        if inspect.isawaitable(outcome):
            self._pending_writes.add(task := asyncio.ensure_future(outcome))
            task.add_done_callback(self._pending_writes.discard)


def _response_id(data: Any) -> Any:
    if isinstance(data, dict):
        return data.get("id") if "method" not in data else None
    if getattr(data, "method", None) is None:
        return getattr(data, "id", None)
    return None


def notify_json(server: LanguageServer, method: str, params: dict[str, Any]) -> None:
    """A notification whose params are plain JSON, encoded as they are: pygls' `notify` builds
    an attrs envelope and unstructures it with cattrs: 20-50 % of the CPU of a 3,200-character
    `$/progress` (`bench/bench_relay_cpu.py`)."""
    protocol_of(server)._send_data({"jsonrpc": "2.0", "method": method, "params": params})


# -- what the transport calls --------------------------------------------------------------------


def protocol_of(server: LanguageServer) -> AdapterProtocol:
    protocol = server.protocol
    if not isinstance(protocol, AdapterProtocol):
        raise TypeError("the server must be built with protocol_cls=AdapterProtocol")
    return protocol


def set_writer(server: LanguageServer, writer: Any) -> None:
    protocol = protocol_of(server)
    protocol.set_writer(writer)
    protocol._write_failed = False


def watch_answers(server: LanguageServer, watcher: AnswerWatcher) -> None:
    protocol_of(server).on_answer = watcher


def send_error(
    server: LanguageServer, msg_id: Any, code: int, message: str, data: Any = None
) -> None:
    """An error response; `msg_id` None is sent as `"id": null` (pygls would omit it)."""
    protocol = protocol_of(server)
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    if msg_id is not None:
        protocol.on_answer(msg_id, False)
    protocol._send_data({"jsonrpc": "2.0", "id": msg_id, "error": error})


def send_exception(server: LanguageServer, msg_id: Any, exc: JsonRpcException) -> None:
    send_error(server, msg_id, exc.code, exc.message, exc.data)


def structure(server: LanguageServer, data: dict[str, Any]) -> Any:
    """pygls' typed message for a top-level JSON-RPC object, or MalformedMessage."""
    try:
        return protocol_of(server).structure_message(data)
    except JsonRpcException as exc:
        raise MalformedMessage(_field_errors(exc.__cause__, data.get("params"))) from None


def dispatch(server: LanguageServer, message: Any) -> None:
    protocol_of(server).handle_message(message)


def dispatch_request(server: LanguageServer, message: Any) -> None:
    """A request (checked by the session) to its handler: what `handle_message` does for one,
    without its `isinstance` tests against pygls' runtime-checkable Protocols (~12 µs each on
    Python 3.11, a fifth of the dispatch)."""
    protocol = protocol_of(server)
    if protocol._shutdown:  # pygls drops it then (the lifecycle has answered it already)
        protocol.handle_message(message)
        return
    # The line pygls' `handle_message` logs, under its logger: a debug log still shows each request.
    _PYGLS_LOG.debug("Request %r received", message.method)
    contextvars.copy_context().run(
        protocol._handle_request, message.id, message.method, message.params
    )


def fail_pending_request(server: LanguageServer, msg_id: Any, reason: str) -> None:
    """The client's response to one of our requests was malformed: fail the waiting request."""
    error = lsp.ResponseError(code=-32602, message=reason)
    dispatch(server, lsp.ResponseErrorMessage(id=msg_id, error=error))


def stop(server: LanguageServer) -> None:
    """pygls' own shutdown: its thread pool (if any) is stopped."""
    server.shutdown()  # type: ignore[no-untyped-call]


def replace_builtin_feature(server: LanguageServer, method: str, handler: Any) -> None:
    """Handle `method` with `handler` instead of pygls' built-in (e.g. executeCommand)."""
    protocol_of(server).fm.builtin_features[method] = handler


# -- naming the field pygls could not structure ---------------------------------------------------

_SNAKE_SEGMENT = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)+")


def _field_errors(cause: BaseException | None, params: Any) -> list[FieldError]:
    if params is not None and not isinstance(params, dict):
        return [FieldError(path="", message=f"params must be an object, got {describe(params)}")]
    if not isinstance(cause, cattrs.BaseValidationError):
        return [FieldError(path="", message="params have the wrong shape for this method")]
    errors = []
    for line in cattrs.transform_error(cause, path="$", format_exception=_failure):
        message, _, path = line.rpartition(" @ ")
        errors.append(FieldError(path=_params_path(path), message=message))
    return errors


def _failure(exc: BaseException, _type: Any) -> str:
    if isinstance(exc, KeyError):
        return "is required"
    if isinstance(exc, TypeError) and "'NoneType'" in str(exc):
        return "must be an object, got null"
    return f"has the wrong type or shape ({str(exc)[:120]})"


def _params_path(path: str) -> str:
    path = path.removeprefix("$").removeprefix(".")
    if path == "params":
        return ""
    path = path.removeprefix("params.")
    return _SNAKE_SEGMENT.sub(lambda m: to_camel(m.group(0)), path)
