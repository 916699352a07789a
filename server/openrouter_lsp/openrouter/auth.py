"""OpenRouter's OAuth PKCE endpoints: the authorisation page's URL and `POST /auth/keys`."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import urlencode, urlsplit

from .. import strict_json
from ..errors import upstream_error
from ..logging_setup import register_secret
from .body import BadEncoding, BodyTooLarge, read_body, read_prefix
from .client import attribution_headers, http_client
from .limits import MAX_BODY_BYTES
from .numbers import loads

AUTH_PAGE_PATH = "/auth"
KEYS_PATH = "/auth/keys"


def challenge_of(verifier: str) -> str:
    """The S256 code challenge: base64url(SHA-256(verifier)) without padding (RFC 7636)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def site_origin(api_base: str) -> str:
    """The site that serves the authorisation page: the API base URL's origin
    (`https://openrouter.ai/api/v1` -> `https://openrouter.ai`)."""
    parts = urlsplit(api_base)
    return f"{parts.scheme}://{parts.netloc}"


def auth_page_url(api_base: str, callback_url: str, challenge: str) -> str:
    query = urlencode(
        {"callback_url": callback_url, "code_challenge": challenge,
         "code_challenge_method": "S256"}
    )
    return f"{site_origin(api_base)}{AUTH_PAGE_PATH}?{query}"


async def exchange_code(api_base: str, code: str, verifier: str) -> str:
    """`POST {api_base}/auth/keys`: the authorisation code and its verifier for an API key;
    UpstreamError when OpenRouter refuses (a used code, a wrong verifier) or cannot be reached."""
    import httpx

    from .errors import error_body, error_from_transport

    url = api_base.rstrip("/") + KEYS_PATH
    body = {"code": code, "code_verifier": verifier, "code_challenge_method": "S256"}
    try:
        async with http_client().stream(
            "POST",
            url,
            content=strict_json.dumps(body),
            headers={**attribution_headers(), "Content-Type": "application/json"},
        ) as response:
            if response.status_code != 200:
                error = error_body(await read_prefix(response, MAX_BODY_BYTES.count())) or {}
                reason = error.get("message")
                reason = reason if isinstance(reason, str) and reason else "no reason given"
                raise upstream_error(
                    "auth",
                    f"OpenRouter did not accept the sign-in ({response.status_code}: "
                    f"{reason[:200]}). Sign in again.",
                    status=response.status_code,
                )
            raw = await read_body(response, MAX_BODY_BYTES.count())
    except httpx.HTTPError as exc:
        raise error_from_transport(exc, api_base) from None
    except (BodyTooLarge, BadEncoding):
        raise upstream_error(
            "bad_request", f"{url} answered the sign-in with a body that could not be read."
        ) from None
    try:
        payload = loads(raw)
    except ValueError:
        payload = None
    key = payload.get("key") if isinstance(payload, dict) else None
    if not isinstance(key, str) or not key.strip():
        raise upstream_error(
            "bad_request", f"{url} answered the sign-in without an API key. Sign in again."
        )
    register_secret(key.strip())
    return key.strip()
