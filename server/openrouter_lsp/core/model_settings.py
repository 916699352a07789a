"""The settings that depend on the model: `reasoningEffort` and `maxOutputTokens`.

One rule each, used twice:

- `openrouter/settings/update` refuses a value the model in force cannot take, naming the field,
  when the patch sets that field and the catalogue knows the model (`Core.update_settings`);
- a request fits the settings to the model it goes to (`for_model`), because the model can change
  after the value was accepted.

Changing the model never fails because of these settings, and never rewrites them: an effort the
new model lacks is left out of its requests (its own default effort applies; the log says so) and
comes back with a model that has it, the way a provider pin comes back with its model — a user who
tries another model and returns finds their choice intact. A `maxOutputTokens` above the new
model's limit is sent as that limit.
"""

from __future__ import annotations

import logging

import attrs

from ..protocol import ChatParams, ModelInfo, Settings

log = logging.getLogger(__name__)


def effort_problem(effort: str, model: ModelInfo) -> str | None:
    """Why `model` cannot take the reasoning effort `effort`, or None when it can."""
    if effort == "default":
        return None
    if not model.supports_reasoning:
        return f'{model.id[:80]} does not reason; only "default" applies to it'
    if effort == "none" and model.reasoning_mandatory:
        return f"{model.id[:80]} always reasons: its reasoning cannot be turned off"
    efforts = model.supported_efforts
    if efforts is not None and effort not in efforts:
        listed = ", ".join(f'"{e}"' for e in ["default", *efforts])
        return f'{model.id[:80]} does not support the effort "{effort}"; it takes {listed}'
    return None


def max_output_problem(tokens: int, model: ModelInfo) -> str | None:
    limit = model.max_completion_tokens
    if limit is not None and tokens > limit:
        return f"must be at most {limit:,} for {model.id[:80]} (its max completion tokens)"
    return None


def for_model(settings: Settings, model: ModelInfo | None, params: ChatParams) -> Settings:
    """The settings a request to `model` (its catalogue entry, None when unknown) is built from:
    an effort it cannot take is left out, `maxOutputTokens` capped at its limit."""
    if settings.provider != "openrouter":
        return settings  # neither is sent to an OpenAI-compatible server
    model_id = params.model_id or settings.model_id
    effort = settings.reasoning_effort
    if effort != "default":
        problem = "unknown to the catalogue" if model is None else effort_problem(effort, model)
        if problem is not None:
            log.info('reasoningEffort "%s" left out (%s): %s', effort, model_id, problem)
            settings = attrs.evolve(settings, reasoning_effort="default")
    tokens = settings.max_output_tokens
    if params.max_tokens is None and tokens is not None and model is not None:
        limit = model.max_completion_tokens
        if limit is not None and tokens > limit:
            log.info("maxOutputTokens %d sent as %d, the limit of %s", tokens, limit, model_id)
            settings = attrs.evolve(settings, max_output_tokens=limit)
    return settings
