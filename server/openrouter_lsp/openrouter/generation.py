"""A chat's cost after the fact: `GET /generation?id=…`, for streams that carried no cost.

The real service answers 404 for a few seconds after a request ends, so a 404 is retried with
backoff (0.25 s doubling, at most 2 s apart) until `GENERATION_WAIT` has passed in all; any other
failure, or the bound, gives None and the caller falls back to the catalogue's prices.
"""

from __future__ import annotations

import asyncio
import logging
import time
from urllib.parse import quote

import attrs

from ..errors import UpstreamError
from .client import get_json
from .limits import GENERATION_WAIT
from .numbers import finite_number, whole_number

log = logging.getLogger(__name__)

FIRST_DELAY_S = 0.25
MAX_DELAY_S = 2.0


@attrs.frozen
class Generation:
    total_cost: float | None
    tokens_prompt: int | None
    tokens_completion: int | None
    tokens_cached: int | None
    tokens_reasoning: int | None
    model: str | None = None  # the model that served it
    provider: str | None = None  # the provider that served it


def parse_generation(payload: object) -> Generation | None:
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict):
        return None
    return Generation(
        total_cost=finite_number(data.get("total_cost"), "generation total_cost", minimum=0.0),
        tokens_prompt=whole_number(data.get("tokens_prompt"), "generation tokens_prompt"),
        tokens_completion=whole_number(
            data.get("tokens_completion"), "generation tokens_completion"
        ),
        tokens_cached=whole_number(data.get("native_tokens_cached"), "generation tokens_cached"),
        tokens_reasoning=whole_number(
            data.get("native_tokens_reasoning"), "generation tokens_reasoning"
        ),
        model=_text(data.get("model")),
        provider=_text(data.get("provider_name")),
    )


def _text(value: object) -> str | None:
    return value[:256] if isinstance(value, str) and value else None


async def fetch_generation(base_url: str, api_key: str, generation_id: str) -> Generation | None:
    """The generation's record, waiting out the service's 404s within `GENERATION_WAIT`;
    None when it cannot be had in that time."""
    bound = GENERATION_WAIT.value()
    try:
        return await asyncio.wait_for(_poll(base_url, api_key, generation_id, bound), bound)
    except asyncio.TimeoutError:
        log.info("/generation gave no record within %g s (%s)", bound, GENERATION_WAIT.env)
        return None


async def _poll(base_url: str, api_key: str, generation_id: str, bound: float) -> Generation | None:
    path = f"/generation?id={quote(generation_id, safe='')}"
    end = time.monotonic() + bound
    delay = FIRST_DELAY_S
    while True:
        try:
            return parse_generation(await get_json(base_url, path, api_key))
        except UpstreamError as exc:
            if exc.detail.status != 404:
                log.info("/generation failed (%s); using the catalogue's prices", exc.kind)
                return None
        if time.monotonic() + delay >= end:
            log.info("/generation still 404 after %g s (%s)", bound, GENERATION_WAIT.env)
            return None
        await asyncio.sleep(delay)
        delay = min(delay * 2, MAX_DELAY_S)
