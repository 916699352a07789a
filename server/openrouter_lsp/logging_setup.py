"""Python logging to stderr and to the client's `window/logMessage`, with secrets redacted.

Redaction is a filter on every handler: whatever a library logs (pygls logs message bodies at
INFO), a known API key never reaches stderr or the client.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from typing import TYPE_CHECKING

from lsprotocol import types as lsp

if TYPE_CHECKING:
    from .server import OpenRouterLanguageServer

_secrets: set[str] = set()
REDACTED = "[redacted]"


def register_secret(value: str | None) -> None:
    if value and len(value) >= 8:
        _secrets.add(value)


# Shapes that are secrets even before the key store has seen them (a request being logged
# before its handler runs): OpenRouter keys, bearer tokens, an `apiKey` member.
_SECRET_SHAPES = re.compile(
    r"sk-or-[A-Za-z0-9_-]{6,}"
    r"|(?<=Bearer )[^\s\"']+"
    r"|(?<=\"apiKey\": \")[^\"]*"
    r"|(?<=\"apiKey\":\")[^\"]*"
)


def redact(text: str) -> str:
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return _SECRET_SHAPES.sub(REDACTED, text)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        env_key = os.environ.get("OPENROUTER_API_KEY")
        register_secret(env_key.strip() if env_key else None)
        record.msg, record.args = redact(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
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
