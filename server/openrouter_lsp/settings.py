"""The settings document: validation, merge of partial updates, and persistence.

Precedence, lowest first (the one place it is written down):
1. built-in defaults (`protocol.Settings`);
2. the persisted document in the state folder (`settings.json`);
3. editor configuration (`initializationOptions`, then `workspace/configuration` section
   `openrouter`) for this session only — never `useCustomBaseUrl`/`customBaseUrl`, which, like the
   key, only the explicit methods can change, so a cloned repository cannot redirect the key;
4. `openrouter/settings/update`, which persists and also wins over editor configuration for the
   fields it names until the editor configuration changes again.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from . import wire
from .core.model_ids import model_id_problem
from .errors import InvalidInput
from .protocol import FieldError, Settings
from .settings_file import SettingsFile

log = logging.getLogger(__name__)

# Editor configuration may not choose where requests (and so the key) go.
EDITOR_FORBIDDEN_FIELDS = frozenset({"useCustomBaseUrl", "customBaseUrl"})


def is_loopback_host(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def base_url_problem(url: str) -> str | None:
    """Why `url` cannot be used as a base URL, or None when it can."""
    if not url.strip():
        return "is empty; enter a URL or turn off the custom base URL"
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    if parts.scheme not in ("https", "http") or not host:
        return "must start with https:// (or http:// on a loopback host) and name a host"
    if parts.query or parts.fragment or url.rstrip().endswith("?"):
        return "must not have a query string or a fragment"
    if parts.username or parts.password:
        return "must not contain credentials; set the API key instead"
    if parts.scheme == "http" and not is_loopback_host(host):
        return (
            "must use https:// unless the host is loopback (localhost, 127.0.0.0/8, ::1): "
            "the API key would cross the network in clear text"
        )
    return None


def validate(settings: Settings) -> list[FieldError]:
    """Rules beyond types and declared limits; one entry per bad field."""
    errors: list[FieldError] = []

    def check(path: str, problem: str | None) -> None:
        if problem:
            errors.append(FieldError(path=path, message=problem))

    check("modelId", model_id_problem(settings.model_id))
    if settings.routing.provider is not None:
        check("routing.provider", tag_problem(settings.routing.provider))
    if settings.use_custom_base_url:
        check("customBaseUrl", base_url_problem(settings.custom_base_url))
    return errors


def tag_problem(tag: str) -> str | None:
    if not tag.strip():
        return "must not be empty; use null for no specific provider"
    if any(ch.isspace() or ord(ch) < 32 for ch in tag):
        return "must not contain spaces or control characters"
    return None


def merge(
    current: dict[str, Any], patch: dict[str, Any], defaults: dict[str, Any]
) -> dict[str, Any]:
    """`patch` merged into `current`: objects recursively, `null` resets a field to its default."""
    merged = dict(current)
    for key, value in patch.items():
        if key not in defaults:
            continue  # unknown fields are ignored (SPEC §4)
        if value is None:
            merged[key] = defaults[key]
        elif isinstance(value, dict) and isinstance(defaults[key], dict):
            base = current.get(key)
            merged[key] = merge(base if isinstance(base, dict) else {}, value, defaults[key])
        else:
            merged[key] = value
    return merged


def parse(document: dict[str, Any]) -> Settings:
    """A whole settings document to `Settings`, or InvalidParams naming every bad field."""
    settings = wire.structure(document, Settings)
    if errors := validate(settings):
        raise InvalidInput(errors)
    return settings


DEFAULTS: dict[str, Any] = wire.unstructure(Settings())


def _complete(document: dict[str, Any]) -> dict[str, Any]:
    """A document read from disk, completed with defaults and validated (InvalidInput if not)."""
    completed = merge(DEFAULTS, document, DEFAULTS)
    parse(completed)
    return completed


class SettingsStore:
    """The persisted settings plus this session's editor overlay."""

    def __init__(self, folder: Path, warn: Callable[[str], None]) -> None:
        self._file = SettingsFile(folder, warn, validate=_complete)
        self._persisted: dict[str, Any] = self._load()
        self._editor_overlay: dict[str, Any] = {}
        self.current: Settings = self._effective()

    def reload_if_changed(self) -> bool:
        """Pick up a file another server process (another editor window) wrote; True if it did."""
        if not self._file.changed():
            return False
        self._persisted = self._load()
        previous, self.current = self.current, self._effective()
        return self.current != previous

    def _load(self) -> dict[str, Any]:
        # An unusable file has been moved aside (and the user told): defaults are in force.
        document = self._file.read()
        return document if document is not None else dict(DEFAULTS)

    def preview(self, patch: dict[str, Any]) -> Settings:
        """The settings `update(patch)` would save; InvalidInput naming every bad field."""
        return parse(merge(self._persisted, patch, DEFAULTS))

    def _effective(self) -> Settings:
        document = merge(self._persisted, self._editor_overlay, DEFAULTS)
        try:
            return parse(document)
        except InvalidInput:
            return parse(self._persisted)  # the overlay was checked on the way in; be safe

    def update(self, patch: dict[str, Any]) -> Settings:
        """Merge, validate the whole result, persist; nothing changes when anything is invalid."""

        def apply(on_disk: dict[str, Any] | None) -> dict[str, Any]:
            # The latest on disk: another process sharing the folder may have written.
            candidate = merge(on_disk if on_disk is not None else DEFAULTS, patch, DEFAULTS)
            parse(candidate)
            return candidate

        self._persisted = self._file.update(apply)
        # An explicit update wins over the editor's value for the fields it names.
        for key in patch:
            self._editor_overlay.pop(key, None)
        self.current = self._effective()
        return self.current

    def set_editor_overlay(self, overlay: dict[str, Any]) -> list[FieldError]:
        """Apply editor configuration for this session; invalid fields are reported and skipped."""
        allowed = {k: v for k, v in overlay.items() if k not in EDITOR_FORBIDDEN_FIELDS}
        errors: list[FieldError] = [
            FieldError(path=k, message="can only be set with openrouter/settings/update")
            for k in overlay
            if k in EDITOR_FORBIDDEN_FIELDS and overlay[k] is not None
        ]
        accepted: dict[str, Any] = {}
        for key, value in allowed.items():
            if key not in DEFAULTS or value is None:
                continue
            trial = merge(merge(self._persisted, accepted, DEFAULTS), {key: value}, DEFAULTS)
            try:
                parse(trial)
                accepted[key] = value
            except InvalidInput as exc:
                errors.extend(exc.errors)
        self._editor_overlay = accepted
        self.current = self._effective()
        return errors
