"""The one shared `httpx.AsyncClient`, and the headers every OpenRouter request carries.

httpx is imported on first use, not at start-up: it costs ~70 ms, more than the whole start-up
budget over a bare pygls server.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from .. import PRODUCT_NAME, PROJECT_URL, __version__
from ..errors import UpstreamError, upstream_error
from ..logging_setup import register_secret
from .body import ACCEPT_ENCODING, BadEncoding, BodyTooLarge, read_body, read_prefix
from .limits import MAX_BODY_BYTES, REQUEST_DEADLINE, Limit, size_text
from .numbers import loads

if TYPE_CHECKING:
    import httpx

CONNECT_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 60.0  # catalogue and account calls; chat streams set their own stall timeout

_client: httpx.AsyncClient | None = None


def import_httpx() -> None:
    """Import httpx ahead of its first use (a thread does it after `initialized`)."""
    import httpx  # noqa: F401


def http_client() -> httpx.AsyncClient:
    global _client
    if _client is None or _client.is_closed:
        import httpx

        _client = httpx.AsyncClient(
            timeout=httpx.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S),
            # The key must never follow a redirect to another origin: follow none at all.
            follow_redirects=False,
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
            # Only what `body` decodes, with a bound on the output: httpx's decoders have none.
            headers={
                "User-Agent": f"{PRODUCT_NAME}/{__version__}",
                "Accept-Encoding": ACCEPT_ENCODING,
            },
            trust_env=False,
        )
    return _client


async def close_http_client() -> None:
    global _client
    if _client is not None:
        await _client.aclose()
        _client = None


def attribution_headers() -> dict[str, str]:
    return {
        "HTTP-Referer": PROJECT_URL,
        "X-Title": PRODUCT_NAME,
        "X-OpenRouter-Title": PRODUCT_NAME,
        "X-OpenRouter-Categories": "ide-extension",
    }


def request_headers(api_key: str | None, *, openrouter: bool = True) -> dict[str, str]:
    headers = attribution_headers() if openrouter else {}
    if api_key:
        # Registered here too, whatever its shape or source: upstream error text that echoes
        # the key is redacted with the registered secrets.
        register_secret(api_key)
        headers["Authorization"] = f"Bearer {api_key}"
    return headers


async def get_body(base_url: str, path: str, api_key: str | None, cap: Limit) -> bytes:
    """GET `{base_url}{path}` and its body (at most `cap` bytes once decompressed), within the
    request deadline; UpstreamError on any failure."""
    deadline = REQUEST_DEADLINE.value()
    try:
        return await asyncio.wait_for(_get_body(base_url, path, api_key, cap), deadline)
    except asyncio.TimeoutError:
        raise upstream_error(
            "timeout",
            f"{base_url}{path} did not send its complete answer within {deadline:g} s, so the "
            f"request was stopped (limit: {REQUEST_DEADLINE.env}). Try again, or check the "
            "base URL.",
        ) from None


async def _get_body(base_url: str, path: str, api_key: str | None, cap: Limit) -> bytes:
    import httpx

    from .errors import error_from_http, error_from_transport

    url = base_url.rstrip("/") + path
    try:
        async with http_client().stream("GET", url, headers=request_headers(api_key)) as response:
            if response.status_code != 200:
                body = await read_prefix(response, MAX_BODY_BYTES.count())
                raise error_from_http(response.status_code, response.headers, body)
            return await read_body(response, cap.count())
    except httpx.HTTPError as exc:
        raise error_from_transport(exc, base_url) from None
    except BodyTooLarge as exc:
        raise _body_too_large(base_url + path, exc.cap, cap) from None
    except BadEncoding as exc:
        raise upstream_error("bad_request", f"{base_url}{path} sent {exc}.") from None


def _body_too_large(url: str, size: int, cap: Limit) -> UpstreamError:
    return upstream_error(
        "bad_request",
        f"{url} sent more than {size_text(size)} (after decompression), so it was not read "
        f"(limit: {cap.env}). Check the base URL.",
    )


async def get_json(base_url: str, path: str, api_key: str | None) -> object:
    """GET `{base_url}{path}` and its JSON body (a small one: endpoints, account); UpstreamError
    on any failure."""
    body = await get_body(base_url, path, api_key, MAX_BODY_BYTES)
    try:
        return loads(body)
    except ValueError:
        raise upstream_error(
            "bad_request", f"{base_url} answered {path} with something that is not JSON."
        ) from None
