"""OpenRouter's catalogue JSON -> `ModelInfo` / `ProviderEndpoint` (prices per million tokens)."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from ..protocol import ModelInfo, Pricing, ProviderEndpoint
from .numbers import MAX_MAGNITUDE, finite_number, whole_number

PER_MILLION = Decimal(1_000_000)
# The gateway's reasoning efforts, highest first: what a reasoning model without an allowlist
# (no `reasoning.supported_efforts`) accepts.
ALL_EFFORTS = ["xhigh", "high", "medium", "low", "minimal", "none"]
_MAX_EFFORT_CHARS = 32
_MAX_EFFORTS = 16
VARIABLE_PRICE_NOTE = (
    "No fixed price: a request costs what the model it is routed to costs "
    "(the activity log shows which model served it)."
)


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


def _is_negative(value: object) -> bool:
    """OpenRouter marks a price that depends on the routed model with "-1"."""
    if value is None or isinstance(value, bool):
        return False
    try:
        return Decimal(str(value)) < 0
    except InvalidOperation:
        return False


def _effort(value: object) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= _MAX_EFFORT_CHARS else None


def _created(value: object) -> str | None:
    seconds = whole_number(value, "created")
    if seconds is None:
        return None
    try:
        return datetime.fromtimestamp(seconds, tz=timezone.utc).isoformat()
    except (OverflowError, OSError, ValueError):
        return None


def _reasoning(
    raw: object, parameters: list[str]
) -> tuple[bool, list[str], str | None, bool]:
    """(supports reasoning, supported efforts, default effort, mandatory): from the catalogue's
    `reasoning` object when present, else from the supported parameters."""
    metadata = raw if isinstance(raw, dict) else None
    supports = "reasoning" in parameters or "include_reasoning" in parameters
    if metadata is None:
        return supports, list(ALL_EFFORTS) if supports else [], None, False
    listed = metadata.get("supported_efforts")
    efforts = (
        [e for e in (_effort(v) for v in listed) if e is not None][:_MAX_EFFORTS]
        if isinstance(listed, list)
        else list(ALL_EFFORTS)  # null: no allowlist, every effort is accepted
    )
    mandatory = metadata.get("mandatory") is True
    return True, efforts, _effort(metadata.get("default_effort")), mandatory


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
    reasons, efforts, default_effort, mandatory = _reasoning(raw.get("reasoning"), parameters)
    raw_prices = _object(raw.get("pricing"))
    variable = _is_negative(raw_prices.get("prompt")) or _is_negative(raw_prices.get("completion"))
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
        output_modalities=_str_list(architecture.get("output_modalities")),
        supports_images="image" in modalities,
        supports_tools="tools" in parameters,
        supports_reasoning=reasons,
        supported_efforts=efforts,
        default_effort=default_effort,
        reasoning_mandatory=mandatory,
        supports_prompt_caching=caching,
        supported_parameters=parameters,
        is_free=model_id.endswith(":free") or (pricing.prompt == 0 and pricing.completion == 0),
        created=_created(raw.get("created")),
        variable_pricing=variable,
        pricing_note=VARIABLE_PRICE_NOTE if variable else None,
    )


def parse_endpoint(raw: dict[str, Any]) -> ProviderEndpoint | None:
    provider_name = raw.get("provider_name")
    tag = raw.get("tag")
    if not isinstance(tag, str) or not tag:
        tag = provider_name.lower() if isinstance(provider_name, str) else None
    if not tag:
        return None
    uptime = raw.get("uptime_last_30m")
    uptime_1d = raw.get("uptime_last_1d")
    quantization = raw.get("quantization")
    implicit = raw.get("supports_implicit_caching")
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
        uptime_last1d=(
            finite_number(uptime_1d, "endpoint uptime_last_1d", minimum=0.0)
            if isinstance(uptime_1d, (int, float))
            else None
        ),
        latency_p50=_median(raw.get("latency_last_30m"), "endpoint latency_last_30m"),
        throughput_p50=_median(raw.get("throughput_last_30m"), "endpoint throughput_last_30m"),
        supports_implicit_caching=implicit if isinstance(implicit, bool) else None,
        pricing=parse_pricing(raw.get("pricing")),
    )


def _median(stats: object, what: str) -> float | None:
    """`p50` of a percentile object (`PercentileStats`); None when absent (unauthenticated)."""
    value = stats.get("p50") if isinstance(stats, dict) else None
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    return finite_number(value, f"{what}.p50", minimum=0.0)


def parse_endpoints(payload: object) -> list[ProviderEndpoint]:
    data = payload.get("data") if isinstance(payload, dict) else None
    endpoints = data.get("endpoints") if isinstance(data, dict) else None
    if not isinstance(endpoints, list):
        raise ValueError("the endpoints answer has no `data.endpoints` array")
    parsed = [parse_endpoint(item) for item in endpoints if isinstance(item, dict)]
    return [e for e in parsed if e is not None]
