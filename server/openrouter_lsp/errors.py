"""The errors of the core and of the HTTP side: a kind and a sentence a person can act on.

Nothing here knows JSON-RPC. The LSP adapter translates these into JSON-RPC errors in exactly
one place (`lsp/jsonrpc_errors.to_jsonrpc`): `InvalidInput` becomes -32602 with `data.errors`,
`UpstreamError` becomes -32001 with `data` (an `UpstreamErrorData`, camelCase).
"""

from __future__ import annotations

from typing import Any

from .logging_setup import redact
from .protocol import ErrorKind, FieldError, UpstreamErrorData


class OpenRouterLspError(Exception):
    """Base of every error the core raises on purpose; `message` is shown to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(OpenRouterLspError):
    """Bad input from the user or the editor: one entry per offending field (camelCase path)."""

    def __init__(self, errors: list[FieldError]) -> None:
        # A key pasted into the wrong field must not come back in the error that names it.
        self.errors = [FieldError(path=e.path, message=redact(e.message)) for e in errors]
        summary = "; ".join(f"{e.path or 'params'}: {e.message}" for e in self.errors[:5])
        super().__init__(f"Invalid params: {summary}")

    def under(self, prefix: str) -> InvalidInput:
        """The same errors with paths under `prefix` (`modelId` -> `arguments[0].modelId`)."""
        return InvalidInput(
            [
                FieldError(path=prefix + (f".{e.path}" if e.path else ""), message=e.message)
                for e in self.errors
            ]
        )


def invalid(path: str, message: str) -> InvalidInput:
    return InvalidInput([FieldError(path=path, message=message)])


class UpstreamError(OpenRouterLspError):
    """The upstream service (or the way to it, or its configuration) failed."""

    def __init__(self, detail: UpstreamErrorData) -> None:
        super().__init__(detail.message)
        self.detail = detail

    @property
    def kind(self) -> ErrorKind:
        return self.detail.kind


class HistoryUnavailable(OpenRouterLspError):
    """The conversation history cannot be read or written (locked by another process, or
    unusable); JSON-RPC -32603 with `data.kind = "history"` and this sentence."""


def upstream_error(kind: ErrorKind, message: str, **extra: Any) -> UpstreamError:
    return UpstreamError(UpstreamErrorData(kind=kind, message=message, **extra))


def no_api_key_error() -> UpstreamError:
    return upstream_error(
        "no_api_key",
        "No API key is set. Get one at https://openrouter.ai/keys and set it with "
        "openrouter/apiKey/set (or the OPENROUTER_API_KEY environment variable).",
    )
