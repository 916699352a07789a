"""The LSP lifecycle, as the specification orders it, decided before any handler runs.

- Before `initialize` is answered: requests get -32002 (ServerNotInitialized), notifications are
  dropped (`exit` excepted).
- `initialize` is accepted once; a failed one (invalid params) may be retried.
- After `shutdown`: requests get -32600 (InvalidRequest), notifications are dropped.
- `exit` ends the server: exit code 0 after `shutdown`, 1 without it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from lsprotocol import types as lsp

SERVER_NOT_INITIALIZED = -32002
INVALID_REQUEST = -32600


class Stage(enum.Enum):
    NEW = "new"
    INITIALIZING = "initializing"
    RUNNING = "running"
    SHUT_DOWN = "shut down"


@dataclass(frozen=True)
class Refusal:
    code: int
    message: str


class Lifecycle:
    def __init__(self) -> None:
        self.stage = Stage.NEW
        self._initialize_id: object = None
        self.exit_requested = False

    @property
    def exit_code(self) -> int:
        return 0 if self.stage is Stage.SHUT_DOWN else 1

    @property
    def started(self) -> bool:
        """A client got past the start (a probe that only connects never does)."""
        return self.stage is not Stage.NEW or self.exit_requested

    def admit_request(self, method: str, msg_id: object) -> Refusal | None:
        if self.stage is Stage.SHUT_DOWN:
            return Refusal(INVALID_REQUEST, f"The server is shutting down; {method} refused.")
        if method == lsp.INITIALIZE:
            if self.stage is not Stage.NEW:
                return Refusal(INVALID_REQUEST, "initialize may be sent only once.")
            self.stage = Stage.INITIALIZING
            self._initialize_id = msg_id
            return None
        if self.stage is not Stage.RUNNING:
            return Refusal(
                SERVER_NOT_INITIALIZED,
                f"Server not initialized: send initialize before {method}.",
            )
        if method == lsp.SHUTDOWN:
            self.stage = Stage.SHUT_DOWN
        return None

    def admit_notification(self, method: str) -> bool:
        if method == lsp.EXIT:
            self.exit_requested = True
            return False  # the transport ends the process; no handler runs
        return self.stage is Stage.RUNNING

    def answered(self, msg_id: object, ok: bool) -> None:
        """The server answered request `msg_id` (`ok`: with a result)."""
        if self.stage is Stage.INITIALIZING and msg_id == self._initialize_id:
            self.stage = Stage.RUNNING if ok else Stage.NEW
