"""The account's credits: `GET /credits` (`total_credits`, `total_usage`).

The 2026 spec says /credits wants a management key; an ordinary key may be refused (401/403).
A refusal is not an error for the caller: the balance is then unknown (None), and a key with a
spending limit has its own balance anyway (`limit_remaining` from /key).
"""

from __future__ import annotations

import logging

import attrs

from ..errors import UpstreamError
from .client import get_json
from .numbers import finite_number

log = logging.getLogger(__name__)


@attrs.frozen
class Credits:
    total_credits: float
    total_usage: float

    @property
    def remaining(self) -> float:
        return self.total_credits - self.total_usage


def parse_credits(payload: object) -> Credits | None:
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict):
        return None
    total = finite_number(data.get("total_credits"), "total_credits", minimum=0.0)
    used = finite_number(data.get("total_usage"), "total_usage", minimum=0.0)
    if total is None or used is None:
        return None
    return Credits(total_credits=total, total_usage=used)


async def fetch_credits(base_url: str, api_key: str) -> Credits | None:
    """The account's credits, or None when the service refuses them to this key or sends
    something unusable; other failures (network, 5xx) raise UpstreamError."""
    try:
        payload = await get_json(base_url, "/credits", api_key)
    except UpstreamError as exc:
        if exc.detail.status in (401, 403, 404):
            log.info("/credits unavailable to this key (%s)", exc.detail.status)
            return None
        raise
    return parse_credits(payload)
