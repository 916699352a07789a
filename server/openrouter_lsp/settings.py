"""The settings: validation, the merge of a partial update, and the store that resolves the
layers (defaults, file, editor configuration, explicit updates) into the settings in force.

The order of the layers, the `null` rule and provider pins are written down once, in
`settings_layers.py`; the file's I/O is `settings_file.py`.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from . import wire
from .core.model_ids import model_id_problem
from .errors import InvalidInput
from .protocol import MAX_ID_LENGTH, FieldError, Settings
from .settings_file import SettingsFile
from .settings_layers import (
    EDITOR_FORBIDDEN,
    PIN_PATH,
    PINS_FIELD,
    FieldPath,
    Leaves,
    document_of,
    leaves,
    nulled,
)

log = logging.getLogger(__name__)

MAX_PINS = 1_000  # provider pins kept (one per model the user pinned); the oldest go first


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
    if len(settings.provider_pins) > MAX_PINS:
        check("providerPins", f"has more than {MAX_PINS:,} entries")
    for model_id, tag in list(settings.provider_pins.items())[:MAX_PINS]:
        check(f"providerPins.{model_id[:80]}", model_id_problem(model_id) or tag_problem(tag))
    if settings.use_custom_base_url:
        check("customBaseUrl", base_url_problem(settings.custom_base_url))
    seen: set[str] = set()
    for i, model_id in enumerate(settings.favorite_models):
        problem = model_id_problem(model_id)
        if problem is None and len(model_id) > MAX_ID_LENGTH:
            problem = f"is too long ({len(model_id):,} characters; the limit is {MAX_ID_LENGTH:,})"
        if problem is None and model_id in seen:
            problem = "is listed twice"
        seen.add(model_id)
        check(f"favoriteModels[{i}]", problem)
    # A fallback that is the model itself is refused when fallbacks are updated (core/service.py),
    # not here: choosing one of the fallbacks as the model must not make the document invalid.
    for index, model_id in enumerate(settings.fallback_models):
        check(f"fallbackModels[{index}]", model_id_problem(model_id))
    check("fallbackModels", _duplicates(settings.fallback_models))
    for index, tag in enumerate(settings.routing.ignore):
        check(f"routing.ignore[{index}]", tag_problem(tag))
    check("routing.ignore", _duplicates(settings.routing.ignore))
    check("routing.quantizations", _duplicates(settings.routing.quantizations))
    return errors


def _duplicates(values: Sequence[str]) -> str | None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            return f"lists {value[:80]!r} more than once"
        seen.add(value)
    return None


def tag_problem(tag: str) -> str | None:
    if not tag.strip():
        return "must not be empty; use null for no specific provider"
    if any(ch.isspace() or ord(ch) < 32 for ch in tag):
        return "must not contain spaces or control characters"
    return None


def merge(
    current: dict[str, Any], patch: dict[str, Any], defaults: dict[str, Any]
) -> dict[str, Any]:
    """`patch` merged into the whole document `current`: objects recursively, `null` resets a
    field to its default (the file's side of the `null` rule in settings_layers.py)."""
    merged = dict(current)
    for key, value in patch.items():
        if key not in defaults:
            continue  # unknown fields are ignored: a newer client must not break this server
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
    """A document read from disk: completed with defaults and validated (InvalidInput if not).

    A file written before pins were per model keeps its `routing.provider` as its model's pin.
    """
    completed = merge(DEFAULTS, document, DEFAULTS)
    pins = document.get(PINS_FIELD)
    completed[PINS_FIELD] = dict(pins) if isinstance(pins, dict) else {}
    routing = document.get("routing")
    legacy_pin = routing.get("provider") if isinstance(routing, dict) else None
    if isinstance(legacy_pin, str):
        completed[PINS_FIELD].setdefault(completed["modelId"], legacy_pin)
    parse(completed)
    completed["routing"]["provider"] = None  # the file keeps pins per model only
    return completed


class SettingsStore:
    """The settings in force: the file, this session's editor layers and explicit updates."""

    def __init__(self, folder: Path, warn: Callable[[str], None]) -> None:
        self._file = SettingsFile(folder, warn, validate=_complete)
        self._persisted: dict[str, Any] = self._load()
        self._initialization: Leaves = {}  # layer 3
        self._workspace: Leaves = {}  # layer 4
        self._explicit: set[FieldPath] = set()  # layer 5: paths whose file value wins
        self.current: Settings = self._resolve(self._persisted, self._explicit)

    def reload_if_changed(self) -> bool:
        """Pick up a file another server process (another editor window) wrote; True if it did."""
        if not self._file.changed():
            return False
        self._persisted = self._load()
        previous, self.current = self.current, self._resolve(self._persisted, self._explicit)
        return self.current != previous

    def _load(self) -> dict[str, Any]:
        # An unusable file has been moved aside (and the user told): defaults are in force.
        document = self._file.read()
        return document if document is not None else _complete({})

    def _document(self, persisted: dict[str, Any], explicit: set[FieldPath]) -> dict[str, Any]:
        """The layers as one document, pins aside."""
        in_file = leaves(persisted, DEFAULTS)
        explicit_layer = {path: in_file[path] for path in explicit if path in in_file}
        return document_of(persisted, self._initialization, self._workspace, explicit_layer)

    def _resolve(self, persisted: dict[str, Any], explicit: set[FieldPath]) -> Settings:
        document = self._document(persisted, explicit)
        editor_pinned = PIN_PATH in self._initialization or PIN_PATH in self._workspace
        if PIN_PATH in explicit or not editor_pinned:
            document["routing"]["provider"] = persisted[PINS_FIELD].get(document["modelId"])
        return parse(document)

    def _patched(
        self, base: dict[str, Any], patch: dict[str, Any]
    ) -> tuple[dict[str, Any], set[FieldPath], Settings]:
        """The file document, explicit paths and settings in force after `patch`; InvalidInput
        naming every bad field (nothing changes then)."""
        candidate = merge(base, patch, DEFAULTS)
        candidate[PINS_FIELD] = dict(base[PINS_FIELD])
        parse(candidate)  # every field, the new pin included, before anything changes
        set_now, reset = set(leaves(patch, DEFAULTS)), nulled(patch, DEFAULTS)
        explicit = (self._explicit | set_now) - reset
        if PIN_PATH in set_now or PIN_PATH in reset:
            model_id = self._document(candidate, explicit)["modelId"]
            pins = candidate[PINS_FIELD]
            pins.pop(model_id, None)  # re-inserted last: the oldest pins go first past the cap
            if (tag := candidate["routing"]["provider"]) is not None:
                pins[model_id] = tag
            candidate[PINS_FIELD] = dict(list(pins.items())[-MAX_PINS:])
        candidate["routing"]["provider"] = None
        return candidate, explicit, self._resolve(candidate, explicit)

    def preview(self, patch: dict[str, Any]) -> Settings:
        """The settings in force after `update(patch)`; InvalidInput naming every bad field."""
        return self._patched(self._persisted, patch)[2]

    def update(self, patch: dict[str, Any]) -> Settings:
        """Merge into the latest file, validate the whole result, persist; nothing changes when
        anything is invalid."""
        outcome: list[tuple[set[FieldPath], Settings]] = []

        def apply(on_disk: dict[str, Any] | None) -> dict[str, Any]:
            # The latest on disk: another process sharing the folder may have written.
            document, explicit, settings = self._patched(on_disk or _complete({}), patch)
            outcome.append((explicit, settings))
            return document

        self._persisted = self._file.update(apply)
        self._explicit, self.current = outcome[-1]
        return self.current

    def set_editor_layers(
        self, initialization: dict[str, Any], workspace: dict[str, Any]
    ) -> list[FieldError]:
        """This session's editor configuration (layers 3 and 4): each field is checked on its
        own; invalid or forbidden ones are returned and skipped. A field whose editor value
        changed takes over from an explicit update of that field."""
        errors: list[FieldError] = []
        accepted: list[Leaves] = []
        for document in (initialization, workspace):
            layer: Leaves = {}
            for path, value in leaves(document, DEFAULTS).items():
                name = ".".join(path)
                if path in EDITOR_FORBIDDEN:
                    errors.append(FieldError(name, "can only be set by an explicit update"))
                    continue
                try:
                    parse(document_of(self._persisted, *accepted, layer, {path: value}))
                except InvalidInput as exc:
                    errors.extend(exc.errors)
                    continue
                layer[path] = value
            accepted.append(layer)
        new_initialization, new_workspace = accepted
        before = (self._initialization, self._workspace)
        changed = {
            path
            for path in {*new_initialization, *new_workspace, *before[0], *before[1]}
            if (new_initialization.get(path), new_workspace.get(path))
            != (before[0].get(path), before[1].get(path))
        }
        self._explicit -= changed
        self._initialization, self._workspace = new_initialization, new_workspace
        self.current = self._resolve(self._persisted, self._explicit)
        return errors
