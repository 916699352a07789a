"""What the account can still spend: fetched (`/key` and `/credits` together), remembered for the
key and base URL it belongs to, and refreshed in the background after each chat.

The balance is the key's `limit_remaining` when the key has a spending limit, else the account's
`total_credits - total_usage`; with both known, the smaller (either one stops a request). A chat
never waits for a balance: the worst-case check before sending (`affordability.py`) uses the
one remembered here, and the refresh after a chat runs once the chat's result is on its way.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from datetime import datetime, timezone

import attrs

from ..errors import UpstreamError
from ..protocol import AccountInfo
from .background import Background

log = logging.getLogger(__name__)


def key_digest(api_key: str) -> str:
    """What the balance and the key's verdict are remembered by: never the key itself."""
    return hashlib.sha256(api_key.encode("utf-8", "surrogatepass")).hexdigest()


async def fetch_balance(base_url: str, api_key: str) -> AccountInfo:
    """The key's account with its balance; UpstreamError when `/key` fails (a failure of
    `/credits` leaves the credits unknown)."""
    from ..openrouter.account import fetch_account
    from ..openrouter.credits import fetch_credits

    account_task = asyncio.ensure_future(fetch_account(base_url, api_key))
    credits_task = asyncio.ensure_future(fetch_credits(base_url, api_key))
    try:
        account = await account_task
    except BaseException:
        credits_task.cancel()
        raise
    try:
        credits = await credits_task
    except UpstreamError as exc:
        log.info("/credits failed (%s); the balance comes from the key alone", exc.kind)
        credits = None
    info = attrs.evolve(account, checked_at=datetime.now(timezone.utc).isoformat())
    if credits is not None:
        info.total_credits = credits.total_credits
        info.total_usage = credits.total_usage
    if account.limit is not None and account.limit_remaining is not None:
        info.balance_usd, info.balance_source = account.limit_remaining, "key_limit"
        if credits is not None and credits.remaining < account.limit_remaining:
            info.balance_usd, info.balance_source = credits.remaining, "credits"
    elif credits is not None:
        info.balance_usd, info.balance_source = credits.remaining, "credits"
    return info


class BalanceKeeper:
    def __init__(self, background: Background, announce: Callable[[AccountInfo], None]) -> None:
        """`announce`: the account after a background refresh (`openrouter/account/didChange`)."""
        self._background = background
        self._announce = announce
        self._owner: tuple[str, str] | None = None  # (base URL, key digest) of `_info`
        self._info: AccountInfo | None = None
        self._pending: tuple[str, str] | None = None  # the next background refresh's target
        self._refreshing = False

    def known(self, base_url: str, api_key: str) -> AccountInfo | None:
        """The balance last fetched for this key and base URL, or None."""
        if self._owner != (base_url, key_digest(api_key)):
            return None
        return self._info

    def remember(self, base_url: str, api_key: str, info: AccountInfo) -> None:
        self._owner, self._info = (base_url, key_digest(api_key)), info

    async def fetch(self, base_url: str, api_key: str) -> AccountInfo:
        info = await fetch_balance(base_url, api_key)
        self.remember(base_url, api_key, info)
        return info

    def refresh_soon(self, base_url: str, api_key: str) -> None:
        """Fetch the balance in the background (after `BALANCE_SETTLE`) and announce it; chats
        that end while one refresh runs are covered by one more refresh after it."""
        self._pending = (base_url, api_key)
        if not self._refreshing:
            self._refreshing = self._background.spawn(self._refresh(), "balance refresh")

    async def _refresh(self) -> None:
        from ..openrouter.limits import BALANCE_SETTLE

        try:
            while self._pending is not None:
                await asyncio.sleep(BALANCE_SETTLE.value())
                (base_url, api_key), self._pending = self._pending, None
                try:
                    info = await self.fetch(base_url, api_key)
                except UpstreamError as exc:
                    log.info("Balance refresh failed (%s)", exc.kind)
                    continue
                self._announce(info)
        finally:
            self._refreshing = False
