"""`GET /key`: the account behind the API key (label, limit, usage, free tier)."""

from __future__ import annotations

from ..errors import UpstreamError
from ..protocol import AccountInfo
from .client import get_json


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def parse_account(payload: object) -> AccountInfo:
    data = payload.get("data") if isinstance(payload, dict) else None
    data = data if isinstance(data, dict) else {}
    label = data.get("label")
    free = data.get("is_free_tier")
    return AccountInfo(
        label=label if isinstance(label, str) else None,
        limit=_number(data.get("limit")),
        usage=_number(data.get("usage")),
        limit_remaining=_number(data.get("limit_remaining")),
        is_free_tier=free if isinstance(free, bool) else None,
    )


async def fetch_account(base_url: str, api_key: str) -> AccountInfo:
    try:
        payload = await get_json(base_url, "/key", api_key)
    except UpstreamError as exc:
        if exc.detail.status != 404:
            raise
        payload = await get_json(base_url, "/auth/key", api_key)  # older deployments
    return parse_account(payload)
