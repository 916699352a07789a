"""The API key store: `OPENROUTER_API_KEY` -> the OS keyring (when a working backend exists)
-> a file with mode 0600 in the state folder.

The key never leaves this module except as the value of an `Authorization` header: views get an
`ApiKeyStatus` with a hint, and `logging_setup` redacts the key from every log record.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import protocol, wire
from .errors import invalid
from .key_file import KeyFile
from .logging_setup import register_secret
from .protocol import ApiKeyStatus, KeySource
from .state_dir import locked

log = logging.getLogger(__name__)

ENV_KEY = "OPENROUTER_API_KEY"
KEYRING_SERVICE = "openrouter-lsp"
KEYRING_USER = "api-key"


def key_hint(key: str) -> str:
    """`sk-or-v1-…1c96`: the key's scheme prefix and its last 4 characters, nothing more.

    The prefix is the leading short dash-separated parts (`sk-`, `or-`, `v1-`, at most three), so
    a key with dashes in its secret part never shows more than that.
    """
    prefix = ""
    for part in key.split("-")[:-1][:3]:
        if len(part) > 4:
            break
        prefix += part + "-"
    return f"{prefix}…{key[-4:]}"


def clean_key(raw: str) -> str:
    """The key as pasted, trimmed; InvalidParams (naming `apiKey`, never echoing it) if unusable."""
    key = raw.strip()
    wire.check_length(key, protocol.MAX_API_KEY_LENGTH, "apiKey")
    if not key:
        raise invalid(
            "apiKey", "must not be empty; to remove the key use openrouter/apiKey/clear"
        )
    if any(ord(ch) < 33 or ord(ch) > 126 for ch in key):
        raise invalid("apiKey", "must be printable ASCII without spaces")
    return key


class _Keyring:
    """The OS keyring, imported lazily (it costs ~0.1 s) and used only if a real backend exists."""

    def __init__(self) -> None:
        self._module: Any = None
        self._checked = False

    def backend(self) -> Any:
        if not self._checked:
            self._checked = True
            if os.environ.get("OPENROUTER_LSP_NO_KEYRING"):
                return None
            try:
                import keyring
                from keyring.backends import fail

                backend = keyring.get_keyring()
                usable = (
                    not isinstance(backend, fail.Keyring) and getattr(backend, "priority", 0) > 0
                )
                self._module = keyring if usable else None
            except Exception as exc:  # a broken backend must not stop the server
                log.warning(
                    "The OS keyring is unavailable (%s); using the key file.", type(exc).__name__
                )
                self._module = None
        return self._module

    def get(self) -> str | None:
        module = self.backend()
        if module is None:
            return None
        try:
            value = module.get_password(KEYRING_SERVICE, KEYRING_USER)
            return value if isinstance(value, str) and value else None
        except Exception as exc:
            log.warning("Reading the OS keyring failed (%s).", type(exc).__name__)
            return None

    def set(self, key: str) -> bool:
        module = self.backend()
        if module is None:
            return False
        try:
            module.set_password(KEYRING_SERVICE, KEYRING_USER, key)
            return True
        except Exception as exc:
            log.warning(
                "Writing the OS keyring failed (%s); using the key file.", type(exc).__name__
            )
            return False

    def delete(self) -> None:
        module = self.backend()
        if module is not None:
            with contextlib.suppress(Exception):
                module.delete_password(KEYRING_SERVICE, KEYRING_USER)


class KeyStore:
    def __init__(self, folder: Path, warn: Callable[[str], None]) -> None:
        self._folder = folder
        self._file = KeyFile(folder, warn, check=clean_key)
        self._keyring = _Keyring()
        self._cached: tuple[str, KeySource] | None = None
        self._loaded = False

    def _resolve(self) -> tuple[str, KeySource] | None:
        env_value = os.environ.get(ENV_KEY, "").strip()
        if env_value:
            register_secret(env_value)
            return env_value, "env"
        if not self._loaded:
            self._loaded = True
            self._cached = self._read_stored()
            register_secret(self._cached[0] if self._cached else None)
        return self._cached

    def _read_stored(self) -> tuple[str, KeySource] | None:
        from_keyring = self._keyring.get()
        if from_keyring:
            return from_keyring, "keyring"
        value = self._file.read()
        return (value, "file") if value else None

    def get(self) -> str | None:
        resolved = self._resolve()
        return resolved[0] if resolved else None

    def status(self) -> ApiKeyStatus:
        resolved = self._resolve()
        if resolved is None:
            return ApiKeyStatus(is_set=False, hint=None, source=None)
        key, source = resolved
        return ApiKeyStatus(is_set=True, hint=key_hint(key), source=source)

    def set(self, raw_key: str) -> ApiKeyStatus:
        register_secret(raw_key.strip())
        key = clean_key(raw_key)
        with locked(self._folder):
            if self._keyring.set(key):
                self._file.remove()
                self._cached = (key, "keyring")
            else:
                self._file.write(key)
                self._cached = (key, "file")
        self._loaded = True
        return self.status()

    def clear(self) -> ApiKeyStatus:
        with locked(self._folder):
            self._keyring.delete()
            self._file.erase_all_copies()
        self._cached = None
        self._loaded = True
        return self.status()

    def reload_if_changed(self) -> bool:
        """Forget the cached key when another process sharing the folder changed the key file."""
        if not self._file.changed():
            return False
        previous = self._cached if self._loaded else None
        self._loaded = False
        return self._resolve() != previous
