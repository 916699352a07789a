"""What the server writes: strict JSON (no NaN or Infinity) and no API key, whatever its shape.

End to end, a small loopback upstream misbehaves the way the emulator cannot: it echoes the
Authorization header (and an older key) in its error text and sends `Retry-After: inf`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from tests.support.raw_client import ServerProcess

from openrouter_lsp.logging_setup import REDACTED, register_secret
from openrouter_lsp.lsp import outgoing

OLD_KEY = "old.dotted.key.0123456789"  # not shaped like sk-…: only registration can catch it
NEW_KEY = 'new-"quoted"\\key-9876543210'  # a quote and a backslash: escaped inside JSON


class EchoUpstream:
    """Answers every request 429 with `Retry-After: inf` and the key it was sent in the text."""

    def __init__(self) -> None:
        self.requests = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        headers = dict(
            line.split(": ", 1) for line in head.decode().split("\r\n")[1:] if ": " in line
        )
        headers = {k.lower(): v for k, v in headers.items()}
        await reader.readexactly(int(headers.get("content-length", "0")))
        self.requests += 1
        text = f"Rate limited for {headers.get('authorization')} (earlier: Bearer {OLD_KEY})"
        body = json.dumps({"error": {"code": 429, "message": text}}).encode()
        writer.write(
            b"HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\n"
            b"Retry-After: inf\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s"
            % (len(body), body)
        )
        await writer.drain()
        writer.close()


@pytest_asyncio.fixture
async def upstream() -> AsyncIterator[tuple[EchoUpstream, str]]:
    echo = EchoUpstream()
    listener = await asyncio.start_server(echo.handle, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    async with listener:
        yield echo, f"http://127.0.0.1:{port}/api/v1"


async def test_keys_never_reach_the_wire_and_numbers_stay_json(
    tmp_path: Path, upstream: tuple[EchoUpstream, str]
) -> None:
    echo, base_url = upstream
    home = tmp_path / "state"
    home.mkdir()
    (home / "settings.json").write_text(
        json.dumps({"useCustomBaseUrl": True, "customBaseUrl": base_url})
    )
    server = await ServerProcess.start(home, "--log-level", "INFO")
    try:
        client = server.client
        await client.initialize()
        for n, key in enumerate((OLD_KEY, NEW_KEY)):  # the old key stays a secret once replaced
            answer = await client.call(f"key-{n}", "openrouter/apiKey/set", {"apiKey": key})
            assert "result" in answer, answer
        answer = await client.call(
            "chat", "openrouter/chat", {"messages": [{"role": "user", "content": "hi"}]}
        )
        assert echo.requests >= 1
        assert answer["error"]["code"] == -32001, answer
        assert REDACTED in answer["error"]["message"], answer  # the key was echoed, and scrubbed
        assert answer["error"]["data"].get("retryAfterSeconds") is None  # inf is not JSON
        await client.assert_alive()
    finally:
        await server.stop()
    written = b"\n".join(client.raw_frames).decode()
    for key in (OLD_KEY, NEW_KEY):
        assert key not in written and json.dumps(key)[1:-1] not in written
    # Every frame was already parsed strictly (no NaN/Infinity) by the raw client.


def test_non_finite_numbers_go_out_as_null_and_the_log_says_where(
    caplog: pytest.LogCaptureFixture,
) -> None:
    message = {"id": 1, "result": {"cost": float("nan"), "limits": [1.5, float("inf")]}}
    with caplog.at_level(logging.WARNING, logger="openrouter_lsp.lsp.outgoing"):
        text = outgoing.encode(message)
    assert json.loads(text) == {"id": 1, "result": {"cost": None, "limits": [1.5, None]}}
    assert "$.result.cost" in caplog.text and "$.result.limits[1]" in caplog.text


@pytest.mark.parametrize(
    "secret",
    ['ab"cd"ef-0123456789', "back\\slash\\key-0123", "plain.key.0123456789", '"lead-key-0123'],
)
def test_secrets_with_json_escapes_are_scrubbed_and_the_text_stays_json(secret: str) -> None:
    register_secret(secret)
    for text in (
        outgoing.encode({"message": f"bad key {secret}!", secret: [secret, 1]}),
        outgoing.encode({"m": "\\" + secret}),
    ):
        assert secret not in text and json.dumps(secret)[1:-1] not in text
        assert REDACTED in json.loads(text).__repr__()


def test_unpaired_surrogates_go_out_as_replacement_characters() -> None:
    text = outgoing.encode({"content": "a\ud800b \U0001f600 é"})
    body = outgoing.to_bytes(text)
    assert json.loads(body.decode("utf-8")) == {"content": "a\ufffdb \U0001f600 é"}
