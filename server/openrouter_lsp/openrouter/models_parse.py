"""OpenRouter's catalogue JSON -> `ModelInfo` / `ProviderEndpoint` (prices per million tokens)."""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from typing import Any

from ..protocol import ModelInfo, Pricing, ProviderEndpoint
from .numbers import MAX_MAGNITUDE, finite_number, whole_number

PER_MILLION = Decimal(1_000_000)


def price_per_million(value: object) -> float | None:
    """A per-token decimal string as USD per million tokens; None when absent or "variable" (<0)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    if amount < 0 or not amount.is_finite():
        return None
    per_million = float(amount * PER_MILLION)  # a finite Decimal can still overflow a float
    if not math.isfinite(per_million) or per_million > MAX_MAGNITUDE:
        return None
    return per_million


def parse_pricing(raw: object) -> Pricing:
    prices = raw if isinstance(raw, dict) else {}
    return Pricing(
        prompt=price_per_million(prices.get("prompt")),
        completion=price_per_million(prices.get("completion")),
        cache_read=price_per_million(prices.get("input_cache_read")),
        cache_write=price_per_million(prices.get("input_cache_write")),
    )


def _count(value: object, what: str) -> int | None:
    """A token count from the catalogue: a whole number, else absent (reason logged)."""
    return whole_number(value, what)


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str_list(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


# The efforts `reasoning.effort` takes (the OpenAPI `ReasoningEffort` enum, null aside).
KNOWN_EFFORTS = ("max", "xhigh", "high", "medium", "low", "minimal", "none")


def _supported_efforts(reasoning: dict[str, Any]) -> list[str] | None:
    """The catalogue's allowlist of efforts; None when it gives none (every effort accepted)."""
    efforts = reasoning.get("supported_efforts")
    if not isinstance(efforts, list):
        return None
    return list(dict.fromkeys(e for e in efforts if isinstance(e, str) and e in KNOWN_EFFORTS))


def parse_model(raw: dict[str, Any]) -> ModelInfo | None:
    model_id = raw.get("id")
    if not isinstance(model_id, str) or not model_id:
        return None
    architecture = _object(raw.get("architecture"))
    top = _object(raw.get("top_provider"))
    pricing = parse_pricing(raw.get("pricing"))
    modalities = _str_list(architecture.get("input_modalities"))
    parameters = _str_list(raw.get("supported_parameters"))
    caching = bool(pricing.cache_read) or bool(pricing.cache_write)
    reasoning = _object(raw.get("reasoning"))
    return ModelInfo(
        id=model_id,
        name=str(raw.get("name") or model_id),
        description=str(raw.get("description") or ""),
        context_length=_count(raw.get("context_length"), "context_length")
        or _count(top.get("context_length"), "top_provider.context_length"),
        max_completion_tokens=_count(
            top.get("max_completion_tokens"), "top_provider.max_completion_tokens"
        ),
        pricing=pricing,
        input_modalities=modalities,
        supports_images="image" in modalities,
        supports_reasoning="reasoning" in parameters or "include_reasoning" in parameters,
        supports_prompt_caching=caching,
        supported_parameters=parameters,
        is_free=model_id.endswith(":free") or (pricing.prompt == 0 and pricing.completion == 0),
        supported_efforts=_supported_efforts(reasoning),
        reasoning_mandatory=reasoning.get("mandatory") is True,
    )


def parse_endpoint(raw: dict[str, Any]) -> ProviderEndpoint | None:
    provider_name = raw.get("provider_name")
    tag = raw.get("tag")
    if not isinstance(tag, str) or not tag:
        tag = provider_name.lower() if isinstance(provider_name, str) else None
    if not tag:
        return None
    uptime = raw.get("uptime_last_30m")
    quantization = raw.get("quantization")
    return ProviderEndpoint(
        tag=tag,
        name=str(raw.get("name") or tag),
        provider_name=str(provider_name or tag),
        context_length=_count(raw.get("context_length"), "endpoint context_length"),
        max_completion_tokens=_count(
            raw.get("max_completion_tokens"), "endpoint max_completion_tokens"
        ),
        quantization=quantization if isinstance(quantization, str) else None,
        status=whole_number(raw.get("status"), "endpoint status", minimum=-MAX_MAGNITUDE),
        uptime_last30m=(
            finite_number(uptime, "endpoint uptime_last_30m", minimum=0.0)
            if isinstance(uptime, (int, float))
            else None
        ),
        pricing=parse_pricing(raw.get("pricing")),
    )


def parse_endpoints(payload: object) -> list[ProviderEndpoint]:
    data = payload.get("data") if isinstance(payload, dict) else None
    endpoints = data.get("endpoints") if isinstance(data, dict) else None
    if not isinstance(endpoints, list):
        raise ValueError("the endpoints answer has no `data.endpoints` array")
    parsed = [parse_endpoint(item) for item in endpoints if isinstance(item, dict)]
    return [e for e in parsed if e is not None]
