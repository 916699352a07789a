"""What a finished chat cost, and where that figure came from (`ChatResult.costSource`).

In order: the stream's own `usage.cost` ("stream"); else OpenRouter's `/generation` record of
the chat, fetched after the answer (it 404s for a few seconds; bounded by `GENERATION_WAIT`)
("generation"); else the tokens at the serving (or requested) model's catalogue prices
("catalogue"); else no cost (None). An OpenAI-compatible server has no `/generation`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..protocol import ChatUsage, CostSource

if TYPE_CHECKING:
    from ..openrouter.generation import Generation
    from .chat import ChatContext


async def price(
    context: ChatContext, usage: ChatUsage, generation_id: str | None, candidates: list[str | None]
) -> CostSource | None:
    """Fill `usage.cost_usd` (and token counts the stream left out) and say where it came from."""
    if usage.cost_usd is not None:
        return "stream"
    if context.settings.provider == "openrouter" and context.api_key and generation_id:
        from ..openrouter.generation import fetch_generation

        record = await fetch_generation(context.base_url, context.api_key, generation_id)
        if record is not None and record.total_cost is not None:
            _fill_tokens(usage, record)
            usage.cost_usd = record.total_cost
            return "generation"
    if usage.prompt_tokens is not None:
        usage.cost_usd = await _cost_from_catalogue(context, usage, candidates)
        if usage.cost_usd is not None:
            return "catalogue"
    return None


def _fill_tokens(usage: ChatUsage, record: Generation) -> None:
    """The stream's counts stay; the record supplies the ones it did not carry."""
    if usage.prompt_tokens is None:
        usage.prompt_tokens = record.tokens_prompt
    if usage.completion_tokens is None:
        usage.completion_tokens = record.tokens_completion
    if usage.cached_tokens is None:
        usage.cached_tokens = record.tokens_cached
    if usage.reasoning_tokens is None:
        usage.reasoning_tokens = record.tokens_reasoning


async def _cost_from_catalogue(
    context: ChatContext, usage: ChatUsage, candidates: list[str | None]
) -> float | None:
    """Price the tokens with the serving (else requested) model."""
    from ..openrouter.cost import cost_from_prices

    known = context.model
    for model_id in dict.fromkeys(c for c in candidates if c):
        model = known if known is not None and known.id == model_id else None
        if model is None:
            model = await context.find_model(model_id)
        if model is not None:
            cost = cost_from_prices(usage, model.pricing)
            if cost is not None:
                return cost
    return None
