"""Python logging to stderr and to the client's `window/logMessage`, with secrets redacted.

Redaction is a filter on every handler: whatever a library logs (pygls logs message bodies at
INFO), a known API key never reaches stderr or the client.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from typing import TYPE_CHECKING

from lsprotocol import types as lsp

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .server import OpenRouterLanguageServer

_secrets: set[str] = set()
REDACTED = "[redacted]"
_NOTHING = re.compile(r"(?!)")
# Every known secret as it appears in text and inside a JSON string (`"` and `\` escaped), in
# one alternation compiled once per new secret: one replacing pass over a text, however many
# secrets. Outgoing messages are first searched with `in` (CPython's fast search runs at GB/s,
# `re` at 0.1-1 GB/s depending on the secrets' prefixes), so a 0.5 MB catalogue costs ~0.3 ms.
_known: re.Pattern[str] = _NOTHING
# (the forms to look for, their alternation): swapped as one, so a reader sees a matching pair
_in_json: tuple[tuple[str, ...], re.Pattern[str]] = ((), _NOTHING)


def register_secret(value: str | None) -> None:
    """Redact `value` from every log record and every message sent, from now on (never removed:
    a key that was replaced or cleared is still a secret)."""
    global _known, _in_json
    if not value or len(value) < 8 or value in _secrets:
        return
    _secrets.add(value)
    # Escaped as ASCII (cached JSON) and as UTF-8 (what the writer sends).
    in_json = {json.dumps(s, ensure_ascii=a)[1:-1] for s in _secrets for a in (True, False)}
    _known = _alternation({*_secrets, *in_json})
    _in_json = (tuple(in_json), _alternation(in_json))


def _alternation(literals: set[str]) -> re.Pattern[str]:
    # Longest first: a secret that contains another is redacted whole.
    return re.compile("|".join(re.escape(s) for s in sorted(literals, key=len, reverse=True)))


def known_secrets() -> frozenset[str]:
    return frozenset(_secrets)


def secrets_known() -> int:
    """How many secrets are known: it only grows (none is ever removed), so a text found free
    of secrets while this was N is still free of them while it is N."""
    return len(_secrets)


def clean_as_of(pieces: list[bytes]) -> int | None:
    """`secrets_known()` if no piece holds a known secret, else None. A JSON string never spans
    two pieces of a `wire.RawJson` (each is whole values or punctuation), so checking the pieces
    one by one is checking their concatenation."""
    known = secrets_known()
    return None if holds_secret(pieces) else known


def holds_secret(pieces: Iterable[bytes]) -> bool:
    """Whether any of `pieces` (UTF-8 JSON text) holds a known secret in any of its forms."""
    forms = [form.encode("utf-8") for form in _in_json[0]]
    return any(form in piece for piece in pieces for form in forms)


def scrub_json_text(text: str) -> str:
    """JSON text with every known secret inside its strings replaced by `[redacted]`.

    The caller checks the result still parses when a secret holds `"` or `\\` (a match could
    then start inside an escape sequence) - see `outgoing.scrub`.
    """
    forms, pattern = _in_json
    if any(form in text for form in forms):
        return pattern.sub(REDACTED, text)
    return text


# Shapes that are secrets even before the key store has seen them (a request being logged
# before its handler runs): OpenRouter keys, bearer tokens, an `apiKey` member.
_SECRET_SHAPES = re.compile(
    r"sk-or-[A-Za-z0-9_-]{6,}"
    r"|(?<=Bearer )[^\s\"']+"
    r"|(?<=\"apiKey\": \")[^\"]*"
    r"|(?<=\"apiKey\":\")[^\"]*"
)


# In logs only: a sign-in's code as a message body carries it (`signIn/complete` params, logged
# by pygls at DEBUG before the handler registers the code) or as a callback's query.
_LOG_SHAPES = re.compile(
    r'(?<="code": ")[^"]*|(?<="code":")[^"]*|(?<=\'code\': \')[^\']*'
    r'|(?<=[?&]code=)[^&\s"\']*'
)


def redact(text: str) -> str:
    if _secrets:
        text = _known.sub(REDACTED, text)
    return _SECRET_SHAPES.sub(REDACTED, text)


def redact_log(text: str) -> str:
    return _LOG_SHAPES.sub(REDACTED, redact(text))


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        env_key = os.environ.get("OPENROUTER_API_KEY")
        register_secret(env_key.strip() if env_key else None)
        record.msg, record.args = redact_log(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_log(record.exc_text)
        return True


_LEVELS = {
    logging.ERROR: lsp.MessageType.Error,
    logging.WARNING: lsp.MessageType.Warning,
    logging.INFO: lsp.MessageType.Info,
}


class ClientLogHandler(logging.Handler):
    """Forwards records to `window/logMessage`; never re-enters itself while sending."""

    def __init__(self, server: OpenRouterLanguageServer) -> None:
        super().__init__()
        self._server = server
        self._sending = False

    def emit(self, record: logging.LogRecord) -> None:
        if self._sending or record.name.startswith("pygls"):
            return  # pygls logs every message it sends: forwarding those would loop
        self._sending = True
        try:
            kind = _LEVELS.get(record.levelno, lsp.MessageType.Log)
            self._server.window_log_message(
                lsp.LogMessageParams(type=kind, message=self.format(record))
            )
        except Exception:
            pass
        finally:
            self._sending = False


def configure(level: str) -> None:
    root = logging.getLogger()
    root.setLevel(level.upper())
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root.handlers[:] = [handler]
    # pygls logs each message body at INFO/DEBUG; keep it to warnings unless asked for debug.
    if root.level > logging.DEBUG:
        logging.getLogger("pygls").setLevel(logging.WARNING)
        # pygls logs every failed request with a traceback; our handlers log what matters.
        logging.getLogger("pygls.protocol").setLevel(logging.CRITICAL)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


def attach_client(server: OpenRouterLanguageServer) -> None:
    root = logging.getLogger()
    if any(isinstance(h, ClientLogHandler) for h in root.handlers):
        return
    handler = ClientLogHandler(server)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    handler.setLevel(max(root.level, logging.INFO))
    root.addHandler(handler)
