"""The account routes' bodies: `/key` (and `/auth/key`) and `/credits`."""

from __future__ import annotations

from typing import Any

from .state import Config

# `:free` models: 50 requests a day, 1,000 once the account bought at least 10 credits.
FREE_DAILY_REQUESTS_FREE_TIER = 50
FREE_DAILY_REQUESTS_PAID = 1000


def mask_key(key: str) -> str:
    return f"{key[:12]}...{key[-4:]}" if len(key) > 16 else "sk-or-...****"


def key_data(key: str, config: Config, usage: float, free_requests: int) -> dict[str, Any]:
    """`GET /key`'s `data`, with every field the 2026 SDKs require."""
    limit = config.key_limit
    remaining = None if limit is None else max(0.0, limit - usage)
    budgets = [] if limit is None else [{
        "scope": "key_limit", "limit_usd": limit, "spend_usd": usage,
        "remaining_usd": limit - usage, "reset_interval": None, "resets_at": None,
        "include_byok": False, "budget_id": None, "guardrail_id": None,
    }]
    daily = FREE_DAILY_REQUESTS_FREE_TIER if config.is_free_tier else FREE_DAILY_REQUESTS_PAID
    return {
        "label": mask_key(key),
        "limit": limit,
        "limit_remaining": remaining,
        "limit_reset": None,
        "usage": usage, "usage_daily": usage, "usage_weekly": usage, "usage_monthly": usage,
        "byok_usage": 0.0, "byok_usage_daily": 0.0, "byok_usage_weekly": 0.0,
        "byok_usage_monthly": 0.0, "include_byok_in_limit": False,
        "is_free_tier": config.is_free_tier, "is_management_key": False,
        "is_provisioning_key": False, "creator_user_id": "user_emulator",
        "expires_at": None,
        "organization_id": None, "workspace_id": None,
        "allowed_data_regions": ["global"],
        "budgets": budgets,
        "effective_budget": budgets[0] if budgets else None,
        "free_model_daily_requests": {"limit": daily, "used": free_requests,
                                      "remaining": max(0, daily - free_requests)},
        "rate_limit": {"requests": -1, "interval": "10s",
                       "note": "This field is deprecated and safe to ignore."},
    }


def credits_data(config: Config, usage: float) -> dict[str, Any]:
    return {"total_credits": config.total_credits, "total_usage": usage}
