"""Every emulator response validated against OpenRouter's official OpenAPI 3.1 description
(tests/fixtures/openapi-2026-08-22.yaml; OpenAPI 3.1 schemas are JSON Schema 2020-12)."""

# ruff: noqa: F811  (pytest fixtures imported from emulator_helpers are redefined as arguments)
from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.support.emulator import (  # noqa: F401  (fixtures)
    AUTH,
    chat_body,
    client,
    emulator,
    running,
    stream_chat,
)
from tests.support.openapi import OpenApi, check, spec  # noqa: F401  (fixture)

from openrouter_emulator import EmulatorHandle


def test_models(spec: OpenApi, client: httpx.Client) -> None:
    body = client.get("/models", params={"output_modalities": "all"}).json()
    check(spec.component("X-ModelsListResponse-AsCaptured"), body)
    model = spec.component("Model")
    for item in body["data"]:
        check(model, item)


def test_endpoints_of_every_model(spec: OpenApi, client: httpx.Client) -> None:
    validator = spec.response("/models/{author}/{slug}/endpoints")
    models = client.get("/models", params={"output_modalities": "all"}).json()["data"]
    for model in models:
        response = client.get(f"/models/{model['id']}/endpoints")
        assert response.status_code == 200, model["id"]
        check(validator, response.json())
    missing = client.get("/models/nobody/nothing/endpoints")
    check(spec.component("NotFoundResponse"), missing.json())


def test_providers_key_credits(spec: OpenApi, client: httpx.Client) -> None:
    check(spec.response("/providers"), client.get("/providers").json())
    check(spec.response("/key"), client.get("/key", headers=AUTH).json())
    check(spec.response("/key"), client.get("/auth/key", headers=AUTH).json())
    check(spec.response("/credits"), client.get("/credits", headers=AUTH).json())
    check(spec.component("UnauthorizedResponse"), client.get("/key").json())


def test_generation(spec: OpenApi, client: httpx.Client, emulator: EmulatorHandle) -> None:
    emulator.configure(generation_delay_seconds=0)
    response = client.post("/chat/completions", json=chat_body(), headers=AUTH)
    gen_id = response.headers["x-generation-id"]
    body = client.get("/generation", params={"id": gen_id}, headers=AUTH).json()
    check(spec.component("GenerationResponse"), body)
    missing = client.get("/generation", params={"id": "gen-x"}, headers=AUTH).json()
    check(spec.component("NotFoundResponse"), missing)


@pytest.mark.parametrize("extra", [
    {},
    {"model": "deepseek/deepseek-r1", "reasoning": {"effort": "high"}},
    {"model": "openai/gpt-5.4", "reasoning": {"effort": "high"}},
    {"tools": [{"type": "function", "function": {"name": "f", "parameters": {
        "type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}}}]},
    {"model": "anthropic/claude-sonnet-4.5", "messages": [{"role": "user", "content": [
        {"type": "text", "text": "cache me " * 50, "cache_control": {"type": "ephemeral"}}]}]},
])
def test_chat_non_stream_and_stream(spec: OpenApi, client: httpx.Client,
                                    extra: dict[str, Any]) -> None:
    body = chat_body(**extra)
    result = client.post("/chat/completions", json=body, headers=AUTH).json()
    check(spec.component("ChatResult"), result)
    check(spec.component("ChatUsage"), result["usage"])
    _, events = stream_chat(client, body)
    assert events[-1] == "[DONE]"
    assert events[0] == (":", "OPENROUTER PROCESSING")  # a comment: nothing to validate
    chunk = spec.component("ChatStreamChunk")
    for event in events[1:-1]:
        check(chunk, event)
        check(spec.component("ChatStreamingResponse"), {"data": event})
    check(spec.component("ChatUsage"), events[-2]["usage"])


def test_stream_error_chunks(spec: OpenApi, client: httpx.Client,
                             emulator: EmulatorHandle) -> None:
    chunk = spec.component("ChatStreamChunk")
    # With a status the code is numeric as the spec says; the default's documented string code
    # ("server_error") is outside the spec: test_emulator_realism checks it.
    for mode in ("error_chunk_mid_stream", "error_chunk_before_content"):
        emulator.add_fault(route="/chat/completions", mode=mode, status=502)
        _, events = stream_chat(client, chat_body())
        data = [e for e in events if isinstance(e, dict)]
        assert "error" in data[-1]
        for event in data:
            check(chunk, event)


ERROR_COMPONENTS = {
    400: "BadRequestResponse", 401: "UnauthorizedResponse", 402: "PaymentRequiredResponse",
    403: "ForbiddenResponse", 404: "NotFoundResponse", 408: "RequestTimeoutResponse",
    413: "PayloadTooLargeResponse", 422: "UnprocessableEntityResponse",
    429: "TooManyRequestsResponse", 500: "InternalServerResponse", 502: "BadGatewayResponse",
    503: "ServiceUnavailableResponse", 524: "EdgeNetworkTimeoutResponse",
    529: "ProviderOverloadedResponse",
}


@pytest.mark.parametrize("status", sorted(ERROR_COMPONENTS))
def test_default_fault_bodies(spec: OpenApi, client: httpx.Client, emulator: EmulatorHandle,
                              status: int) -> None:
    emulator.add_fault(route="/chat/completions", status=status)
    response = client.post("/chat/completions", json=chat_body(), headers=AUTH)
    assert response.status_code == status
    check(spec.component(ERROR_COMPONENTS[status]), response.json())


def test_chat_error_bodies(spec: OpenApi, client: httpx.Client) -> None:
    bad_model = client.post("/chat/completions", json=chat_body(model="x/y"), headers=AUTH)
    check(spec.component("BadRequestResponse"), bad_model.json())
    long = chat_body("w" * 40000, model="openai/gpt-4", transforms=[])
    too_long = client.post("/chat/completions", json=long, headers=AUTH)
    assert too_long.status_code == 400
    check(spec.component("BadRequestResponse"), too_long.json())
    check(spec.component("UnauthorizedResponse"),
          client.post("/chat/completions", json=chat_body()).json())



def test_pkce_exchange(spec: OpenApi, client: httpx.Client, emulator: EmulatorHandle) -> None:
    """`POST /auth/keys`: the request as the server sends it, and every answer."""
    import base64
    import hashlib
    import re
    from urllib.parse import parse_qs, urlsplit

    verifier = "pkce-verifier-" + "v" * 40
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    with httpx.Client(base_url=emulator.origin, timeout=10) as browser:
        page = browser.get("/auth", params={
            "callback_url": "http://127.0.0.1:9/callback?state=s",
            "code_challenge": challenge.rstrip(b"=").decode(), "code_challenge_method": "S256"})
        link = re.search(r'id="authorize" href="([^"]+)"', page.text)
        assert link is not None
        location = browser.get(link.group(1).replace("&amp;", "&")).headers["location"]
    code = parse_qs(urlsplit(location).query)["code"][0]
    request_body = {"code": code, "code_verifier": verifier, "code_challenge_method": "S256"}
    check(spec._validator("#/paths/~1auth~1keys/post/requestBody/content/application~1json/"
                          "schema"), request_body)
    ok = client.post("/auth/keys", json=request_body)
    assert ok.status_code == 200
    check(spec.response("/auth/keys", "post"), ok.json())
    used = client.post("/auth/keys", json=request_body)
    assert used.status_code == 403
    check(spec.response("/auth/keys", "post", "403"), used.json())
    bad = client.post("/auth/keys", json={"verifier": "no code"})
    assert bad.status_code == 400
    check(spec.response("/auth/keys", "post", "400"), bad.json())
