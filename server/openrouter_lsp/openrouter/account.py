"""The account behind the API key: `GET /key` (`/auth/key` on older deployments)."""

from __future__ import annotations

from ..errors import UpstreamError
from ..protocol import AccountInfo
from .client import get_json
from .numbers import finite_number


def parse_account(payload: object) -> AccountInfo:
    data = payload.get("data") if isinstance(payload, dict) else None
    data = data if isinstance(data, dict) else {}
    label = data.get("label")
    free = data.get("is_free_tier")
    return AccountInfo(
        label=label if isinstance(label, str) else None,
        limit=finite_number(data.get("limit"), "key limit"),
        usage=finite_number(data.get("usage"), "key usage"),
        limit_remaining=finite_number(data.get("limit_remaining"), "key limit_remaining"),
        is_free_tier=free if isinstance(free, bool) else None,
    )


async def fetch_account(base_url: str, api_key: str) -> AccountInfo:
    """The key's label, credit limit and usage; UpstreamError on failure."""
    try:
        payload = await get_json(base_url, "/key", api_key)
    except UpstreamError as exc:
        if exc.detail.status != 404:
            raise
        payload = await get_json(base_url, "/auth/key", api_key)  # older deployments
    return parse_account(payload)
