"""The OpenRouter emulator over real HTTP: routes, auth, chat, middle-out, caching, faults,
request recording and disconnect detection."""

# ruff: noqa: F811  (pytest fixtures imported from emulator_helpers are redefined as arguments)
from __future__ import annotations

import json
import subprocess
import sys
import time
from importlib import resources
from typing import Any

import httpx
import pytest
from tests.support.emulator import (  # noqa: F401  (fixtures)
    AUTH,
    KEY,
    chat_body,
    client,
    content_of,
    emulator,
    parse_sse,
    running,
    stream_chat,
    usage_of,
)

from openrouter_emulator import EmulatorHandle, run_in_thread
from openrouter_emulator.synth import prompt_tokens

DATA = resources.files("openrouter_emulator").joinpath("data")


def _model(model_id: str) -> dict[str, Any]:
    models = json.loads(DATA.joinpath("models-2026-06-16.json").read_text())["data"]
    found: dict[str, Any] = next(m for m in models if m["id"] == model_id)
    return found


def wait_for(predicate: Any, timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


# -- lifecycle --------------------------------------------------------------------------------

def test_starts_fast_on_a_free_port_and_stops_cleanly() -> None:
    started = time.perf_counter()
    with run_in_thread(api_keys=[KEY]) as emu:
        elapsed = time.perf_counter() - started
        assert emu.base_url == f"{emu.origin}/api/v1"
        assert emu.origin.startswith("http://127.0.0.1:")
        assert httpx.get(f"{emu.base_url}/providers").status_code == 200
    assert elapsed < 0.5
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{emu.base_url}/providers")


def test_cli_prints_the_listening_line_and_serves() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "openrouter_emulator", "--port", "0",
                             "--api-key", KEY, "--tokens-per-second", "0"],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("OpenRouter emulator listening on http://127.0.0.1:")
        base = line.rsplit(" ", 1)[1]
        assert base.endswith("/api/v1")
        assert httpx.get(f"{base}/key", headers=AUTH).status_code == 200
        other = {"Authorization": "Bearer sk-or-v1-other"}
        assert httpx.get(f"{base}/key", headers=other).status_code == 401
    finally:
        proc.terminate()
        proc.wait(5)


# -- catalogue --------------------------------------------------------------------------------

def test_models_serves_the_snapshot_without_a_key(client: httpx.Client) -> None:
    body = client.get("/models").json()
    data = body["data"]
    snapshot = json.loads(DATA.joinpath("models-2026-06-16.json").read_text())["data"]
    text_models = [m for m in snapshot if "text" in m["architecture"]["output_modalities"]]
    # The capture, plus the `reasoning` object the current API adds (test_emulator_realism).
    assert [{k: v for k, v in m.items() if k != "reasoning"} for m in data] == text_models
    assert body["total_count"] == len(text_models) and body["links"] == {"next": None}
    assert len(client.get("/models", params={"output_modalities": "all"}).json()["data"]) == 337


def test_models_filters(client: httpx.Client) -> None:
    tools = client.get("/models", params={"supported_parameters": "tools,reasoning"}).json()
    assert tools["data"]
    assert all({"tools", "reasoning"} <= set(m["supported_parameters"]) for m in tools["data"])
    paged = client.get("/models", params={"offset": 2, "limit": 3}).json()
    page = paged["data"]
    assert [m["id"] for m in page] == [m["id"] for m in client.get("/models").json()["data"]][2:5]
    assert paged["links"]["next"] == "/api/v1/models?offset=5&limit=3"
    images = client.get("/models", params={"output_modalities": "image"}).json()["data"]
    assert images and all("image" in m["architecture"]["output_modalities"] for m in images)


def test_endpoints_real_sample_for_gpt_4o(client: httpx.Client) -> None:
    body = client.get("/models/openai/gpt-4o/endpoints").json()
    real = json.loads(DATA.joinpath("endpoints-openai-gpt-4o.json").read_text())
    served = body["data"].pop("endpoints")
    captured = real["data"].pop("endpoints")
    assert body == real
    # Each captured endpoint, plus the fields the current API adds (captured values kept).
    assert [{k: e[k] for k in c} for e, c in zip(served, captured, strict=True)] == captured
    assert all(e["native_tools"] == {} and e["supports_diarization"] is False for e in served)


def test_endpoints_synthesised_and_marked(client: httpx.Client) -> None:
    first = client.get("/models/anthropic/claude-sonnet-4.5/endpoints").json()["data"]
    assert first["x_emulator_synthetic"] is True
    assert "synthetic" in first["description"]
    assert 1 <= len(first["endpoints"]) <= 3
    endpoint = first["endpoints"][0]
    assert endpoint["provider_name"] == "Anthropic" and endpoint["tag"] == "anthropic"
    assert endpoint["pricing"]["prompt"] == _model("anthropic/claude-sonnet-4.5")["pricing"][
        "prompt"]
    assert client.get("/models/anthropic/claude-sonnet-4.5/endpoints").json()["data"] == first
    free = client.get("/models/openai/gpt-oss-120b:free/endpoints")
    assert free.status_code == 200
    assert free.json()["data"]["id"] == "openai/gpt-oss-120b:free"


def test_endpoints_unknown_model_is_404(client: httpx.Client) -> None:
    response = client.get("/models/nobody/nothing/endpoints")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == 404


def test_providers(client: httpx.Client) -> None:
    data = client.get("/providers").json()["data"]
    assert {"OpenAI", "Anthropic", "DeepInfra"} <= {p["name"] for p in data}


# -- account ----------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/key", "/auth/key", "/credits", "/generation?id=gen-1"])
def test_account_routes_need_a_key(client: httpx.Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 401
    assert response.json() == {"error": {"code": 401, "message": "No auth credentials found"}}
    bad = client.get(path, headers={"Authorization": "Bearer not-a-key"})
    assert bad.status_code == 401


def test_configured_keys_only(client: httpx.Client, emulator: EmulatorHandle) -> None:
    emulator.configure(api_keys=["sk-or-v1-good"])
    assert client.get("/key", headers=AUTH).status_code == 401
    good = client.get("/key", headers={"Authorization": "Bearer sk-or-v1-good"})
    assert good.status_code == 200


@pytest.mark.parametrize("path", ["/key", "/auth/key"])
def test_key(client: httpx.Client, emulator: EmulatorHandle, path: str) -> None:
    emulator.configure(key_limit=10.0)
    data = client.get(path, headers=AUTH).json()["data"]
    assert data["label"] == "sk-or-v1-fak...1c96"
    assert data["limit"] == 10.0 and data["usage"] == 0.0 and data["limit_remaining"] == 10.0
    assert data["is_free_tier"] is False


def test_credits_follow_usage(client: httpx.Client) -> None:
    assert client.get("/credits", headers=AUTH).json() == {
        "data": {"total_credits": 100.0, "total_usage": 0.0}}
    cost = client.post("/chat/completions", json=chat_body(), headers=AUTH).json()["usage"][
        "cost"]
    assert client.get("/credits", headers=AUTH).json()["data"]["total_usage"] == cost


def test_generation_records_completed_chats(client: httpx.Client,
                                           emulator: EmulatorHandle) -> None:
    emulator.configure(generation_delay_seconds=0)
    response, events = stream_chat(client, chat_body(max_tokens=7))
    gen_id = response.headers["x-generation-id"]
    data = client.get("/generation", params={"id": gen_id}, headers=AUTH).json()["data"]
    usage = usage_of(events)
    assert data["id"] == gen_id and data["model"] == "openai/gpt-4o"
    assert data["provider_name"] == "OpenAI" and data["streamed"] is True
    assert data["cancelled"] is False and data["finish_reason"] == "stop"
    assert data["tokens_prompt"] == usage["prompt_tokens"]
    assert data["tokens_completion"] == 7 and data["total_cost"] == usage["cost"]
    missing = client.get("/generation", params={"id": "gen-nope"}, headers=AUTH)
    assert missing.status_code == 404


# -- chat -------------------------------------------------------------------------------------

def test_stream_shape(client: httpx.Client) -> None:
    response, events = stream_chat(client, chat_body(max_tokens=10))
    assert response.headers["content-type"].startswith("text/event-stream")
    assert events[0] == (":", "OPENROUTER PROCESSING") and events[-1] == "[DONE]"
    chunks = events[1:-1]
    gen_id = response.headers["x-generation-id"]
    assert gen_id.startswith("gen-")
    for chunk in chunks:
        assert chunk["id"] == gen_id and chunk["object"] == "chat.completion.chunk"
        assert chunk["provider"] == "OpenAI" and chunk["model"] == "openai/gpt-4o"
    assert chunks[0]["choices"][0]["delta"] == {
        "role": "assistant", "content": "", "reasoning": None, "reasoning_details": []}
    assert "usage" in chunks[-1] and "usage" not in chunks[-2]
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    text = content_of(chunks)
    assert text.startswith("[emulator] This is a"[: len(text)])
    # the role chunk, one token per chunk, the finish chunk, the usage chunk
    assert len(chunks) == 1 + 10 + 2


def test_reply_is_synthetic_deterministic_and_bounded(client: httpx.Client) -> None:
    body = chat_body("Write a poem", max_tokens=40)
    first = client.post("/chat/completions", json=body, headers=AUTH).json()
    again = client.post("/chat/completions", json=body, headers=AUTH).json()
    other = client.post("/chat/completions", json=chat_body("Other", max_tokens=40),
                        headers=AUTH).json()
    text = first["choices"][0]["message"]["content"]
    assert text.startswith("[emulator] This is a synthetic reply from the OpenRouter emulator")
    assert text == again["choices"][0]["message"]["content"]
    assert text != other["choices"][0]["message"]["content"]
    assert first["usage"]["completion_tokens"] == 40 and len(text) <= 160
    default = client.post("/chat/completions", json=chat_body(), headers=AUTH).json()
    assert default["usage"]["completion_tokens"] == 64


def test_stream_and_non_stream_agree(client: httpx.Client) -> None:
    body = chat_body("same", max_tokens=20)
    whole = client.post("/chat/completions", json=body, headers=AUTH).json()
    _, events = stream_chat(client, body)
    assert content_of(events) == whole["choices"][0]["message"]["content"]
    assert usage_of(events)["cost"] == whole["usage"]["cost"]


def test_chunk_tokens_and_speed(client: httpx.Client, emulator: EmulatorHandle) -> None:
    emulator.configure(chunk_tokens=5, role_first_chunk=False, usage_chunk="empty_choices")
    _, events = stream_chat(client, chat_body(max_tokens=20))
    assert len([e for e in events if isinstance(e, dict) and e["choices"]]) == 4 + 1
    emulator.configure(tokens_per_second=200, chunk_tokens=1)
    started = time.perf_counter()
    stream_chat(client, chat_body(max_tokens=40))
    assert 0.15 < time.perf_counter() - started < 2.0


def test_cost_arithmetic(client: httpx.Client) -> None:
    prices = _model("openai/gpt-4o")["pricing"]
    body = chat_body("x" * 400, max_tokens=30)
    usage = client.post("/chat/completions", json=body, headers=AUTH).json()["usage"]
    assert usage["prompt_tokens"] == prompt_tokens(body["messages"]) == 104
    expected = 104 * float(prices["prompt"]) + 30 * float(prices["completion"])
    assert usage["cost"] == pytest.approx(expected)
    assert usage["total_tokens"] == 134 and usage["is_byok"] is False


def test_unknown_model_and_variants(client: httpx.Client) -> None:
    bad = client.post("/chat/completions", json=chat_body(model="nobody/nothing"), headers=AUTH)
    assert bad.status_code == 400
    assert bad.json()["error"] == {"code": 400, "message": "nobody/nothing is not a valid model "
                                   "ID", "metadata": {"error_type": "invalid_request"}}
    nitro = client.post("/chat/completions", json=chat_body(model="openai/gpt-4o:nitro"),
                        headers=AUTH)
    assert nitro.status_code == 200 and nitro.json()["model"] == "openai/gpt-4o:nitro"
    fallback = chat_body(model="nobody/nothing", models=["openai/gpt-4o"])
    assert client.post("/chat/completions", json=fallback, headers=AUTH).status_code == 200
    assert client.post("/chat/completions", json=chat_body()).status_code == 401


def test_provider_routing_reports_the_chosen_provider(client: httpx.Client) -> None:
    body = chat_body(provider={"order": ["azure"], "allow_fallbacks": False, "unknown": 1})
    assert client.post("/chat/completions", json=body, headers=AUTH).json()["provider"] == "Azure"
    tag = client.get("/models/meta-llama/llama-3-70b-instruct/endpoints").json()["data"][
        "endpoints"][-1]
    body = chat_body(model="meta-llama/llama-3-70b-instruct", provider={"only": [tag["tag"]]})
    _, events = stream_chat(client, body)
    assert {e["provider"] for e in events if isinstance(e, dict)} == {tag["provider_name"]}
    none = chat_body(provider={"only": ["nowhere"]})
    assert client.post("/chat/completions", json=none, headers=AUTH).status_code == 404


def test_reasoning_deltas_for_reasoning_models(client: httpx.Client) -> None:
    body = chat_body(model="deepseek/deepseek-r1", reasoning={"effort": "low"}, max_tokens=40)
    _, events = stream_chat(client, body)
    reasoning = "".join(e["choices"][0]["delta"].get("reasoning") or ""
                        for e in events if isinstance(e, dict) and e["choices"])
    assert reasoning.startswith("[emulator] Synthetic reasoning")
    usage = usage_of(events)
    assert usage["completion_tokens_details"]["reasoning_tokens"] == 10
    assert usage["completion_tokens"] == 40


def test_legacy_and_current_request_forms_are_recorded(client: httpx.Client,
                                                       emulator: EmulatorHandle) -> None:
    body = chat_body(transforms=["middle-out"], usage={"include": True},
                     plugins=[{"id": "context-compression", "enabled": True}],
                     stream_options={"include_usage": True}, session_id="conv-1")
    headers = {**AUTH, "X-Title": "Legacy", "X-OpenRouter-Title": "Current",
               "HTTP-Referer": "https://example.test"}
    assert client.post("/chat/completions", json=body, headers=headers).status_code == 200
    [record] = emulator.requests()
    assert record["method"] == "POST" and record["path"] == "/api/v1/chat/completions"
    assert record["body"] == body and record["disconnected"] is False
    assert record["headers"]["x-title"] == "Legacy"
    assert record["headers"]["x-openrouter-title"] == "Current"
    assert record["receivedAt"].endswith("Z")
    client.get("/models", params={"limit": "2"})
    assert emulator.requests()[-1]["query"] == {"limit": "2"}


# -- middle-out and context length ------------------------------------------------------------

def _long_chat(model: str, messages: int = 12, chars: int = 4000, **extra: Any) -> dict[str, Any]:
    history = [{"role": "user" if i % 2 == 0 else "assistant", "content": f"{i} " + "y" * chars}
               for i in range(messages)]
    body: dict[str, Any] = {"model": model, "max_tokens": 100,
                            "messages": [{"role": "system", "content": "be brief"}, *history]}
    body.update(extra)
    return body


def test_middle_out_is_default_for_small_contexts(client: httpx.Client) -> None:
    body = _long_chat("openai/gpt-4")  # context 8191, prompt ~12,000 tokens
    assert prompt_tokens(body["messages"]) > 8191
    response = client.post("/chat/completions", json=body, headers=AUTH)
    assert response.status_code == 200
    usage = response.json()["usage"]
    assert usage["prompt_tokens"] + 100 <= 8191


@pytest.mark.parametrize("switch", [{"transforms": []},
                                    {"plugins": [{"id": "context-compression",
                                                  "enabled": False}]}])
def test_middle_out_disabled_gives_the_context_error(client: httpx.Client,
                                                     switch: dict[str, Any]) -> None:
    body = _long_chat("openai/gpt-4", **switch)
    response = client.post("/chat/completions", json=body, headers=AUTH)
    assert response.status_code == 400
    prompt = prompt_tokens(body["messages"])
    assert response.json()["error"]["message"] == (
        f"This endpoint's maximum context length is 8191 tokens. However, you requested about "
        f"{prompt + 100} tokens ({prompt} of text input, 100 in the output). Please reduce the "
        "length of either one, or use the \"middle-out\" transform to compress your prompt "
        "automatically.")
    assert response.json()["error"]["metadata"]["error_type"] == "context_length_exceeded"


def test_middle_out_on_request_for_large_contexts(client: httpx.Client) -> None:
    big = _long_chat("openai/gpt-4o", messages=40, chars=14000)  # ~140k tokens > 128k
    assert client.post("/chat/completions", json=big, headers=AUTH).status_code == 400
    big["transforms"] = ["middle-out"]
    response = client.post("/chat/completions", json=big, headers=AUTH)
    assert response.status_code == 200
    assert response.json()["usage"]["prompt_tokens"] <= 128000 - 100


def test_middle_out_truncates_a_single_huge_message(client: httpx.Client) -> None:
    body = chat_body("z" * 60000, model="openai/gpt-4", max_tokens=50)
    usage = client.post("/chat/completions", json=body, headers=AUTH).json()["usage"]
    assert 7000 < usage["prompt_tokens"] <= 8191 - 50


# -- prompt caching ---------------------------------------------------------------------------

def test_cache_control_prefix_writes_then_hits(client: httpx.Client) -> None:
    model = "anthropic/claude-sonnet-4.5"
    prices = {k: float(v) for k, v in _model(model)["pricing"].items()}
    system = {"role": "system", "content": [
        {"type": "text", "text": "s" * 4000, "cache_control": {"type": "ephemeral"}}]}
    body = {"model": model, "max_tokens": 10,
            "messages": [system, {"role": "user", "content": "first question"}]}
    first = client.post("/chat/completions", json=body, headers=AUTH).json()["usage"]
    prefix = prompt_tokens([system])
    assert first["prompt_tokens_details"] == {"cached_tokens": 0, "cache_write_tokens": prefix,
                                              "audio_tokens": 0}
    body["messages"][1]["content"] = "second question"
    _, events = stream_chat(client, body)
    second = usage_of(events)
    assert second["prompt_tokens_details"]["cached_tokens"] == prefix
    assert second["prompt_tokens_details"]["cache_write_tokens"] == 0
    fresh = second["prompt_tokens"] - prefix
    expected = (fresh * prices["prompt"] + prefix * prices["input_cache_read"]
                + 10 * prices["completion"])
    assert second["cost"] == pytest.approx(expected)
    write_cost = ((first["prompt_tokens"] - prefix) * prices["prompt"]
                  + prefix * prices["input_cache_write"] + 10 * prices["completion"])
    assert first["cost"] == pytest.approx(write_cost)


def test_no_cache_without_breakpoints(client: httpx.Client) -> None:
    body = chat_body("plain", model="anthropic/claude-sonnet-4.5")
    for _ in range(2):
        usage = client.post("/chat/completions", json=body, headers=AUTH).json()["usage"]
        assert usage["prompt_tokens_details"]["cached_tokens"] == 0


async def test_concurrent_streams_do_not_cross(emulator: EmulatorHandle) -> None:
    import asyncio

    async def one(http: httpx.AsyncClient, n: int) -> tuple[int, str, set[str], str]:
        body = {**chat_body(f"prompt number {n}", max_tokens=30), "stream": True}
        async with http.stream("POST", "/chat/completions", json=body, headers=AUTH) as resp:
            raw = (await resp.aread()).decode()
        events = parse_sse(raw)
        ids = {e["id"] for e in events if isinstance(e, dict)}
        return n, content_of(events), ids, resp.headers["x-generation-id"]

    async with httpx.AsyncClient(base_url=emulator.base_url, timeout=20) as http:
        results = await asyncio.gather(*(one(http, n) for n in range(50)))
        reference = {n: (await http.post("/chat/completions", headers=AUTH, json=chat_body(
            f"prompt number {n}", max_tokens=30))).json()["choices"][0]["message"]["content"]
            for n in (0, 17, 49)}
    assert len({gen for *_, gen in results}) == 50
    for n, text, ids, gen_id in results:
        assert ids == {gen_id}
        if n in reference:
            assert text == reference[n]


def test_unknown_paths_are_recorded_404s(client: httpx.Client, emulator: EmulatorHandle) -> None:
    assert client.get("/nothing/here").status_code == 404
    outside = httpx.post(f"{emulator.origin}/chat/completions", json=chat_body())
    assert outside.status_code == 404 and outside.json()["error"]["code"] == 404
    assert [r["path"] for r in emulator.requests()] == ["/api/v1/nothing/here",
                                                        "/chat/completions"]
