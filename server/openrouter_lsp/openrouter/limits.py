"""Every limit on what an upstream may cost us, declared once, each changeable by an environment
variable (read once, at first use of the HTTP side).

An upstream is not trusted to end a request, to keep bodies small, or to compress honestly:
without these, keep-alive comments or headers trickled a byte at a time keep a chat pending
forever, and a 1 MB gzip that expands to 1 GB blocks the event loop and the memory.
"""

from __future__ import annotations

import logging
import math
import os

import attrs

log = logging.getLogger(__name__)

MIB = 1024 * 1024
_values: dict[str, float] = {}


@attrs.frozen
class Limit:
    env: str
    default: float
    description: str

    def value(self) -> float:
        """The limit in force: the environment's value (read on first use) when it is a
        positive finite number, else the default."""
        known = _values.get(self.env)
        if known is None:
            known = _values[self.env] = self._from_env()
        return known

    def count(self) -> int:
        return int(self.value())

    def _from_env(self) -> float:
        raw = os.environ.get(self.env)
        if not raw:
            return self.default
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and value > 0):
            log.warning("Ignoring %s=%r: not a positive number; using %g", self.env, raw[:40],
                        self.default)
            return self.default
        return value


CHAT_DEADLINE = Limit(
    "OPENROUTER_LSP_CHAT_DEADLINE_S", 600.0,
    "seconds one chat may take in all (connection, retries and the whole stream)",
)
REQUEST_DEADLINE = Limit(
    "OPENROUTER_LSP_REQUEST_DEADLINE_S", 120.0,
    "seconds a catalogue, endpoints or account request may take in all",
)
STALL_TIMEOUT = Limit(
    "OPENROUTER_LSP_STALL_TIMEOUT", 120.0,
    "seconds a chat stream may send nothing at all (keep-alive comments count as life)",
)
MAX_CATALOGUE_BYTES = Limit(
    "OPENROUTER_LSP_MAX_CATALOGUE_BYTES", 8 * MIB,
    "bytes of the model catalogue (/models) after decompression; the real one is under 1 MB",
)
MAX_CATALOGUE_MODELS = Limit(
    "OPENROUTER_LSP_MAX_CATALOGUE_MODELS", 20_000,
    "models in the catalogue; the real one has a few hundred",
)
MAX_CATALOGUE_ENTRY_CHARS = Limit(
    "OPENROUTER_LSP_MAX_CATALOGUE_ENTRY_CHARS", 64 * 1024,
    "characters of one model in the catalogue (the real largest is 3.5 KB): one entry is parsed "
    "at once, so this bounds how long the event loop waits on it",
)
MAX_BODY_BYTES = Limit(
    "OPENROUTER_LSP_MAX_BODY_BYTES", 256 * 1024,
    "bytes of any other JSON body (endpoints, account, error bodies) after decompression",
)
MAX_SSE_LINE_CHARS = Limit(
    "OPENROUTER_LSP_MAX_SSE_LINE_CHARS", 16 * MIB,
    "characters of one server-sent event (one stream chunk)",
)
MAX_ANSWER_CHARS = Limit(
    "OPENROUTER_LSP_MAX_ANSWER_CHARS", 8 * MIB,
    "characters of one answer (content plus reasoning), far above any model's output limit",
)
GENERATION_WAIT = Limit(
    "OPENROUTER_LSP_GENERATION_WAIT_S", 6.0,
    "seconds a chat whose stream carried no cost waits in all for /generation (which answers "
    "404 for a few seconds after a request), retrying with backoff, before catalogue prices",
)
BALANCE_SETTLE = Limit(
    "OPENROUTER_LSP_BALANCE_SETTLE_S", 0.5,
    "seconds after a chat before its balance refresh, so the service has booked the chat",
)
KEY_CHECK_DEADLINE = Limit(
    "OPENROUTER_LSP_KEY_CHECK_DEADLINE_S", 15.0,
    "seconds the check of a newly set key may take before its verdict is \"unverified\"",
)
ALL = (
    CHAT_DEADLINE,
    REQUEST_DEADLINE,
    STALL_TIMEOUT,
    MAX_CATALOGUE_BYTES,
    MAX_CATALOGUE_MODELS,
    MAX_CATALOGUE_ENTRY_CHARS,
    MAX_BODY_BYTES,
    MAX_SSE_LINE_CHARS,
    MAX_ANSWER_CHARS,
    GENERATION_WAIT,
    BALANCE_SETTLE,
    KEY_CHECK_DEADLINE,
)


def size_text(count: int) -> str:
    """A byte or character count as a person reads it: 16 MiB, 1.5 MiB, 900 KiB, 12."""
    if count >= MIB:
        return f"{count / MIB:.3g} MiB"
    if count >= 1024:
        return f"{count / 1024:.3g} KiB"
    return f"{count:,}"
