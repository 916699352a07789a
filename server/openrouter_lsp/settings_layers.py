"""Where each setting's value comes from: five layers, resolved per field path.

Lowest first — the one place this order and the `null` rule are written down:

1. defaults (`protocol.Settings`);
2. the settings file (`settings.json`, shared by every editor window using the state folder);
3. `initializationOptions` (this session);
4. the `openrouter` section of `workspace/configuration` (this session; re-read on
   `workspace/didChangeConfiguration`);
5. explicit updates made in this session (`openrouter/settings/update`, the
   `openrouter.updateSettings` / `openrouter.chooseModel` commands, the panel). They are saved in
   the file and, for the fields they name, win over 3 and 4 until the editor configuration
   changes that same field again: the newest intention wins.

Resolution is per field path (`routing.sort`): a layer that sets one field never hides another
layer's value for a different field. The one `null` rule: `null` means "this layer does not set
this field". In editor configuration it is skipped; in an explicit update it removes the field
from the file and from layer 5, so the value falls back to the editor configuration, else the
default. Editor configuration never sets `useCustomBaseUrl`/`customBaseUrl` (where requests, and
so the key, go): a cloned repository's workspace settings cannot redirect the key.

A provider pin belongs to the model it was chosen for: the file keeps `providerPins`
(`{modelId: tag}`), and its `routing.provider` is the pin of the effective model — so switching
models brings back the pin chosen for that model, or none.
"""

from __future__ import annotations

from typing import Any

FieldPath = tuple[str, ...]
Leaves = dict[FieldPath, Any]

PIN_PATH: FieldPath = ("routing", "provider")
PINS_FIELD = "providerPins"
# Fields editor configuration may not set.
EDITOR_FORBIDDEN: frozenset[FieldPath] = frozenset({("useCustomBaseUrl",), ("customBaseUrl",)})


def leaves(document: dict[str, Any], shape: dict[str, Any], prefix: FieldPath = ()) -> Leaves:
    """The fields `document` sets, by path, following `shape` (the defaults): unknown fields,
    `null`s and `providerPins` (not a plain field) are left out."""
    found: Leaves = {}
    for key, value in document.items():
        if key not in shape or value is None or (not prefix and key == PINS_FIELD):
            continue
        path = (*prefix, key)
        if isinstance(shape[key], dict):
            if isinstance(value, dict):
                found.update(leaves(value, shape[key], path))
            else:
                found[path] = value  # the wrong type: validation names the field
        else:
            found[path] = value
    return found


def nulled(patch: dict[str, Any], shape: dict[str, Any], prefix: FieldPath = ()) -> set[FieldPath]:
    """The paths a patch resets with `null` (a `null` object resets every field in it)."""
    reset: set[FieldPath] = set()
    for key, value in patch.items():
        if key not in shape:
            continue
        path = (*prefix, key)
        if value is None and isinstance(shape[key], dict):
            reset.update(leaves_of_shape(shape[key], path))
        elif value is None:
            reset.add(path)
        elif isinstance(value, dict) and isinstance(shape[key], dict):
            reset.update(nulled(value, shape[key], path))
    return reset


def leaves_of_shape(shape: dict[str, Any], prefix: FieldPath) -> set[FieldPath]:
    paths: set[FieldPath] = set()
    for key, value in shape.items():
        path = (*prefix, key)
        paths.update(leaves_of_shape(value, path) if isinstance(value, dict) else {path})
    return paths


def document_of(base: dict[str, Any], *layers: Leaves) -> dict[str, Any]:
    """`base` (a whole document) with each layer's fields applied in order, later winning."""
    document = _copy(base)
    for layer in layers:
        for path, value in layer.items():
            target = document
            for part in path[:-1]:
                target = target[part]
            target[path[-1]] = value
    return document


def _copy(document: dict[str, Any]) -> dict[str, Any]:
    return {k: _copy(v) if isinstance(v, dict) else v for k, v in document.items()}
