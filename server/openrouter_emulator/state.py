"""The emulator's mutable state: configuration, recorded requests, faults, generations, caches.

One `EmulatorState` per running emulator. The event loop and test threads (through
`EmulatorHandle`) both touch it, so every mutation happens under one lock; critical sections
are tiny (no I/O inside).
"""

from __future__ import annotations

import dataclasses
import fnmatch
import threading
import time
from dataclasses import dataclass, field
from typing import Any

DEFAULT_TOKENS_PER_SECOND = 2000.0
DEFAULT_CHUNK_TOKENS = 1
DEFAULT_TOTAL_CREDITS = 100.0
# The real /generation answers 404 for a moment after a request ends (docs: "a few seconds").
DEFAULT_GENERATION_DELAY_SECONDS = 1.0
USAGE_CHUNK_SHAPES = ("auto", "empty_choices", "with_choice")
# Whether a stream ends with usage: OpenRouter always; OpenAI-style servers only when the request
# asks (`stream_options.include_usage`); some servers never.
STREAM_USAGE_MODES = ("always", "when_asked", "never")


@dataclass
class Config:
    """What `/_emulator/config` can change. `api_keys` empty means: accept any `sk-or-…` key."""

    api_keys: list[str] = field(default_factory=list)
    tokens_per_second: float | None = DEFAULT_TOKENS_PER_SECOND
    chunk_tokens: int = DEFAULT_CHUNK_TOKENS
    total_credits: float = DEFAULT_TOTAL_CREDITS
    key_limit: float | None = None
    is_free_tier: bool = False
    is_byok: bool = False
    # Older deployments and plain OpenAI-compatible servers send usage without a cost.
    report_cost: bool = True
    # Realism (docs/openrouter-behaviour.md says where each comes from); `MINIMAL` turns all off.
    processing_comments: bool = True
    role_first_chunk: bool = True
    null_delta_keys: bool = True
    reasoning_details: bool = True
    usage_chunk: str = "auto"
    stream_usage: str = "always"
    string_error_codes: bool = True
    rate_limit_headers: bool = True
    generation_delay_seconds: float = DEFAULT_GENERATION_DELAY_SECONDS
    tool_calls: bool = True
    # A fixed reply instead of the synthetic text (clients test how they render Markdown).
    reply_text: str | None = None


# The emulator before it imitated these details: for tests that want the bare shapes.
MINIMAL: dict[str, Any] = {
    "processing_comments": False, "role_first_chunk": False, "null_delta_keys": False,
    "reasoning_details": False, "usage_chunk": "empty_choices", "string_error_codes": False,
    "rate_limit_headers": False, "generation_delay_seconds": 0.0, "tool_calls": False,
}


@dataclass
class Fault:
    """One injected fault (see ARCHITECTURE.md, "The emulator's contract")."""

    route: str
    status: int | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_seconds: float = 0.0
    times: int = 1
    mode: str | None = None
    after_chunks: int = 3
    stall_seconds: float = 300.0
    used: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "route": self.route,
            "status": self.status,
            "body": self.body,
            "headers": self.headers,
            "delaySeconds": self.delay_seconds,
            "times": self.times,
            "mode": self.mode,
            "afterChunks": self.after_chunks,
            "stallSeconds": self.stall_seconds,
            "used": self.used,
        }


@dataclass
class RequestRecord:
    seq: int
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    received_at: str
    status: int | None = None
    generation_id: str | None = None
    disconnected: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            "body": self.body,
            "receivedAt": self.received_at,
            "status": self.status,
            "generationId": self.generation_id,
            "disconnected": self.disconnected,
        }


class EmulatorState:
    def __init__(self, config: Config | None = None) -> None:
        self.lock = threading.Lock()
        self._initial = config or Config()
        self.config = _copy_config(self._initial)
        self.requests: list[RequestRecord] = []
        self.faults: list[Fault] = []
        self.generations: dict[str, dict[str, Any]] = {}
        self._ended_at: dict[str, float] = {}
        self.free_requests_today = 0
        self.cache_prefixes: set[tuple[str, str]] = set()
        self.total_usage = 0.0
        self._seq = 0
        # OAuth PKCE (oauth.py): pending authorisations, issued codes, keys issued for them.
        self.auth_requests: dict[str, Any] = {}
        self.auth_codes: dict[str, Any] = {}
        self.issued_keys: set[str] = set()

    # -- requests -------------------------------------------------------------------------
    def add_request(self, record_args: dict[str, Any]) -> RequestRecord:
        with self.lock:
            self._seq += 1
            record = RequestRecord(seq=self._seq, **record_args)
            self.requests.append(record)
            return record

    def request_list(self) -> list[dict[str, Any]]:
        with self.lock:
            return [r.to_json() for r in self.requests]

    def clear_requests(self) -> None:
        with self.lock:
            self.requests.clear()

    # -- faults ---------------------------------------------------------------------------
    def add_fault(self, fault: Fault) -> None:
        with self.lock:
            self.faults.append(fault)

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def take_fault(self, candidates: tuple[str, ...]) -> Fault | None:
        """The first fault whose route matches one of `candidates`; consumes one use."""
        with self.lock:
            for fault in self.faults:
                if any(route_matches(fault.route, c) for c in candidates):
                    fault.used += 1
                    if fault.times > 0 and fault.used >= fault.times:
                        self.faults.remove(fault)
                    return fault
        return None

    # -- generations and billing ----------------------------------------------------------
    def add_generation(self, record: dict[str, Any]) -> None:
        with self.lock:
            gen_id = str(record["id"])
            self.generations[gen_id] = record
            self._ended_at[gen_id] = time.monotonic()
            self.total_usage += float(record.get("total_cost") or 0.0)

    def generation(self, gen_id: str) -> dict[str, Any] | None:
        """The generation's record once `/generation` may show it (None before, as a 404)."""
        with self.lock:
            found = self.generations.get(gen_id)
            ended = self._ended_at.get(gen_id, 0.0)
            if found is None or time.monotonic() - ended < self.config.generation_delay_seconds:
                return None
            return dict(found)

    def count_free_request(self) -> None:
        with self.lock:
            self.free_requests_today += 1

    def remember_prefix(self, model: str, digest: str) -> bool:
        """True when this cache prefix was seen before for the model (a cache hit)."""
        key = (model, digest)
        with self.lock:
            if key in self.cache_prefixes:
                return True
            self.cache_prefixes.add(key)
            return False

    # -- configuration --------------------------------------------------------------------
    def update_config(self, **changes: Any) -> Config:
        with self.lock:
            for name, value in changes.items():
                if not hasattr(self.config, name):
                    raise ValueError(f"unknown config field {name!r}")
                setattr(self.config, name, value)
            return _copy_config(self.config)

    def snapshot_config(self) -> Config:
        with self.lock:
            return _copy_config(self.config)

    def reset(self) -> None:
        with self.lock:
            self.config = _copy_config(self._initial)
            self.requests.clear()
            self.faults.clear()
            self.generations.clear()
            self._ended_at.clear()
            self.cache_prefixes.clear()
            self.total_usage = 0.0
            self.free_requests_today = 0
            self.auth_requests.clear()
            self.auth_codes.clear()
            self.issued_keys.clear()


def route_matches(pattern: str, path: str) -> bool:
    """A fault's route matches a path exactly, as a glob, or as a route template."""
    pattern = pattern.removeprefix("/api/v1")
    return pattern == path or fnmatch.fnmatchcase(path, pattern)


def _copy_config(config: Config) -> Config:
    return dataclasses.replace(config, api_keys=list(config.api_keys))
