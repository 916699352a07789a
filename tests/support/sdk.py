"""Shared bits of the SDK suites: one realistic emulator per module (default configuration, as
the official clients would meet OpenRouter), the request bodies they send, and a count of the
calls each suite checks (printed at the end of the module, quoted in docs/openrouter-behaviour.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest

from openrouter_emulator import EmulatorHandle, run_in_thread

KEY = "sk-or-v1-fake-sdk-suite-key-0000000000000001"
GPT = "openai/gpt-4o"
REASONER = "anthropic/claude-sonnet-4.5"  # reasoning with a signed `reasoning.text` detail
OPENAI_REASONER = "openai/gpt-5.4"  # reasoning as summaries plus an encrypted detail
WEATHER_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather of a city",
        "parameters": {"type": "object", "properties": {
            "city": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"]}},
            "required": ["city", "unit"]},
    },
}
ERROR_STATUSES = [400, 401, 402, 403, 404, 408, 413, 422, 429, 500, 502, 503, 524, 529]
T = TypeVar("T")


class CallCount:
    """SDK calls made by one suite (each one is an HTTP request the emulator records)."""

    def __init__(self) -> None:
        self.total = 0


@pytest.fixture(scope="module")
def calls() -> Iterator[CallCount]:
    count = CallCount()
    yield count
    print(f"\n{count.total} SDK calls checked")


@pytest.fixture(scope="module")
def running_emulator(calls: CallCount) -> Iterator[EmulatorHandle]:
    with run_in_thread(tokens_per_second=0, api_keys=[KEY]) as emulator:
        yield emulator
        calls.total += _api_calls(emulator)


@pytest.fixture
def emulator(running_emulator: EmulatorHandle, calls: CallCount) -> EmulatorHandle:
    calls.total += _api_calls(running_emulator)
    running_emulator.reset()
    return running_emulator


def _api_calls(emulator: EmulatorHandle) -> int:
    return sum(1 for r in emulator.requests() if r["path"].startswith("/api/v1/"))


def user(text: str = "Hello from an SDK") -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


def eventually(fetch: Callable[[], T | None], attempts: int = 100) -> T:
    """Polls `fetch` until it returns a value: bounded by attempts, not by a clock."""
    for _ in range(attempts):
        value = fetch()
        if value is not None:
            return value
        time.sleep(0.05)
    raise AssertionError(f"no value after {attempts} attempts")
