"""Shared bits of the emulator tests: a running emulator per module, SSE parsing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from openrouter_emulator import EmulatorHandle, run_in_thread
from openrouter_emulator.state import MINIMAL

KEY = "sk-or-v1-fake-emulator-test-key-1c96"
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture(scope="module")
def running() -> Iterator[EmulatorHandle]:
    with run_in_thread(tokens_per_second=0) as emulator:
        yield emulator


@pytest.fixture
def emulator(running: EmulatorHandle) -> Iterator[EmulatorHandle]:
    running.reset()
    yield running


@pytest.fixture
def client(emulator: EmulatorHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.base_url, timeout=10) as http:
        yield http


def bare(emulator: EmulatorHandle) -> EmulatorHandle:
    """The emulator without its realism (no comments, no role chunk, numeric stream error codes,
    /generation at once): for tests about fault mechanics that count exact chunks."""
    emulator.configure(**MINIMAL)
    return emulator


def chat_body(text: str = "Hello there", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"model": "openai/gpt-4o",
                            "messages": [{"role": "user", "content": text}]}
    body.update(extra)
    return body


def parse_sse(raw: str) -> list[Any]:
    """Data payloads in order: parsed JSON, or the raw string (`[DONE]`, malformed lines);
    comment lines come back as `(":", text)` tuples."""
    events: list[Any] = []
    for line in raw.split("\n"):
        if line.startswith(":"):
            events.append((":", line[1:].strip()))
        elif line.startswith("data: "):
            data = line[len("data: "):]
            try:
                events.append(json.loads(data))
            except ValueError:
                events.append(data)
    return events


def stream_chat(client: httpx.Client, body: dict[str, Any]) -> tuple[httpx.Response, list[Any]]:
    with client.stream("POST", "/chat/completions", json={**body, "stream": True},
                       headers=AUTH) as response:
        raw = response.read().decode()
    return response, parse_sse(raw)


def content_of(events: list[Any]) -> str:
    return "".join(e["choices"][0]["delta"].get("content") or ""
                   for e in events if isinstance(e, dict) and e.get("choices"))


def usage_of(events: list[Any]) -> dict[str, Any]:
    usage = [e["usage"] for e in events if isinstance(e, dict) and "usage" in e]
    assert len(usage) == 1
    result: dict[str, Any] = usage[0]
    return result
