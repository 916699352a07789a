"""Emulator fault injection, the control routes, and client disconnects."""

# ruff: noqa: F811  (pytest fixtures imported from emulator_helpers are redefined as arguments)
from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from tests.support.emulator import (  # noqa: F401  (fixtures)
    AUTH,
    bare,
    chat_body,
    client,
    content_of,
    emulator,
    parse_sse,
    running,
    stream_chat,
)

from openrouter_emulator import EmulatorHandle


def wait_for(predicate: Any, timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.005)
    return False


# -- status faults ----------------------------------------------------------------------------

def test_429_with_retry_headers(client: httpx.Client, emulator: EmulatorHandle) -> None:
    reset_ms = str(int(time.time() * 1000) + 5000)
    emulator.add_fault(route="/chat/completions", status=429,
                       headers={"Retry-After": "3", "X-RateLimit-Reset": reset_ms})
    response = client.post("/chat/completions", json=chat_body(), headers=AUTH)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "3"
    assert response.headers["x-ratelimit-reset"] == reset_ms
    assert response.json()["error"]["code"] == 429
    # times defaults to 1: the next request is normal
    assert client.post("/chat/completions", json=chat_body(), headers=AUTH).status_code == 200


def test_default_bodies(client: httpx.Client, emulator: EmulatorHandle) -> None:
    emulator.add_fault(route="/chat/completions", status=402)
    emulator.add_fault(route="/chat/completions", status=502)
    credits = client.post("/chat/completions", json=chat_body(), headers=AUTH).json()["error"]
    assert credits["message"].startswith("This request requires more credits, or fewer "
                                         "max_tokens.")
    provider = client.post("/chat/completions", json=chat_body(), headers=AUTH).json()["error"]
    assert provider["message"] == "Provider returned error"
    assert provider["metadata"]["raw"] and provider["metadata"]["provider_name"]


def test_custom_body_times_and_delay(client: httpx.Client, emulator: EmulatorHandle) -> None:
    body = {"error": {"code": 502, "message": "Provider returned error",
                      "metadata": {"raw": "upstream exploded", "provider_name": "Azure"}}}
    emulator.add_fault(route="/chat/completions", status=502, body=body, times=2,
                       delay_seconds=0.2)
    started = time.perf_counter()
    for _ in range(2):
        response = client.post("/chat/completions", json=chat_body(), headers=AUTH)
        assert response.status_code == 502 and response.json() == body
    assert time.perf_counter() - started >= 0.4
    assert client.post("/chat/completions", json=chat_body(), headers=AUTH).status_code == 200


def test_times_zero_until_cleared_and_any_route(client: httpx.Client,
                                                emulator: EmulatorHandle) -> None:
    emulator.add_fault(route="/models/*/endpoints", status=503, times=0)
    for _ in range(3):
        assert client.get("/models/openai/gpt-4o/endpoints").status_code == 503
    assert client.get("/models").status_code == 200
    emulator.clear_faults()
    assert client.get("/models/openai/gpt-4o/endpoints").status_code == 200
    emulator.add_fault(route="/models", status=500, body="<html>oops</html>")
    response = client.get("/models")
    assert response.status_code == 500 and response.text == "<html>oops</html>"


def test_error_body_200(client: httpx.Client, emulator: EmulatorHandle) -> None:
    emulator.add_fault(route="/chat/completions", mode="error_body_200", status=429)
    response = client.post("/chat/completions", json=chat_body(), headers=AUTH)
    assert response.status_code == 200
    assert response.json()["error"]["code"] == 429


# -- stream modes -----------------------------------------------------------------------------

def test_error_chunk_mid_stream(client: httpx.Client, emulator: EmulatorHandle) -> None:
    bare(emulator)
    emulator.add_fault(route="/chat/completions", mode="error_chunk_mid_stream",
                       after_chunks=3)
    response, events = stream_chat(client, chat_body(max_tokens=20))
    assert response.status_code == 200
    assert content_of(events[:3]) == "[emulator] T"
    last = events[-1]
    assert isinstance(last, dict) and last["choices"][0]["finish_reason"] == "error"
    assert last["error"]["code"] == 502
    assert set(last["error"]["metadata"]) >= {"raw", "provider_name"}
    assert "[DONE]" not in events and len(events) == 4


def test_error_chunk_before_content(client: httpx.Client, emulator: EmulatorHandle) -> None:
    body = {"error": {"code": 429, "message": "Rate limited upstream",
                      "metadata": {"raw": "slow down", "provider_name": "OpenAI",
                                   "error_type": "rate_limit_exceeded"}}}
    emulator.add_fault(route="/chat/completions", mode="error_chunk_before_content", body=body)
    _, events = stream_chat(client, chat_body())
    assert events[0] == (":", "OPENROUTER PROCESSING")
    data = [e for e in events if not isinstance(e, tuple)]
    assert len(data) == 1 and data[0]["error"] == body["error"]


def test_keepalive_first(client: httpx.Client, emulator: EmulatorHandle) -> None:
    emulator.add_fault(route="/chat/completions", mode="keepalive_first")
    _, events = stream_chat(client, chat_body(max_tokens=5))
    assert events[:2] == [(":", "OPENROUTER PROCESSING")] * 2
    assert events[-1] == "[DONE]"


def test_malformed_line(client: httpx.Client, emulator: EmulatorHandle) -> None:
    bare(emulator)
    emulator.add_fault(route="/chat/completions", mode="malformed_line", after_chunks=2)
    _, events = stream_chat(client, chat_body(max_tokens=6))
    assert events[2] == "{not json"
    assert events[-1] == "[DONE]"


def test_drop_mid_stream(client: httpx.Client, emulator: EmulatorHandle) -> None:
    emulator.add_fault(route="/chat/completions", mode="drop_mid_stream", after_chunks=2)
    received = b""
    with pytest.raises(httpx.RemoteProtocolError), client.stream(
            "POST", "/chat/completions", json=chat_body(stream=True), headers=AUTH) as response:
        for data in response.iter_bytes():
            received += data
    events = parse_sse(received.decode())
    assert content_of(events) == "[emulato"
    assert "[DONE]" not in events
    assert client.get("/providers").status_code == 200  # the server lives on


def test_stall_then_disconnect_is_recorded(client: httpx.Client,
                                           emulator: EmulatorHandle) -> None:
    bare(emulator)
    emulator.add_fault(route="/chat/completions", mode="stall_mid_stream", after_chunks=1)
    with client.stream("POST", "/chat/completions", json=chat_body(stream=True),
                       headers=AUTH) as response:
        first = next(response.iter_lines())
        assert first.startswith("data: ")
    assert wait_for(lambda: emulator.requests()[-1]["disconnected"], timeout=2.0)
    gen_id = response.headers["x-generation-id"]
    generation = client.get("/generation", params={"id": gen_id}, headers=AUTH).json()["data"]
    assert generation["cancelled"] is True and generation["tokens_completion"] == 1


# -- disconnects ------------------------------------------------------------------------------

def test_client_disconnect_mid_stream_is_recorded_promptly(client: httpx.Client,
                                                           emulator: EmulatorHandle) -> None:
    bare(emulator)
    emulator.configure(tokens_per_second=50)
    with client.stream("POST", "/chat/completions",
                       json=chat_body(stream=True, max_tokens=500), headers=AUTH) as response:
        lines = response.iter_lines()
        assert next(lines).startswith("data: ")
    closed = time.monotonic()
    assert wait_for(lambda: emulator.requests()[-1]["disconnected"], timeout=2.0)
    assert time.monotonic() - closed < 0.5
    records = httpx.get(f"{emulator.origin}/_emulator/requests").json()["requests"]
    assert records[0]["disconnected"] is True
    gen = client.get("/generation", params={"id": response.headers["x-generation-id"]},
                     headers=AUTH).json()["data"]
    assert gen["cancelled"] is True and gen["tokens_completion"] < 500


def test_complete_stream_is_not_a_disconnect(client: httpx.Client,
                                             emulator: EmulatorHandle) -> None:
    stream_chat(client, chat_body(max_tokens=5))
    time.sleep(0.05)
    assert emulator.requests()[-1]["disconnected"] is False


# -- control routes over HTTP -----------------------------------------------------------------

def test_control_routes(emulator: EmulatorHandle) -> None:
    with httpx.Client(base_url=emulator.origin) as http:
        fault = {"route": "/chat/completions", "status": 503, "times": 1}
        listed = http.post("/_emulator/faults", json=fault).json()["faults"]
        assert listed[0]["status"] == 503
        assert http.post("/_emulator/faults", json={"route": "x"}).status_code == 400
        assert http.post("/_emulator/faults", json={"route": "/a", "mode": "nope"}
                         ).status_code == 400
        api = f"{emulator.base_url}/chat/completions"
        assert http.post(api, json=chat_body(), headers=AUTH).status_code == 503
        http.post("/_emulator/faults", json=fault)
        http.delete("/_emulator/faults")
        assert http.post(api, json=chat_body(), headers=AUTH).status_code == 200
        config = {"apiKeys": ["sk-or-v1-only"], "tokensPerSecond": 0, "chunkTokens": 2}
        assert http.post("/_emulator/config", json=config).json()["config"]["chunkTokens"] == 2
        assert http.post("/_emulator/config", json={"bogus": 1}).status_code == 400
        assert http.post(api, json=chat_body(), headers=AUTH).status_code == 401
        # the control routes themselves are not recorded
        assert len(http.get("/_emulator/requests").json()["requests"]) == 3
        http.delete("/_emulator/requests")
        assert http.get("/_emulator/requests").json() == {"requests": []}
        http.post("/_emulator/reset")
        assert http.post(api, json=chat_body(), headers=AUTH).status_code == 200
        assert http.get("/_emulator/config").json()["config"]["apiKeys"] == []
