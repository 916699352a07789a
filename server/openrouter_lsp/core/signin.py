"""One "Sign in with OpenRouter" flow (OAuth PKCE, S256) and its one-shot loopback callback.

The verifier never leaves this object except in the `POST /auth/keys` body: it is registered as a
secret (redacted from every log and frame) and is not part of any result. The code is registered
too as soon as it arrives. A flow ends exactly once - signed in, failed, cancelled or timed out -
and then closes its callback server and tells `on_end`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import html
import logging
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..errors import OpenRouterLspError, invalid
from ..logging_setup import register_secret
from ..protocol import ApiKeyStatus, SignInOutcome, SignInResult

log = logging.getLogger(__name__)

VERIFIER_BYTES = 64  # token_urlsafe(64): 86 characters, within PKCE's 43-128
STATE_BYTES = 24
DEFAULT_TIMEOUT_S = 300.0
CALLBACK_HOST = "127.0.0.1"
CALLBACK_PATH = "/callback"
MAX_REQUEST_HEAD_BYTES = 16 * 1024
REQUEST_READ_TIMEOUT_S = 10.0

Exchange = Callable[[str, str], Awaitable[ApiKeyStatus]]  # (code, verifier) -> stored key


def new_verifier() -> str:
    verifier = secrets.token_urlsafe(VERIFIER_BYTES)
    register_secret(verifier)
    return verifier


def with_state(url: str, state: str) -> str:
    """`url` with `state=…` added to its query."""
    parts = urlsplit(url)
    query = [*parse_qsl(parts.query, keep_blank_values=True), ("state", state)]
    return urlunsplit(parts._replace(query=urlencode(query)))


class SignInFlow:
    def __init__(
        self,
        *,
        exchange: Exchange,
        key_status: Callable[[], ApiKeyStatus],
        on_end: Callable[[SignInResult], None],
        timeout_s: float,
    ) -> None:
        self.state = secrets.token_urlsafe(STATE_BYTES)
        self.verifier = new_verifier()
        self.timeout_s = timeout_s
        self._exchange = exchange
        self._key_status = key_status
        self._on_end = on_end
        self._server: asyncio.Server | None = None
        self._busy = False  # a code is being exchanged: no second one
        loop = asyncio.get_running_loop()
        self.result: asyncio.Future[SignInResult] = loop.create_future()
        self._timer = loop.call_later(timeout_s, self._time_out)

    @property
    def done(self) -> bool:
        return self.result.done()

    # --- the loopback callback ------------------------------------------------------------

    async def listen(self, port: int) -> str:
        """Listen on 127.0.0.1:`port` (0: any free port); the callback URL (it carries state)."""
        try:
            self._server = await asyncio.start_server(
                self._serve, CALLBACK_HOST, port, limit=MAX_REQUEST_HEAD_BYTES
            )
        except OSError as exc:
            self.finish("failed", "The sign-in could not listen for the browser's return.")
            raise invalid(
                "callbackPort", f"cannot listen on {CALLBACK_HOST}:{port} ({exc.strerror})"
            ) from None
        bound = self._server.sockets[0].getsockname()[1]
        return with_state(f"http://{CALLBACK_HOST}:{bound}{CALLBACK_PATH}", self.state)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            status, page = await self._answer(reader)
        except Exception as exc:  # a broken request: never the flow's end by itself
            log.info("Sign-in callback: unreadable request (%s)", type(exc).__name__)
            status, page = 400, _page("Bad request", "This address only takes the sign-in.")
        body = page.encode()
        head = (
            f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\n"
            "Content-Type: text/html; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\n"
            "Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\n"
            "Connection: close\r\n\r\n"
        )
        with contextlib.suppress(Exception):
            writer.write(head.encode() + body)
            await asyncio.wait_for(writer.drain(), REQUEST_READ_TIMEOUT_S)
        writer.close()

    async def _answer(self, reader: asyncio.StreamReader) -> tuple[int, str]:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), REQUEST_READ_TIMEOUT_S)
        method, target, _ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
        url = urlsplit(target)
        if method != "GET" or url.path != CALLBACK_PATH:
            return 404, _page("Not found", "This address only takes the sign-in.")
        if self.done or self._busy:
            return 410, _page("Sign-in ended", "This sign-in has already ended.")
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        code, state = query.get("code", ""), query.get("state", "")
        if "?" in state and not code:  # a site that appended `?code=` to a URL with a query
            state, _, rest = state.partition("?")
            code = dict(parse_qsl(rest)).get("code", "")
        register_secret(code)
        if not hmac.compare_digest(state.encode(), self.state.encode()):
            message = (
                "The sign-in was refused: the browser came back with a state that does not "
                "match this sign-in. Sign in again."
            )
            self.finish("failed", message)
            return 400, _page("Sign-in refused", message)
        if not code:
            message = "OpenRouter sent the browser back without a code. Sign in again."
            self.finish("failed", message)
            return 400, _page("Sign-in failed", message)
        result = await self.complete(code, raising=False)
        if result.outcome == "signed_in":
            return 200, _page("Signed in", "Signed in with OpenRouter. You can close this tab.")
        return 400, _page("Sign-in failed", result.message + " You can close this tab.")

    # --- completion -----------------------------------------------------------------------

    async def complete(self, code: str, *, raising: bool = True) -> SignInResult:
        """Exchange `code` for a key and store it; ends the flow either way."""
        register_secret(code)
        if self.done or self._busy:
            raise invalid("code", "this sign-in has already ended: sign in again")
        self._busy = True
        try:
            status = await self._exchange(code, self.verifier)
        except OpenRouterLspError as exc:
            result = self.finish("failed", exc.message)
            if raising:
                raise
            return result
        except asyncio.CancelledError:
            self.finish("cancelled", "The sign-in was cancelled.")
            raise
        except Exception as exc:  # a bug: the flow still ends, and says so
            log.error("Sign-in exchange failed (%s)", type(exc).__name__)
            self.finish("failed", "The sign-in failed unexpectedly. Sign in again.")
            raise
        return self.finish("signed_in", "Signed in with OpenRouter; the new key is stored.",
                           status)

    def _time_out(self) -> None:
        self.finish("timed_out", "The sign-in timed out: the browser did not come back in "
                    f"{self.timeout_s:g} s. Sign in again.")

    def finish(
        self, outcome: SignInOutcome, message: str, status: ApiKeyStatus | None = None
    ) -> SignInResult:
        """End the flow (the first call wins): close the callback, tell `on_end`."""
        if self.done:
            return self.result.result()
        self._timer.cancel()
        if self._server is not None:
            self._server.close()
        result = SignInResult(
            state=self.state, outcome=outcome, message=message,
            api_key=status or self._key_status(),
        )
        self.result.set_result(result)
        log.info("Sign-in %s", outcome)
        self._on_end(result)
        return result


def _page(title: str, text: str) -> str:
    title, text = html.escape(title), html.escape(text)
    return (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>OpenRouter: {title}</title></head><body style=\"font-family: sans-serif; "
        f"margin: 3em\"><h1>{title}</h1><p>{text}</p></body></html>"
    )
