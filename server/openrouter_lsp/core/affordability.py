"""Before sending: can the known balance pay for the request's worst case?

The worst case is what OpenRouter itself reserves: the prompt (estimated by
`chat_content.estimate_tokens`, the rule the context check uses) and every output token the
request allows (`max_tokens` as sent, else the model's max completion tokens, else what the
context leaves), at the model's catalogue prices. Free models and models without a fixed price
are never refused. The advice is possible by construction: a smaller output limit only when at
least one output token fits, else add credits.
"""

from __future__ import annotations

import math

from ..errors import UpstreamError, upstream_error
from ..protocol import ChatParams, ModelInfo
from .chat_content import estimate_tokens

PER_MILLION = 1_000_000.0
CREDITS_URL = "https://openrouter.ai/settings/credits"


def prompt_tokens_estimate(params: ChatParams) -> int:
    """The one prompt estimate the context check uses too (`chat_content.estimate_tokens`)."""
    return estimate_tokens(params)


def output_limit(max_tokens: int | None, model: ModelInfo, prompt_tokens: int) -> int | None:
    """The most output tokens the request allows: as sent, else the model's limit, else what its
    context leaves after the prompt; None when nothing bounds it."""
    if max_tokens is not None:
        return max_tokens
    if model.max_completion_tokens is not None:
        return model.max_completion_tokens
    if model.context_length is not None:
        return max(0, model.context_length - prompt_tokens)
    return None


def usd(amount: float) -> str:
    """$12.35, $0.0042, $0.000012: cents for a person, enough digits for a small amount."""
    if amount >= 0.01:
        return f"${amount:,.2f}"
    text = f"{amount:.8f}".rstrip("0").rstrip(".")
    return f"${text}" if text != "0" else "$0"


def check_affordable(
    balance: float, params: ChatParams, model: ModelInfo, max_tokens: int | None
) -> UpstreamError | None:
    """The "insufficient_credits" error when `balance` (USD) cannot pay the worst case of
    sending `params` to `model` with `max_tokens` (as the body will carry it); else None."""
    prices = model.pricing
    if model.is_free or prices.prompt is None or prices.completion is None:
        return None
    prompt_tokens = prompt_tokens_estimate(params)
    output = output_limit(max_tokens, model, prompt_tokens) or 0
    prompt_cost = prompt_tokens * prices.prompt / PER_MILLION
    output_price = prices.completion / PER_MILLION
    worst = prompt_cost + output * output_price
    if not math.isfinite(worst) or worst <= balance:
        return None
    affordable = math.floor((balance - prompt_cost) / output_price) if output_price > 0 else 0
    if 1 <= affordable < output:
        advice = (
            f"Lower the output limit to {affordable:,} tokens or fewer (maxTokens, or the "
            f"maxOutputTokens setting), or add credits at {CREDITS_URL}."
        )
    else:
        advice = f"Add credits at {CREDITS_URL}."
    message = (
        f"This request to {model.id[:80]} could cost up to {usd(worst)} (about "
        f"{prompt_tokens:,} prompt tokens at {usd(prices.prompt)}/M and up to {output:,} output "
        f"tokens at {usd(prices.completion)}/M), but the account has {usd(max(balance, 0.0))} "
        f"left. {advice}"
    )
    return upstream_error("insufficient_credits", message)
