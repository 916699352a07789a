"""Sign in with OpenRouter (OAuth PKCE, S256), end to end through the real server and emulator.

The test plays the browser: it opens the auth URL on the emulator's origin, follows the
"Authorize" link (a 303 to the callback with `code`), then either delivers that redirect to the
server's loopback callback or hands the code over with `openrouter/signIn/complete`.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import socket
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from lsprotocol import types
from pytest_lsp import ClientServerConfig, client_capabilities
from tests.support.commands import run
from tests.support.lsp import (
    LspSession,
    make_client,
    server_env,
    start_session,
    stop_session,
)
from tests.support.openapi import OpenApi, check, spec  # noqa: F401  (fixture)

START = "openrouter/signIn/start"
COMPLETE = "openrouter/signIn/complete"
CANCEL = "openrouter/signIn/cancel"
DID_FINISH = "openrouter/signIn/didFinish"
VSCODE_CALLBACK = "vscode://openrouter.openrouter-lsp/signin"


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


async def authorize(auth_url: str) -> str:
    """The browser on the authorisation page: click "Authorize"; the redirect's Location."""
    async with httpx.AsyncClient(follow_redirects=False, timeout=10) as browser:
        page = await browser.get(auth_url)
        assert page.status_code == 200, page.text
        link = re.search(r'id="authorize" href="([^"]+)"', page.text)
        assert link is not None, page.text
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(auth_url))
        redirect = await browser.get(origin + link.group(1).replace("&amp;", "&"))
        assert redirect.status_code == 303
        return redirect.headers["location"]


async def deliver(location: str) -> httpx.Response:
    """The browser following the redirect to the server's loopback callback."""
    async with httpx.AsyncClient(follow_redirects=False, timeout=10) as browser:
        return await browser.get(location)


def exchanges(emulator: Any) -> list[dict[str, Any]]:
    return [r for r in emulator.requests() if r["path"] == "/api/v1/auth/keys"]


async def finished(session: LspSession, count: int = 1, timeout: float = 10) -> dict[str, Any]:
    result: dict[str, Any] = (await session.wait_notified(DID_FINISH, count, timeout))[-1]
    return result


async def test_loopback_flow_stores_a_working_key(
    lsp_no_key: LspSession, emulator: Any, spec: OpenApi  # noqa: F811
) -> None:
    started = await lsp_no_key.call(START, {})
    auth = urlsplit(started["authUrl"])
    assert f"{auth.scheme}://{auth.netloc}" == emulator.origin and auth.path == "/auth"
    query = query_of(started["authUrl"])
    assert query["code_challenge_method"] == "S256"
    assert query["callback_url"] == started["callbackUrl"] and started["loopback"] is True
    callback = urlsplit(started["callbackUrl"])
    assert callback.hostname == "127.0.0.1" and callback.path == "/callback"
    assert query_of(started["callbackUrl"])["state"] == started["state"]

    location = await authorize(started["authUrl"])
    assert location.startswith(started["callbackUrl"] + "&code=")
    page = await deliver(location)
    assert page.status_code == 200 and "You can close this tab" in page.text

    result = await finished(lsp_no_key)
    assert result["outcome"] == "signed_in" and result["state"] == started["state"]
    assert result["apiKey"]["isSet"] is True and result["apiKey"]["source"] == "file"
    # PKCE done properly: S256 of the verifier sent is the challenge of the auth URL.
    (request,) = exchanges(emulator)
    verifier = request["body"]["code_verifier"]
    assert 43 <= len(verifier) <= 128 and re.fullmatch(r"[A-Za-z0-9_-]+", verifier)
    assert s256(verifier) == query["code_challenge"]
    assert request["body"]["code_challenge_method"] == "S256"
    assert request["body"]["code"] == query_of(location)["code"]
    check(spec._validator("#/paths/~1auth~1keys/post/requestBody/content/application~1json/"
                          "schema"), request["body"])
    # Stored like a pasted key, announced, and usable.
    key = (lsp_no_key.home / "api-key").read_text()
    assert key in emulator.state.issued_keys
    changes = await lsp_no_key.wait_notified("openrouter/settings/didChange")
    assert changes[-1]["apiKey"]["isSet"] is True
    chat = await lsp_no_key.call(
        "openrouter/chat", {"messages": [{"role": "user", "content": "hi"}], "maxTokens": 4}
    )
    assert chat["content"].startswith("[emulator]")
    chats = [r for r in emulator.requests() if r["path"] == "/api/v1/chat/completions"]
    assert chats[-1]["headers"]["authorization"] == f"Bearer {key}"
    # One-shot: the callback server is gone.
    with pytest.raises(httpx.ConnectError):
        await deliver(location)


async def test_complete_with_the_code_from_the_clients_own_callback(
    lsp_no_key: LspSession, emulator: Any
) -> None:
    started = await lsp_no_key.call(START, {"callbackUrl": VSCODE_CALLBACK})
    assert started["loopback"] is False
    assert started["callbackUrl"].startswith(VSCODE_CALLBACK + "?state=")
    location = await authorize(started["authUrl"])
    assert location.startswith(VSCODE_CALLBACK)
    redirect = query_of(location)
    result = await lsp_no_key.call(COMPLETE, {"code": redirect["code"], "state": redirect["state"]})
    assert result["outcome"] == "signed_in" and result["apiKey"]["isSet"] is True
    assert (await finished(lsp_no_key))["outcome"] == "signed_in"
    account = await lsp_no_key.call("openrouter/account/get", {})
    assert account["label"].startswith("sk-or-v1-")
    # The code was used: a second complete has no flow to finish.
    error = await lsp_no_key.call_error(COMPLETE, {"code": redirect["code"]})
    assert error.code == -32602


async def test_a_used_code_is_refused(lsp_no_key: LspSession, emulator: Any) -> None:
    started = await lsp_no_key.call(START, {"callbackUrl": VSCODE_CALLBACK})
    code = query_of(await authorize(started["authUrl"]))["code"]
    async with httpx.AsyncClient(timeout=10) as client:
        stolen = await client.post(
            f"{emulator.base_url}/auth/keys",
            json={"code": code, "code_verifier": "x" * 43, "code_challenge_method": "S256"},
        )
    assert stolen.status_code == 403  # wrong verifier; the code is now spent
    assert stolen.json()["error"] == {"code": 403, "message": "Invalid code_verifier"}
    error = await lsp_no_key.call_error(COMPLETE, {"code": code})
    assert error.code == -32001 and error.data["kind"] == "auth" and error.data["status"] == 403
    result = await finished(lsp_no_key)
    assert result["outcome"] == "failed" and result["apiKey"]["isSet"] is False
    assert not (lsp_no_key.home / "api-key").exists()


async def test_a_code_for_another_flows_challenge_fails_the_verifier(
    lsp_no_key: LspSession, emulator: Any
) -> None:
    """A second start replaces the first: the first flow's code meets the new verifier."""
    first = await lsp_no_key.call(START, {"callbackUrl": VSCODE_CALLBACK})
    code = query_of(await authorize(first["authUrl"]))["code"]
    second = await lsp_no_key.call(START, {"callbackUrl": VSCODE_CALLBACK})
    replaced = await finished(lsp_no_key)
    assert replaced["state"] == first["state"] and replaced["outcome"] == "cancelled"
    error = await lsp_no_key.call_error(COMPLETE, {"code": code})
    assert error.code == -32001 and error.data["kind"] == "auth"
    assert "Invalid code_verifier" in error.data["message"]
    result = await finished(lsp_no_key, 2)
    assert result["state"] == second["state"] and result["outcome"] == "failed"


async def test_state_mismatch_is_refused(lsp_no_key: LspSession, emulator: Any) -> None:
    started = await lsp_no_key.call(START, {})
    location = await authorize(started["authUrl"])
    forged = location.replace(f"state={started['state']}", "state=forged")
    page = await deliver(forged)
    assert page.status_code == 400 and "does not match" in page.text
    result = await finished(lsp_no_key)
    assert result["outcome"] == "failed" and "state" in result["message"]
    assert exchanges(emulator) == []  # the code was never exchanged

    started = await lsp_no_key.call(START, {"callbackUrl": VSCODE_CALLBACK})
    code = query_of(await authorize(started["authUrl"]))["code"]
    error = await lsp_no_key.call_error(COMPLETE, {"code": code, "state": "forged"})
    assert error.code == -32602 and error.data["errors"][0]["path"] == "state"
    assert (await finished(lsp_no_key, 2))["outcome"] == "failed"


async def test_timeout_and_cancel_end_the_flow(lsp_no_key: LspSession, emulator: Any) -> None:
    started = await lsp_no_key.call(START, {"timeoutSeconds": 1})
    result = await finished(lsp_no_key, timeout=5)
    assert result["outcome"] == "timed_out" and result["state"] == started["state"]
    with pytest.raises(httpx.ConnectError):
        await deliver(started["callbackUrl"] + "&code=late-code-0123456789")

    started = await lsp_no_key.call(START, {})
    cancelled = await lsp_no_key.call(CANCEL, {})
    assert cancelled["outcome"] == "cancelled" and cancelled["state"] == started["state"]
    assert (await finished(lsp_no_key, 2))["outcome"] == "cancelled"
    error = await lsp_no_key.call_error(COMPLETE, {"code": "any-code-0123456789"})
    assert error.code == -32602 and error.data["errors"][0]["path"] == "code"
    assert (await lsp_no_key.call(CANCEL, {}))["message"] == "No sign-in was in progress."


async def test_callback_ignores_other_paths(lsp_no_key: LspSession, emulator: Any) -> None:
    started = await lsp_no_key.call(START, {})
    port = urlsplit(started["callbackUrl"]).port
    favicon = await deliver(f"http://127.0.0.1:{port}/favicon.ico")
    assert favicon.status_code == 404
    page = await deliver(await authorize(started["authUrl"]))
    assert page.status_code == 200
    assert (await finished(lsp_no_key))["outcome"] == "signed_in"


async def test_a_given_callback_port_and_a_replaced_flow(lsp_no_key: LspSession) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    first = await lsp_no_key.call(START, {"callbackPort": port})
    assert urlsplit(first["callbackUrl"]).port == port
    second = await lsp_no_key.call(START, {})
    assert (await finished(lsp_no_key))["state"] == first["state"]
    with pytest.raises(httpx.ConnectError):  # the first flow's callback closed with it
        await deliver(first["callbackUrl"] + "&code=late-code-0123456789")
    # A retry on the same fixed port works: the flow it replaces frees the port first.
    again = await lsp_no_key.call(START, {"callbackPort": urlsplit(second["callbackUrl"]).port})
    assert again["callbackUrl"].split("?")[0] == second["callbackUrl"].split("?")[0]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        error = await lsp_no_key.call_error(START, {"callbackPort": taken.getsockname()[1]})
    assert error.code == -32602 and error.data["errors"][0]["path"] == "callbackPort"


async def test_an_openai_compatible_provider_has_no_sign_in(lsp_no_key: LspSession) -> None:
    patch = {"patch": {"provider": "openai-compatible"}}
    await lsp_no_key.call("openrouter/settings/update", patch)
    error = await lsp_no_key.call_error(START, {})
    assert error.code == -32001 and "OpenRouter provider" in error.data["message"]


async def test_start_refuses_bad_params(lsp_no_key: LspSession) -> None:
    error = await lsp_no_key.call_error(START, {"callbackUrl": "not a url"})
    assert error.code == -32602 and error.data["errors"][0]["path"] == "callbackUrl"
    error = await lsp_no_key.call_error(START, {"timeoutSeconds": 0})
    assert error.code == -32602
    error = await lsp_no_key.call_error(START, {"callbackPort": 70000})
    assert error.code == -32602


async def test_sign_in_command_opens_the_browser_and_reports(
    lsp_no_key: LspSession, emulator: Any
) -> None:
    result = await run(lsp_no_key, "openrouter.signIn")
    assert result["opened"] is True
    shown = lsp_no_key.client.shown_documents[-1]
    assert shown.uri == result["authUrl"] and shown.external is True
    await deliver(await authorize(result["authUrl"]))
    assert (await finished(lsp_no_key))["outcome"] == "signed_in"
    for _ in range(100):
        if any("Signed in" in m.message for m in lsp_no_key.client.messages):
            break
        await asyncio.sleep(0.05)
    assert any("Signed in" in m.message for m in lsp_no_key.client.messages)


async def test_sign_in_command_shows_the_address_without_show_document(home: Path) -> None:
    """Emacs (lsp-mode) has no window/showDocument: the address comes in a message."""
    session = await start_session(home, server_env(home), capabilities="emacs")
    try:
        result = await run(session, "openrouter.signIn")
        assert result["opened"] is False
        assert any(result["authUrl"] in m.message for m in session.client.messages)
        await deliver(await authorize(result["authUrl"]))
        assert (await finished(session))["outcome"] == "signed_in"
    finally:
        await stop_session(session)


# --- the emulator's side on its own --------------------------------------------------------


async def test_emulator_checks_the_authorisation_request(emulator: Any) -> None:
    async with httpx.AsyncClient(base_url=emulator.origin, timeout=10) as client:
        bad = await client.get("/auth", params={"callback_url": "http://evil.example/cb"})
        assert bad.status_code == 400
        bad = await client.get("/auth", params={
            "callback_url": "http://localhost:1/cb", "code_challenge": "abc",
            "code_challenge_method": "S512"})
        assert bad.status_code == 400
        missing = await client.post("/api/v1/auth/keys", json={})
        assert missing.status_code == 400 and missing.json()["error"]["code"] == 400
        unknown = await client.post("/api/v1/auth/keys", json={"code": "nope"})
        assert unknown.status_code == 403


async def test_emulator_accepts_the_right_verifier_once(emulator: Any) -> None:
    verifier = "v" * 50
    auth_url = f"{emulator.origin}/auth?" + httpx.QueryParams({
        "callback_url": "https://app.example/cb?x=1", "code_challenge": s256(verifier),
        "code_challenge_method": "S256"}).__str__()
    location = await authorize(auth_url)
    assert location.startswith("https://app.example/cb?x=1&code=")
    code = query_of(location)["code"]
    body = {"code": code, "code_verifier": verifier, "code_challenge_method": "S256"}
    async with httpx.AsyncClient(base_url=emulator.base_url, timeout=10) as client:
        ok = await client.post("/auth/keys", json=body)
        assert ok.status_code == 200 and set(ok.json()) == {"key", "user_id"}
        again = await client.post("/auth/keys", json=body)
        assert again.status_code == 403
        key = ok.json()["key"]
        account = await client.get("/key", headers={"Authorization": f"Bearer {key}"})
        assert account.status_code == 200  # accepted although not among the configured keys


# --- secrecy -------------------------------------------------------------------------------


async def start_debug_session(home: Path, stderr_file: Path) -> LspSession:
    box: list[LspSession] = []
    command = f'exec "{sys.executable}" -m openrouter_lsp --log-level DEBUG 2>"{stderr_file}"'
    config = ClientServerConfig(
        server_command=["sh", "-c", command],
        client_factory=lambda: make_client(box),
        server_env=server_env(home),
    )
    client = await config.start()
    session = LspSession(client, home)
    box.append(session)
    await client.initialize_session(
        types.InitializeParams(capabilities=client_capabilities("visual-studio-code"))
    )
    return session


async def test_verifier_and_code_never_reach_a_log_or_a_frame(
    home: Path, tmp_path: Path, emulator: Any
) -> None:
    stderr_file = tmp_path / "stderr.log"
    session = await start_debug_session(home, stderr_file)
    seen: list[Any] = []
    codes: list[str] = []
    try:
        started = await session.call(START, {})
        seen.append(started)
        location = await authorize(started["authUrl"])
        codes.append(query_of(location)["code"])
        await deliver(location)
        await finished(session)

        started = await session.call(START, {"callbackUrl": VSCODE_CALLBACK})
        seen.append(started)
        code = query_of(await authorize(started["authUrl"]))["code"]
        codes.append(code)
        seen.append(await session.call(COMPLETE, {"code": code, "state": started["state"]}))
        try:  # the used code again: an error that must not echo it either
            await session.call(START, {"callbackUrl": VSCODE_CALLBACK})
            await session.call(COMPLETE, {"code": code})
        except Exception as exc:
            seen.append({"error": str(exc), "data": getattr(exc, "data", None)})
        await session.call(CANCEL, {})
    finally:
        await stop_session(session)
    verifiers = [r["body"]["code_verifier"] for r in exchanges(emulator)]
    assert len(verifiers) == 3 and len(codes) == 2
    client = session.client
    written = "\n".join([
        stderr_file.read_text(errors="replace"),
        json.dumps(seen),
        *(m.message for m in client.log_messages),
        *(m.message for m in client.messages),
        *(json.dumps(p) for _, p in session.notifications),
    ])
    assert "'openrouter/signIn/complete' received" in stderr_file.read_text()
    for secret in [*verifiers, *codes]:
        assert secret not in written


def test_logs_redact_a_code_in_any_message_shape() -> None:
    from openrouter_lsp.logging_setup import redact_log

    for text in ('{"code":"c0de-secret-1"}', '{"code": "c0de-secret-1"}',
                 "{'code': 'c0de-secret-1'}", "GET /callback?state=s&code=c0de-secret-1 HTTP/1.1"):
        assert "c0de-secret-1" not in redact_log(text), text
