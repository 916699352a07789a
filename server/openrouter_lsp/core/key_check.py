"""A key checked when it is set (pasted, or from the sign-in): accepted, rejected or unverified.

`openrouter/apiKey/set` answers at once with `verdict: null` (checking takes a round trip that a
slow network can stretch to `KEY_CHECK_DEADLINE`); the check runs in the background and its
verdict is announced with `openrouter/settings/didChange`. OpenRouter is asked with `GET /key`
(its balance is remembered on the way); an OpenAI-compatible server has no key endpoint, so its
key stays "unverified" until a chat shows what the server thinks of it.
"""

from __future__ import annotations

import asyncio

import attrs

from ..errors import UpstreamError
from ..protocol import AccountInfo, KeyVerdict

KEYS_URL = "https://openrouter.ai/keys"


@attrs.frozen
class Verdict:
    verdict: KeyVerdict
    message: str | None
    account: AccountInfo | None = None  # the balance fetched with the check, when accepted


def from_error(exc: UpstreamError) -> Verdict:
    """What a failed request with the key says about the key."""
    if exc.kind == "auth":
        status = f" (HTTP {exc.detail.status})" if exc.detail.status else ""
        return Verdict(
            "rejected",
            f"OpenRouter rejected this key{status}. Check it at {KEYS_URL}, paste it again, or "
            "sign in with OpenRouter.",
        )
    return Verdict("unverified", f"The key could not be checked: {exc.detail.message}")


async def check_key(base_url: str, provider: str, api_key: str) -> Verdict:
    from ..openrouter.limits import KEY_CHECK_DEADLINE
    from .balance import fetch_balance

    if provider != "openrouter":
        return Verdict(
            "unverified",
            f"The server at {base_url} has no key endpoint to ask; the first chat shows whether "
            "it takes the key.",
        )
    deadline = KEY_CHECK_DEADLINE.value()
    try:
        account = await asyncio.wait_for(fetch_balance(base_url, api_key), deadline)
    except UpstreamError as exc:
        return from_error(exc)
    except asyncio.TimeoutError:
        return Verdict(
            "unverified",
            f"The key could not be checked: OpenRouter did not answer within {deadline:g} s.",
        )
    return Verdict("accepted", None, account)
