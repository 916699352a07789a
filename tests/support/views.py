"""Settings views compared as state: the key's verdict is left out.

`apiKey.verdict` is what the service said of the key, learnt in the background after the key is
set and after each chat (see README, "Key, balance and cost"); it is an observation, not state a
request sets, so "did this request change the state" comparisons leave it out.
"""

from __future__ import annotations

from typing import Any

OBSERVED_KEY_FIELDS = ("verdict", "verdictMessage")


def as_state(view: Any) -> Any:
    """`view` (a SettingsView as JSON) without the key's verdict; anything else unchanged."""
    if not isinstance(view, dict) or not isinstance(view.get("apiKey"), dict):
        return view
    key = {k: v for k, v in view["apiKey"].items() if k not in OBSERVED_KEY_FIELDS}
    return {**view, "apiKey": key}
