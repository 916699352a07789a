"""OpenRouter's OAuth PKCE flow: the authorisation page on the site's origin (`GET /auth`, its
"Authorize" link `GET /auth/authorize`) and `POST /api/v1/auth/keys`.

`/auth` checks the callback URL (https, http on localhost/127.0.0.1, or an app scheme) and
the challenge method; "Authorize" issues a one-time code bound to the challenge and redirects (303)
to `callback_url` with `code` added to its query. `/auth/keys` consumes the code on every attempt
and answers a new key (accepted by the emulator's auth from then on) only when the verifier
matches: S256 of the verifier equals the stored challenge (or equals it for `plain`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from .errors import json_error

LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]", "::1")


@dataclass
class AuthRequest:
    callback_url: str
    code_challenge: str | None
    method: str | None


@dataclass
class AuthCode:
    request: AuthRequest
    used: bool = False


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def callback_allowed(url: str) -> bool:
    """https anywhere, http on the loopback only, or an app's own scheme (`vscode://…`, as
    editor extensions use with OpenRouter); never a scheme a browser would run or read."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return bool(parts.netloc)
    if parts.scheme == "http":
        return (parts.hostname or "") in LOCAL_HOSTS
    return bool(re.fullmatch(r"[a-z][a-z0-9+.-]*", parts.scheme)) and parts.scheme not in (
        "javascript", "data", "file", "blob", "about", "ftp", "ws", "wss")


def with_code(callback_url: str, code: str) -> str:
    parts = urlsplit(callback_url)
    query = [*parse_qsl(parts.query, keep_blank_values=True), ("code", code)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} - "
        f"OpenRouter emulator</title></head><body><h1>{title}</h1>{body}</body></html>",
        status_code=status,
    )


class OAuth:
    """The pending authorisations and issued codes live in the emulator's state."""

    def __init__(self, state: Any) -> None:
        self.state = state

    async def auth_page(self, request: Request) -> Response:
        query = request.query_params
        callback_url = query.get("callback_url", "")
        challenge = query.get("code_challenge") or None
        method = query.get("code_challenge_method") or None
        if not callback_allowed(callback_url):
            return page("Invalid callback URL", "<p>callback_url must be an https URL or a "
                        "localhost / 127.0.0.1 URL.</p>", 400)
        if method is not None and method not in ("S256", "plain"):
            return page("Invalid code_challenge_method", "<p>Use S256 or plain.</p>", 400)
        if method is not None and challenge is None:
            return page("Missing code_challenge", "<p>A method needs a challenge.</p>", 400)
        request_id = secrets.token_urlsafe(12)
        with self.state.lock:
            self.state.auth_requests[request_id] = AuthRequest(
                callback_url, challenge, (method or "plain") if challenge else None
            )
        shown = html.escape(urlsplit(callback_url).netloc or callback_url)
        link = html.escape(f"/auth/authorize?{urlencode({'request': request_id})}")
        return page(
            "Authorize application",
            f"<p>An application at <b>{shown}</b> asks for an API key for your account.</p>"
            f"<p><a id=\"authorize\" href=\"{link}\">Authorize</a></p>",
        )

    async def authorize(self, request: Request) -> Response:
        request_id = request.query_params.get("request", "")
        with self.state.lock:
            pending = self.state.auth_requests.pop(request_id, None)
            if pending is None:
                return page("Authorization expired", "<p>Start again.</p>", 400)
            code = f"emu_auth_{secrets.token_urlsafe(24)}"
            self.state.auth_codes[code] = AuthCode(pending)
        return RedirectResponse(with_code(pending.callback_url, code), status_code=303)

    async def exchange(self, body: Any) -> Response:
        if not isinstance(body, dict) or not isinstance(body.get("code"), str):
            return json_error(400, "Invalid request parameters")
        verifier = body.get("code_verifier")
        method = body.get("code_challenge_method")
        with self.state.lock:
            found = self.state.auth_codes.get(body["code"])
            if found is None or found.used:
                return json_error(403, "Invalid or expired authorization code")
            found.used = True  # one attempt per code, right or wrong
        expected = found.request.code_challenge
        if expected is not None:
            if not isinstance(verifier, str) or not verifier:
                return json_error(400, "code_verifier is required for this code")
            if method not in (None, found.request.method):
                return json_error(400, "code_challenge_method does not match the challenge")
            actual = s256(verifier) if found.request.method == "S256" else verifier
            if not hmac.compare_digest(actual.encode(), expected.encode()):
                return json_error(403, "Invalid code_verifier")
        key = f"sk-or-v1-{secrets.token_hex(32)}"
        with self.state.lock:
            self.state.issued_keys.add(key)
        return JSONResponse({"key": key, "user_id": "user_emulator"})
