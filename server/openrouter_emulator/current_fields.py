"""Fields the current OpenRouter API sends that the captured fixtures predate.

The catalogue snapshot (2026-06) and the gpt-4o endpoints sample are real, but the official SDKs
(generated from the later OpenAPI description) require a few newer fields: a model's `reasoning`
object, and per endpoint `supports_tool_choice`, `native_tools`, `service_tier`,
`supports_diarization`, `supports_voice_cloning`. The emulator derives them from what the
capture does say (a model's supported parameters), never inventing prices or limits; values are
documented in docs/openrouter-behaviour.md.
"""

from __future__ import annotations

import re
from typing import Any

# Names in a model id that mark a reasoning-only model (its reasoning cannot be turned off).
_REASONING_ONLY = re.compile(r"thinking|reasoning|-r1\b|/o\d|deepseek-r|qwq|-pro\b", re.I)
_EFFORTS_OPENAI = ["xhigh", "high", "medium", "low", "minimal"]
_EFFORTS_OTHER = ["high", "medium", "low"]
# Authors whose APIs take a reasoning token budget (`reasoning.max_tokens`) as well as an effort.
_BUDGET_AUTHORS = frozenset({"anthropic", "google", "qwen", "x-ai"})


def author_of(model_id: str) -> str:
    return model_id.split("/", 1)[0].lstrip("~")


def reasoning_metadata(model: dict[str, Any]) -> dict[str, Any] | None:
    """The model's `reasoning` object (2026 spec `ModelReasoning`), None for a model without
    the `reasoning` parameter. Mandatory: no `temperature` (OpenAI's reasoning models) or a
    reasoning-only name."""
    params = model.get("supported_parameters") or []
    if "reasoning" not in params:
        return None
    model_id = str(model.get("id", ""))
    mandatory = "temperature" not in params or bool(_REASONING_ONLY.search(model_id))
    author = author_of(model_id)
    efforts = list(_EFFORTS_OPENAI if author == "openai" else _EFFORTS_OTHER)
    if not mandatory:
        efforts.append("none")
    return {
        "supported_efforts": efforts,
        "default_effort": "medium",
        "default_enabled": mandatory,
        "mandatory": mandatory,
        "supports_max_tokens": author in _BUDGET_AUTHORS,
    }


def with_reasoning(model: dict[str, Any]) -> dict[str, Any]:
    """A catalogue entry with its `reasoning` object (the captured one wins if present)."""
    metadata = reasoning_metadata(model)
    if metadata is None or "reasoning" in model:
        return model
    return {**model, "reasoning": metadata}


def endpoint_fields(supported_parameters: list[str]) -> dict[str, Any]:
    """Per-endpoint fields of the current API that the captures lack."""
    choice = "tool_choice" in supported_parameters
    return {
        "supports_tool_choice": {"auto": choice, "none": choice, "required": choice,
                                 "function": choice},
        "supports_voice_cloning": False,
        "supports_diarization": False,
        "native_tools": {},
        "service_tier": None,
    }


def complete_endpoint(endpoint: dict[str, Any]) -> dict[str, Any]:
    """A captured endpoint with the current fields it lacks (captured values win)."""
    added = endpoint_fields(list(endpoint.get("supported_parameters") or []))
    return {**added, **endpoint}
