"""What a chat cost: OpenRouter's own figure when the stream gives one, else the model's prices.

The big extensions double-count here: `usage.cost` already includes OpenRouter's charge, and
`cost_details.upstream_inference_cost` is the same inference seen from the provider's side. Only
with BYOK (`is_byok`) is the upstream cost billed separately (to the user's own provider key),
so only then does it add to `cost`.
"""

from __future__ import annotations

import math
from typing import Any

from ..protocol import ChatUsage, Pricing
from .numbers import finite_number, whole_number

PER_MILLION = 1_000_000.0


def usage_from_stream(raw: dict[str, Any] | None) -> ChatUsage:
    """The `usage` object of the last chunk as a ChatUsage (cost from the stream only)."""
    if not raw:
        return ChatUsage()
    prompt_details = raw.get("prompt_tokens_details")
    prompt_details = prompt_details if isinstance(prompt_details, dict) else {}
    completion_details = raw.get("completion_tokens_details")
    completion_details = completion_details if isinstance(completion_details, dict) else {}
    return ChatUsage(
        prompt_tokens=whole_number(raw.get("prompt_tokens"), "usage.prompt_tokens"),
        completion_tokens=whole_number(raw.get("completion_tokens"), "usage.completion_tokens"),
        cached_tokens=whole_number(
            prompt_details.get("cached_tokens"), "usage.prompt_tokens_details.cached_tokens"
        ),
        cache_write_tokens=whole_number(
            prompt_details.get("cache_write_tokens"),
            "usage.prompt_tokens_details.cache_write_tokens",
        ),
        reasoning_tokens=whole_number(
            completion_details.get("reasoning_tokens"),
            "usage.completion_tokens_details.reasoning_tokens",
        ),
        cost_usd=stream_cost(raw),
    )


def stream_cost(raw: dict[str, Any]) -> float | None:
    """`usage.cost`, plus the upstream inference cost when the user's own key paid it (BYOK)."""
    cost = finite_number(raw.get("cost"), "usage.cost", minimum=0.0)
    if cost is None:
        return None
    if raw.get("is_byok") is True:
        details = raw.get("cost_details")
        upstream = (
            finite_number(
                details.get("upstream_inference_cost"),
                "usage.cost_details.upstream_inference_cost",
                minimum=0.0,
            )
            if isinstance(details, dict)
            else None
        )
        if upstream is not None:
            cost += upstream
    return cost


def cost_from_prices(usage: ChatUsage, pricing: Pricing) -> float | None:
    """The sum of tokens times price per token: cached prompt tokens at the cache-read price,
    cache writes at the cache-write price (each the prompt price when the model has none).
    None when the token counts or the base prices are unknown."""
    if usage.prompt_tokens is None or usage.completion_tokens is None:
        return None
    if pricing.prompt is None or pricing.completion is None:
        return None
    cached = usage.cached_tokens or 0
    written = usage.cache_write_tokens or 0
    fresh = max(0, usage.prompt_tokens - cached - written)
    read_price = pricing.cache_read if pricing.cache_read is not None else pricing.prompt
    write_price = pricing.cache_write if pricing.cache_write is not None else pricing.prompt
    total = (
        fresh * pricing.prompt
        + cached * read_price
        + written * write_price
        + usage.completion_tokens * pricing.completion
    )
    cost = total / PER_MILLION
    # Token counts and prices are each bounded, but their products may still overflow.
    return cost if math.isfinite(cost) else None
