"""A raw JSON-RPC client for the real server process, for tests that must control every byte.

The client owns `python -m openrouter_lsp` through asyncio subprocess pipes on an event loop of
its own (a background thread), so synchronous tests (hypothesis) can drive it. It writes frames
exactly as given (`send_text`), keeps every frame the server writes with its raw bytes, parses
them strictly (NaN/Infinity are not JSON), answers the server's own requests the way an editor
would, and keeps stderr, so a test can search everything the server wrote.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import sys
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

# What this client tells the server it supports: everything the commands can use (progress,
# showDocument, message requests, edits, configuration pull), so every code path runs.
CLIENT_CAPABILITIES: dict[str, Any] = {
    "window": {
        "workDoneProgress": True,
        "showDocument": {"support": True},
        "showMessage": {"messageActionItem": {"additionalPropertiesSupport": False}},
    },
    "workspace": {
        "applyEdit": True,
        "configuration": True,
        "workspaceEdit": {"documentChanges": True},
        "executeCommand": {"dynamicRegistration": False},
    },
    "textDocument": {
        "codeAction": {
            "codeActionLiteralSupport": {
                "codeActionKind": {"valueSet": ["", "refactor", "refactor.rewrite"]}
            }
        }
    },
}


class NotJson(ValueError):
    """A token that strict JSON does not have (NaN, Infinity, -Infinity)."""


def strict_loads(body: bytes | str) -> Any:
    """`json.loads` that refuses NaN and Infinity, which Python's json accepts and writes."""

    def reject(constant: str) -> Any:
        raise NotJson(f"{constant} is not JSON")

    return json.loads(body, parse_constant=reject)


@dataclass
class Frame:
    """One message the server wrote: its exact bytes and, when they parse, the message."""

    seq: int
    header: bytes
    body: bytes
    message: Any = None
    problem: str | None = None  # why the frame is not a strict JSON-RPC message


@dataclass
class Answer:
    """The response to one request: `result`, or `error` ({code, message, data?})."""

    id: Any
    message: dict[str, Any]

    @property
    def error(self) -> dict[str, Any] | None:
        error = self.message.get("error")
        return error if isinstance(error, dict) else None

    @property
    def result(self) -> Any:
        return self.message.get("result")


class Unanswered(AssertionError):
    pass


def id_key(msg_id: Any) -> str:
    """Ids compare by their JSON text (`1` and `"1"` are different requests)."""
    return json.dumps(msg_id, sort_keys=True)


@dataclass
class Transcript:
    frames: list[Frame] = field(default_factory=list)
    stderr: bytearray = field(default_factory=bytearray)


class RawLspClient:
    def __init__(self, env: dict[str, str], cwd: Path | None = None) -> None:
        self._env = env
        self._cwd = cwd
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._ids = itertools.count(1)
        self.transcript = Transcript()
        self.restarts = 0
        self.initialize_result: dict[str, Any] = {}
        self._proc: asyncio.subprocess.Process | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self._replies: set[asyncio.Future[Any]] = set()
        self._answers: dict[str, list[Answer]] = {}
        self._arrived = asyncio.Event()  # set (and replaced) on every response; loop-owned
        # Every server-to-client request, to answer like an editor; replaceable by tests.
        self.answer_server_request: Callable[[str, Any], Any] = editor_reply

    # --- running on the client's loop ------------------------------------------------------

    def _run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def start(self, initialization_options: Any = None) -> dict[str, Any]:
        self._run(self._spawn(), 30)
        init = self.call(
            "initialize",
            {
                "processId": None,
                "rootUri": None,
                "capabilities": CLIENT_CAPABILITIES,
                "initializationOptions": initialization_options,
            },
            timeout=30,
        )
        self.initialize_result = init
        self.notify("initialized", {})
        return init

    async def _spawn(self) -> None:
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "openrouter_lsp",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self._env,
            cwd=self._cwd,
            limit=2**20,
        )
        self._tasks = [
            asyncio.ensure_future(self._read_frames(self._proc)),
            asyncio.ensure_future(self._drain_stderr(self._proc)),
        ]

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    @property
    def returncode(self) -> int | None:
        return None if self._proc is None else self._proc.returncode

    def stop(self) -> int | None:
        """`shutdown` then `exit` when the server still answers; kill it otherwise."""
        if self.alive:
            with contextlib.suppress(Exception):
                self.call("shutdown", None, timeout=5)
                self.notify("exit", None)
        code = self._run(self._reap(), 30)
        return code

    async def _reap(self) -> int | None:
        proc = self._proc
        if proc is None:
            return None
        with contextlib.suppress(Exception):
            if proc.stdin is not None:
                proc.stdin.close()
        try:
            await asyncio.wait_for(proc.wait(), 5)
        except asyncio.TimeoutError:
            proc.kill()  # only the process this client started
            await proc.wait()
        for task in self._tasks:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 5)
        return proc.returncode

    def restart(self) -> None:
        """A fresh process on the same state folder (after a crash or a hang)."""
        self._run(self._kill(), 30)
        self.restarts += 1
        self.start()

    async def _kill(self) -> None:
        proc = self._proc
        if proc is not None and proc.returncode is None:
            proc.kill()  # only the process this client started
        await self._reap()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._run(self._kill(), 30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    # --- reading ---------------------------------------------------------------------------

    async def _drain_stderr(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stderr is not None
        while chunk := await proc.stderr.read(65536):
            self.transcript.stderr += chunk

    async def _read_frames(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        stdout = proc.stdout
        while True:
            header = b""
            while not header.endswith(b"\r\n\r\n"):
                line = await stdout.readline()
                if not line:
                    return
                header += line
                if len(header) > 65536:
                    self._record(header, b"", problem="a header block over 64 KiB")
                    return
            length = None
            for line in header.split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            if length is None:
                self._record(header, b"", problem="a frame without Content-Length")
                return
            body = await stdout.readexactly(length)
            self._record(header, body)

    def _record(self, header: bytes, body: bytes, problem: str | None = None) -> None:
        frame = Frame(len(self.transcript.frames), header, body, problem=problem)
        self.transcript.frames.append(frame)
        if problem is not None:
            return
        try:
            frame.message = strict_loads(body)
        except NotJson as exc:
            frame.problem = f"not strict JSON ({exc})"
            frame.message = json.loads(body)  # still dispatched, so the answer is not lost
        except ValueError as exc:
            frame.problem = f"not JSON at all ({exc})"
            return
        self._dispatch(frame.message)

    def _dispatch(self, message: Any) -> None:
        if not isinstance(message, dict):
            return
        if "method" in message and "id" in message:
            reply = asyncio.ensure_future(self._reply_to_server(message))
            self._replies.add(reply)  # held until done: the loop keeps only weak references
            reply.add_done_callback(self._replies.discard)
        elif "method" not in message and "id" in message:
            self._answers.setdefault(id_key(message["id"]), []).append(
                Answer(message["id"], message)
            )
            self._arrived.set()
            self._arrived = asyncio.Event()

    async def _reply_to_server(self, request: dict[str, Any]) -> None:
        try:
            reply: dict[str, Any] = {
                "result": self.answer_server_request(request["method"], request.get("params"))
            }
        except LookupError:
            reply = {"error": {"code": -32601, "message": f"{request['method']} not supported"}}
        await self._write(json.dumps({"jsonrpc": "2.0", "id": request["id"], **reply}))

    # --- writing ---------------------------------------------------------------------------

    async def _write(self, body: str | bytes) -> None:
        proc = self._proc
        if proc is None or proc.stdin is None or proc.returncode is not None:
            return
        data = body.encode("utf-8") if isinstance(body, str) else body
        proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(data) + data)
        with contextlib.suppress(ConnectionError):
            await proc.stdin.drain()

    def send_text(self, body: str | bytes) -> None:
        """Write one frame whose body is exactly `body` (the Content-Length is right)."""
        self._run(self._write(body), 60)

    def notify(self, method: str, params: Any) -> None:
        self.send_text(json.dumps({"jsonrpc": "2.0", "method": method, "params": params}))

    def next_id(self) -> str:
        """Ids of this client's own requests: strings no fuzzed id is likely to equal."""
        return f"raw-lsp-{next(self._ids)}"

    def wait_answer(
        self, msg_id: Any, timeout: float, after: int = 0, null_after: int | None = None
    ) -> Answer:
        """The first answer to `msg_id` beyond the first `after` of them, within `timeout`
        seconds, else Unanswered.

        With `null_after`, an answer whose id is null beyond the first `null_after` of them also
        counts (what a server owes a request whose id it could not read).
        """
        return self._run(self._wait(id_key(msg_id), timeout, after, null_after), timeout + 5)

    async def _wait(self, key: str, timeout: float, after: int, null_after: int | None) -> Answer:
        deadline = self._loop.time() + timeout
        null = id_key(None)
        while True:
            if len(self._answers.get(key, [])) > after:
                return self._answers[key][after]
            if null_after is not None and len(self._answers.get(null, [])) > null_after:
                return self._answers[null][null_after]
            remaining = deadline - self._loop.time()
            if remaining <= 0 or not self.alive:
                state = "alive" if self.alive else f"exited with {self.returncode}"
                raise Unanswered(f"no answer to id {key} within {timeout:g} s (server {state})")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), min(remaining, 0.5))

    def answers_to(self, msg_id: Any) -> list[Answer]:
        return self._run(self._answers_to(id_key(msg_id)), 10)

    async def _answers_to(self, key: str) -> list[Answer]:
        return list(self._answers.get(key, []))

    def call(self, method: str, params: Any = None, timeout: float = 15) -> Any:
        """A well-formed request; its result, or AssertionError naming the error."""
        msg_id = self.next_id()
        request = {"jsonrpc": "2.0", "id": msg_id, "method": method}
        if params is not None:
            request["params"] = params
        self.send_text(json.dumps(request))
        answer = self.wait_answer(msg_id, timeout)
        if answer.error is not None:
            raise AssertionError(f"{method} failed: {answer.error}")
        return answer.result

    # --- what the server wrote -------------------------------------------------------------

    def mark(self) -> tuple[int, int]:
        """A position in the transcript, to look at what was written after it."""
        return self._run(self._mark(), 10)

    async def _mark(self) -> tuple[int, int]:
        return len(self.transcript.frames), len(self.transcript.stderr)

    def written_since(self, mark: tuple[int, int]) -> tuple[list[Frame], bytes]:
        return self._run(self._written_since(mark), 10)

    async def _written_since(self, mark: tuple[int, int]) -> tuple[list[Frame], bytes]:
        frames, stderr = mark
        return list(self.transcript.frames[frames:]), bytes(self.transcript.stderr[stderr:])


def editor_reply(method: str, params: Any) -> Any:
    """What a cooperative editor answers to the server's requests (LookupError: unsupported)."""
    if method in ("window/workDoneProgress/create", "client/registerCapability"):
        return None
    if method == "client/unregisterCapability":
        return None
    if method == "window/showMessageRequest":
        actions = params.get("actions") if isinstance(params, dict) else None
        return actions[0] if actions else None  # the user picks the first choice
    if method == "window/showDocument":
        return {"success": True}
    if method == "workspace/applyEdit":
        # Nothing is applied: the document the server knows must stay as it is.
        return {"applied": False, "failureReason": "this test client applies no edits"}
    if method == "workspace/configuration":
        items = params.get("items") if isinstance(params, dict) else None
        return [None] * len(items or [])
    raise LookupError(method)
