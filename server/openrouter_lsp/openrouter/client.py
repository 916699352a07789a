"""The one shared `httpx.AsyncClient`, and the headers every OpenRouter request carries.

httpx is imported on first use, not at start-up: it costs ~70 ms, more than the whole start-up
budget over a bare pygls server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import PRODUCT_NAME, PROJECT_URL, __version__

if TYPE_CHECKING:
    import httpx

CONNECT_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 60.0  # catalogue and account calls; chat streams set their own stall timeout

_client: httpx.AsyncClient | None = None


def http_client() -> httpx.AsyncClient:
    global _client
    if _client is None or _client.is_closed:
        import httpx

        _client = httpx.AsyncClient(
            timeout=httpx.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S),
            # The key must never follow a redirect to another origin: follow none at all.
            follow_redirects=False,
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
            headers={"User-Agent": f"{PRODUCT_NAME}/{__version__}"},
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
        headers["Authorization"] = f"Bearer {api_key}"
    return headers


async def get_json(base_url: str, path: str, api_key: str | None) -> object:
    """GET `{base_url}{path}` and its JSON body; UpstreamError on any failure."""
    import httpx

    from ..errors import upstream_error
    from .errors import error_from_http, error_from_transport

    url = base_url.rstrip("/") + path
    try:
        response = await http_client().get(url, headers=request_headers(api_key))
    except httpx.HTTPError as exc:
        raise error_from_transport(exc, base_url) from None
    if response.status_code != 200:
        raise error_from_http(response.status_code, response.headers, response.content)
    try:
        return response.json()
    except ValueError:
        raise upstream_error(
            "bad_request", f"{base_url} answered {path} with something that is not JSON."
        ) from None
