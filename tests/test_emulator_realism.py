"""The emulator's imitation of real OpenRouter details (docs/openrouter-behaviour.md), each
with the switch that turns it off."""

# ruff: noqa: F811  (pytest fixtures imported from emulator_helpers are redefined as arguments)
from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

import httpx
import pytest
from tests.support.emulator import (  # noqa: F401  (fixtures)
    AUTH,
    chat_body,
    client,
    content_of,
    emulator,
    running,
    stream_chat,
    usage_of,
)

from openrouter_emulator import EmulatorHandle, run_in_thread
from openrouter_emulator.cli import build_parser, config_from_args
from openrouter_emulator.faults import with_rate_limit_headers
from openrouter_emulator.state import MINIMAL

TOOL = {"type": "function", "function": {"name": "lookup", "parameters": {
    "type": "object", "properties": {"query": {"type": "string"}, "limit": {"type": "integer"},
                                     "exact": {"type": "boolean"}},
    "required": ["query", "limit"]}}}
OTHER_TOOL = {"type": "function", "function": {"name": "other", "parameters": {}}}


def data_chunks(events: list[Any]) -> list[dict[str, Any]]:
    return [e for e in events if isinstance(e, dict)]


# -- stream shape -------------------------------------------------------------------------------

def test_stream_opens_with_a_comment_and_a_role_only_chunk(client: httpx.Client) -> None:
    _, events = stream_chat(client, chat_body(max_tokens=3))
    assert events[0] == (":", "OPENROUTER PROCESSING")
    first = events[1]["choices"][0]
    assert first["delta"] == {"role": "assistant", "content": "", "reasoning": None,
                              "reasoning_details": []}
    assert first["finish_reason"] is None and first["logprobs"] is None
    for chunk in data_chunks(events)[1:-2]:  # every content delta carries the null keys
        delta = chunk["choices"][0]["delta"]
        assert delta["reasoning"] is None and delta["reasoning_details"] == []


def test_stream_shape_switches_off(client: httpx.Client, emulator: EmulatorHandle) -> None:
    emulator.configure(processing_comments=False, role_first_chunk=False, null_delta_keys=False)
    _, events = stream_chat(client, chat_body(max_tokens=3))
    assert events[0]["choices"][0]["delta"] == {"role": "assistant", "content": "[emu"}
    assert "logprobs" not in events[0]["choices"][0]


def test_usage_chunk_shape_is_per_request_and_deterministic(client: httpx.Client) -> None:
    shapes = []
    for prompt in ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"):
        body = chat_body(prompt, max_tokens=2)
        last = [data_chunks(stream_chat(client, body)[1])[-1] for _ in range(2)]
        assert last[0]["choices"] == last[1]["choices"]  # same request, same shape
        shapes.append(len(last[0]["choices"]))
        assert last[0]["usage"]["completion_tokens"] == 2
    assert set(shapes) == {0, 1}  # both real shapes occur


@pytest.mark.parametrize("shape", ["empty_choices", "with_choice"])
def test_usage_chunk_shape_can_be_fixed(client: httpx.Client, emulator: EmulatorHandle,
                                        shape: str) -> None:
    emulator.configure(usage_chunk=shape)
    for prompt in ("alpha", "beta", "gamma"):
        _, events = stream_chat(client, chat_body(prompt, max_tokens=2))
        last = data_chunks(events)[-1]
        if shape == "with_choice":
            assert last["choices"] == [{"index": 0, "delta": {"role": "assistant", "content": ""},
                                        "finish_reason": None, "native_finish_reason": None,
                                        "logprobs": None}]
        else:
            assert last["choices"] == []


# -- reasoning ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("model", "kinds", "fmt"), [
    ("anthropic/claude-sonnet-4.5", ["reasoning.text"], "anthropic-claude-v1"),
    ("openai/gpt-5.4", ["reasoning.summary", "reasoning.encrypted"], "openai-responses-v1"),
    ("google/gemini-3.5-flash", ["reasoning.text", "reasoning.encrypted"], "google-gemini-v1"),
    ("deepseek/deepseek-r1", ["reasoning.text"], "unknown"),
])
def test_reasoning_details_by_family(client: httpx.Client, model: str, kinds: list[str],
                                     fmt: str) -> None:
    body = chat_body(model=model, max_tokens=40, reasoning={"effort": "high"})
    _, events = stream_chat(client, body)
    details = [d for c in data_chunks(events) if c["choices"]
               for d in c["choices"][0]["delta"].get("reasoning_details") or []]
    assert list(dict.fromkeys(d["type"] for d in details)) == kinds
    assert {d["format"] for d in details} == {fmt}
    streamed = "".join(d.get("text") or d.get("summary") or "" for d in details
                       if d["type"] != "reasoning.encrypted")
    message = client.post("/chat/completions", json=body, headers=AUTH).json()[
        "choices"][0]["message"]
    assert streamed == message["reasoning"]
    assert [d["type"] for d in message["reasoning_details"]] == kinds
    if fmt == "anthropic-claude-v1":
        assert details[-1]["signature"] == message["reasoning_details"][0]["signature"]


def test_reasoning_details_switch_off(client: httpx.Client, emulator: EmulatorHandle) -> None:
    emulator.configure(reasoning_details=False)
    body = chat_body(model="openai/gpt-5.4", max_tokens=40, reasoning={"effort": "high"})
    _, events = stream_chat(client, body)
    assert all(c["choices"][0]["delta"]["reasoning_details"] == []
               for c in data_chunks(events) if c["choices"])
    message = client.post("/chat/completions", json=body, headers=AUTH).json()[
        "choices"][0]["message"]
    assert message["reasoning"] and "reasoning_details" not in message


def test_catalogue_reasoning_metadata(client: httpx.Client) -> None:
    models = {m["id"]: m for m in client.get("/models").json()["data"]}
    assert models["openai/gpt-5.4"]["reasoning"] == {
        "supported_efforts": ["xhigh", "high", "medium", "low", "minimal"],
        "default_effort": "medium", "default_enabled": True, "mandatory": True,
        "supports_max_tokens": False}
    claude = models["anthropic/claude-sonnet-4.5"]["reasoning"]
    assert claude["mandatory"] is False and claude["supported_efforts"][-1] == "none"
    assert claude["supports_max_tokens"] is True
    assert "reasoning" not in models["openai/gpt-4o"]


# -- tools --------------------------------------------------------------------------------------

def test_tools_stream_a_call_in_pieces(client: httpx.Client, emulator: EmulatorHandle) -> None:
    emulator.configure(chunk_tokens=2)
    _, events = stream_chat(client, chat_body("find it", tools=[TOOL]))
    calls = [tc for c in data_chunks(events) if c["choices"]
             for tc in c["choices"][0]["delta"].get("tool_calls") or []]
    assert calls[0]["id"].startswith("call_") and calls[0]["function"]["name"] == "lookup"
    assert all(set(c) == {"index", "function"} for c in calls[1:])  # pieces extend arguments
    arguments = "".join(c["function"]["arguments"] for c in calls)
    assert json.loads(arguments) == {"query": "emulator", "limit": 1}
    assert content_of(events) == ""
    finish = [c["choices"][0]["finish_reason"] for c in data_chunks(events) if c["choices"]]
    assert "tool_calls" in finish and "stop" not in finish
    assert usage_of(events)["completion_tokens"] == -(-len(arguments) // 4)
    whole = client.post("/chat/completions", json=chat_body("find it", tools=[TOOL]),
                        headers=AUTH).json()["choices"][0]
    assert whole["finish_reason"] == "tool_calls"
    assert whole["message"]["tool_calls"][0]["function"]["arguments"] == arguments


@pytest.mark.parametrize(("extra", "called"), [
    ({"tool_choice": "none"}, None),
    ({"tool_choice": {"type": "function", "function": {"name": "other"}}}, "other"),
    ({"tool_choice": "required", "messages": [
        {"role": "user", "content": "x"}, {"role": "tool", "tool_call_id": "c", "content": "1"}]},
     "lookup"),
    ({"messages": [
        {"role": "user", "content": "x"}, {"role": "tool", "tool_call_id": "c", "content": "1"}]},
     None),
    ({"model": "meta-llama/llama-3-8b-instruct"}, None),  # a model without tools
])
def test_when_a_tool_is_called(client: httpx.Client, extra: dict[str, Any],
                               called: str | None) -> None:
    body = chat_body("find it", tools=[TOOL, OTHER_TOOL], max_tokens=5, **extra)
    message = client.post("/chat/completions", json=body, headers=AUTH).json()[
        "choices"][0]["message"]
    names = [c["function"]["name"] for c in message.get("tool_calls") or []]
    assert names == ([called] if called else [])
    assert bool(message["content"]) is (called is None)


def test_tool_calls_switch_off(client: httpx.Client, emulator: EmulatorHandle) -> None:
    emulator.configure(tool_calls=False)
    result = client.post("/chat/completions", json=chat_body(tools=[TOOL]), headers=AUTH).json()
    assert result["choices"][0]["finish_reason"] == "stop"
    assert "tool_calls" not in result["choices"][0]["message"]


# -- images -------------------------------------------------------------------------------------

IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64," + "A" * 4000}}


def test_images_count_as_image_tokens(client: httpx.Client) -> None:
    message = {"role": "user", "content": [{"type": "text", "text": "what is it"}, IMAGE]}
    result = client.post("/chat/completions", json=chat_body(messages=[message]),
                         headers=AUTH).json()
    assert result["usage"]["prompt_tokens"] == 4 + 3 + 1600  # overhead, 10 characters, image


def test_a_model_without_image_input_refuses_images(client: httpx.Client) -> None:
    body = chat_body(model="meta-llama/llama-3-8b-instruct",
                     messages=[{"role": "user", "content": [IMAGE]}])
    response = client.post("/chat/completions", json=body, headers=AUTH)
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "No endpoints found that support image input"


# -- errors -------------------------------------------------------------------------------------

def test_mid_stream_error_code_as_documented(client: httpx.Client,
                                             emulator: EmulatorHandle) -> None:
    emulator.add_fault(route="/chat/completions", mode="error_chunk_mid_stream")
    _, events = stream_chat(client, chat_body())
    error = events[-1]["error"]
    assert error["code"] == "server_error"
    assert error["message"] == "Provider disconnected unexpectedly"
    assert error["metadata"]["provider_name"] == "OpenAI"
    emulator.add_fault(route="/chat/completions", mode="error_chunk_mid_stream", status=429)
    assert stream_chat(client, chat_body())[1][-1]["error"]["code"] == 429  # explicit: numeric
    emulator.configure(string_error_codes=False)
    emulator.add_fault(route="/chat/completions", mode="error_chunk_before_content")
    assert stream_chat(client, chat_body())[1][-1]["error"]["code"] == 502


def test_429_carries_rate_limit_headers(client: httpx.Client, emulator: EmulatorHandle) -> None:
    emulator.add_fault(route="/chat/completions", status=429)
    before = time.time()
    response = client.post("/chat/completions", json=chat_body(), headers=AUTH)
    assert response.headers["retry-after"] == "1"
    assert response.headers["x-ratelimit-limit"] == "20"
    assert response.headers["x-ratelimit-remaining"] == "0"
    assert int(response.headers["x-ratelimit-reset"]) >= int(before * 1000) + 1000
    emulator.configure(rate_limit_headers=False)
    emulator.add_fault(route="/chat/completions", status=429)
    bare = client.post("/chat/completions", json=chat_body(), headers=AUTH)
    assert "retry-after" not in bare.headers and "x-ratelimit-reset" not in bare.headers


def test_rate_limit_headers_agree_with_what_the_fault_gives() -> None:
    now = 1_800_000_000.0
    from_reset = with_rate_limit_headers({"X-RateLimit-Reset": str(int((now + 45) * 1000))}, now)
    assert from_reset["Retry-After"] == "45"
    from_retry = with_rate_limit_headers({"Retry-After": "30"}, now)
    assert from_retry["X-RateLimit-Reset"] == str(int((now + 30) * 1000))
    assert from_retry["Retry-After"] == "30"  # what the fault gives is kept


# -- /generation, cost, account -----------------------------------------------------------------

def test_generation_is_404_until_the_delay_passed(client: httpx.Client,
                                                   emulator: EmulatorHandle) -> None:
    emulator.configure(generation_delay_seconds=3600)
    gen_id = client.post("/chat/completions", json=chat_body(), headers=AUTH).headers[
        "x-generation-id"]
    early = client.get("/generation", params={"id": gen_id}, headers=AUTH)
    assert early.status_code == 404 and early.json()["error"]["code"] == 404
    emulator.configure(generation_delay_seconds=0)  # applies to generations already made
    assert client.get("/generation", params={"id": gen_id}, headers=AUTH).status_code == 200


def test_costs_have_no_float_noise(client: httpx.Client) -> None:
    usage = client.post("/chat/completions", json=chat_body("Hello there", max_tokens=8),
                        headers=AUTH).json()["usage"]
    # 7 prompt tokens x 0.0000025 + 8 x 0.00001 (float arithmetic: 0.00009750000000000001)
    assert usage["prompt_tokens"] == 7 and usage["cost"] == 0.0000975


def test_key_reports_budgets_and_free_requests(client: httpx.Client,
                                               emulator: EmulatorHandle) -> None:
    emulator.configure(key_limit=5, is_free_tier=True)
    client.post("/chat/completions", json=chat_body(model="openai/gpt-oss-120b:free"),
                headers=AUTH)
    data = client.get("/key", headers=AUTH).json()["data"]
    assert data["free_model_daily_requests"] == {"limit": 50, "used": 1, "remaining": 49}
    assert data["budgets"] == [data["effective_budget"]]
    assert data["effective_budget"]["scope"] == "key_limit"
    assert data["effective_budget"]["limit_usd"] == 5
    assert data["organization_id"] is None and data["workspace_id"] is None


def test_models_root_counts_and_links(client: httpx.Client) -> None:
    page = client.get("/models", params={"limit": 100, "offset": 300}).json()
    assert page["total_count"] == len(client.get("/models").json()["data"])
    assert len(page["data"]) == page["total_count"] - 300 and page["links"]["next"] is None


def test_synthetic_endpoints_have_the_current_fields(client: httpx.Client) -> None:
    endpoint = client.get("/models/meta-llama/llama-3-8b-instruct/endpoints").json()[
        "data"]["endpoints"][0]
    assert endpoint["supports_tool_choice"] == dict.fromkeys(
        ("auto", "none", "required", "function"), False)
    assert endpoint["native_tools"] == {} and endpoint["service_tier"] is None
    assert endpoint["supports_voice_cloning"] is False


# -- switches -----------------------------------------------------------------------------------

def test_control_route_takes_the_switches(emulator: EmulatorHandle) -> None:
    config_url = f"{emulator.origin}/_emulator/config"
    changed = httpx.post(config_url, json={"usageChunk": "with_choice", "toolCalls": False,
                                           "generationDelaySeconds": 0}).json()["config"]
    assert changed["usageChunk"] == "with_choice" and changed["toolCalls"] is False
    assert httpx.post(config_url, json={"usageChunk": "sideways"}).status_code == 400
    assert httpx.post(config_url, json={"generationDelaySeconds": -1}).status_code == 400


def test_minimal_start_and_cli_switches() -> None:
    with run_in_thread(tokens_per_second=0, minimal=True) as emulator, \
            httpx.Client(base_url=emulator.base_url) as http:
        _, events = stream_chat(http, chat_body(max_tokens=2))
        assert events[0]["choices"][0]["delta"] == {"role": "assistant", "content": "[emu"}
        assert events[-2]["choices"] == []
    args = build_parser().parse_args(["--no", "tool-calls", "--no", "processing-comments",
                                      "--usage-chunk", "with_choice"])
    config = config_from_args(args)
    assert config.tool_calls is False and config.processing_comments is False
    assert config.role_first_chunk is True and config.usage_chunk == "with_choice"
    minimal = config_from_args(build_parser().parse_args(["--minimal"]))
    assert all(getattr(minimal, name) == value for name, value in MINIMAL.items())


def test_cli_help_lists_the_realisms() -> None:
    shown = subprocess.run([sys.executable, "-m", "openrouter_emulator", "--help"],
                           capture_output=True, text=True, check=True).stdout
    assert "--minimal" in shown and "string-error-codes" in shown
