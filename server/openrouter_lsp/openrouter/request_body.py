"""What a chat sends: the settings and params turned into a `/chat/completions` body and headers.

Each setting's mapping is asserted in `tests/test_chat.py`. For `openai-compatible` servers the
body is plain OpenAI chat completions: none of the OpenRouter-only fields (`provider`,
`transforms`, `plugins`, `usage`, `session_id`, `cache_control`, `reasoning`, `models`, a model
variant, the settings' `max_tokens`, `reasoning_details`), which such servers may reject; it
asks for usage with `stream_options.include_usage`, which OpenAI-style servers need to report
tokens at all. Tools, images and tool messages are OpenAI's own and go to both.

The settings that depend on the model (`reasoningEffort`, `maxOutputTokens`) arrive here already
fitted to it (`core/model_settings.py`).
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from ..protocol import (
    ChatMessage,
    ChatParams,
    ContentPart,
    ImageUrlPart,
    ModelInfo,
    Settings,
    TextPart,
    ToolChoice,
)
from .client import request_headers

# Anthropic accepts at most four cache breakpoints per request.
MAX_CACHE_BREAKPOINTS = 4
_EPHEMERAL = {"type": "ephemeral"}

log = logging.getLogger(__name__)


def model_id_for(settings: Settings, params: ChatParams) -> str:
    return params.model_id or settings.model_id


def uses_explicit_caching(settings: Settings, model: ModelInfo | None) -> bool:
    """Breakpoints only help models whose catalogue entry bills cache writes (Anthropic, Gemini):
    the others cache automatically, and an unknown model gets none rather than a guess."""
    if settings.provider != "openrouter" or not settings.prompt_caching or model is None:
        return False
    price = model.pricing.cache_write
    return price is not None and price > 0


def cache_breakpoints(messages: list[ChatMessage]) -> set[int]:
    """Indices of the messages that get a breakpoint: the last system prompt and the last two
    user messages (the cached prefix then grows turn by turn), empty texts skipped."""
    chosen: list[int] = []
    users = 0
    system_seen = False
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        if not message.content:
            continue
        if message.role == "user" and users < 2:
            users += 1
            chosen.append(index)
        elif message.role == "system" and not system_seen:
            system_seen = True
            chosen.append(index)
    return set(chosen[:MAX_CACHE_BREAKPOINTS])


def _messages(
    params: ChatParams, breakpoints: set[int], openrouter: bool
) -> list[dict[str, Any]]:
    """Upstream messages (snake_case); content already prepared (`core/chat_content.py`): no
    attachments and no image files are left."""
    out: list[dict[str, Any]] = []
    for index, message in enumerate(params.messages):
        content = message.content
        if isinstance(content, list):
            upstream: Any = [_part(part) for part in content]
            if index in breakpoints:
                texts = [p for p in upstream if p["type"] == "text" and p["text"]]
                if texts:
                    texts[-1]["cache_control"] = dict(_EPHEMERAL)
        elif index in breakpoints:
            upstream = [{"type": "text", "text": content, "cache_control": dict(_EPHEMERAL)}]
        else:
            upstream = content
        item: dict[str, Any] = {"role": message.role, "content": upstream}
        if message.tool_calls:
            item["tool_calls"] = [
                {
                    "id": call.id,
                    "type": call.type,
                    "function": {"name": call.function.name, "arguments": call.function.arguments},
                }
                for call in message.tool_calls
            ]
        if message.tool_call_id is not None:
            item["tool_call_id"] = message.tool_call_id
        # OpenRouter wants them back unchanged to continue the reasoning (signed or encrypted);
        # other servers do not know the member.
        if message.reasoning_details and openrouter:
            item["reasoning_details"] = message.reasoning_details
        out.append(item)
    return out


def _part(part: ContentPart) -> dict[str, Any]:
    if isinstance(part, TextPart):
        return {"type": "text", "text": part.text}
    if isinstance(part, ImageUrlPart):
        image: dict[str, Any] = {"url": part.image_url.url}
        if part.image_url.detail is not None:
            image["detail"] = part.image_url.detail
        return {"type": "image_url", "image_url": image}
    raise TypeError("image files are read before the body is built")


def _tools(params: ChatParams) -> list[dict[str, Any]]:
    tools: list[dict[str, Any]] = []
    for tool in params.tools or []:
        function = tool.function
        spec: dict[str, Any] = {"name": function.name}
        if function.description is not None:
            spec["description"] = function.description
        if function.parameters is not None:
            spec["parameters"] = function.parameters
        if function.strict is not None:
            spec["strict"] = function.strict
        tools.append({"type": "function", "function": spec})
    return tools


def _tool_choice(choice: ToolChoice) -> Any:
    if isinstance(choice, str):
        return choice
    return {"type": "function", "function": {"name": choice.function.name}}


def _provider_preferences(settings: Settings) -> dict[str, Any]:
    routing = settings.routing
    provider: dict[str, Any] = {}
    if routing.provider:
        # A specific provider overrides the sort.
        provider["order"] = [routing.provider]
        if not routing.allow_fallbacks:
            provider["only"] = [routing.provider]
            provider["allow_fallbacks"] = False
    elif routing.sort != "default":
        provider["sort"] = routing.sort
    if routing.data_policy in ("allow", "deny"):
        provider["data_collection"] = routing.data_policy
    elif routing.data_policy == "zdr":
        provider["zdr"] = True
        provider["data_collection"] = "deny"
    max_price = {
        name: price_text(value)
        for name, value in (
            ("prompt", routing.max_price.prompt),
            ("completion", routing.max_price.completion),
        )
        if value is not None
    }
    if max_price:
        provider["max_price"] = max_price  # the spec has these prices as strings
    if routing.quantizations:
        provider["quantizations"] = list(routing.quantizations)
    if routing.ignore:
        provider["ignore"] = list(routing.ignore)
    if routing.preferred_min_throughput is not None:
        provider["preferred_min_throughput"] = routing.preferred_min_throughput
    if routing.preferred_max_latency is not None:
        provider["preferred_max_latency"] = routing.preferred_max_latency
    return provider


def price_text(value: float) -> str:
    """USD per million tokens as a plain decimal string ("0.5", "0.0000001"; never "1e-07")."""
    text = format(Decimal(repr(value)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def model_with_variant(settings: Settings, model_id: str) -> str:
    """`openai/gpt-4o:nitro`; a model id that already names a variant (`…:free`) keeps it."""
    variant = settings.model_variant
    if variant is None:
        return model_id
    if ":" in model_id:
        log.info("Model variant :%s left out: %s already names a variant", variant, model_id)
        return model_id
    return f"{model_id}:{variant}"


def fallback_models(settings: Settings, model_id: str, sent: str) -> list[str]:
    """`models`: the model as sent in `model` (`sent`, its variant included) first, then the
    fallbacks that are not that model."""
    others = [m for m in settings.fallback_models if m not in (model_id, sent)]
    return list(dict.fromkeys([sent, *others]))


def build_body(
    settings: Settings, params: ChatParams, model: ModelInfo | None
) -> dict[str, Any]:
    """The JSON body of a streaming chat request."""
    openrouter = settings.provider == "openrouter"
    breakpoints = (
        cache_breakpoints(params.messages) if uses_explicit_caching(settings, model) else set()
    )
    model_id = model_id_for(settings, params)
    body: dict[str, Any] = {
        "model": model_with_variant(settings, model_id) if openrouter else model_id,
        "messages": _messages(params, breakpoints, openrouter),
        "stream": True,
    }
    if params.tools is not None:
        body["tools"] = _tools(params)
    if params.tool_choice is not None:
        body["tool_choice"] = _tool_choice(params.tool_choice)
    if params.parallel_tool_calls is not None:
        body["parallel_tool_calls"] = params.parallel_tool_calls
    if params.max_tokens is not None:
        body["max_tokens"] = params.max_tokens
    elif openrouter and settings.max_output_tokens is not None:
        body["max_tokens"] = settings.max_output_tokens
    if params.temperature is not None:
        body["temperature"] = params.temperature
    if not openrouter:
        # OpenAI-style servers (OpenAI, LiteLLM, vLLM…) stream usage only when asked; one that
        # ignores the option still answers, without usage. OpenRouter always streams usage and
        # documents the option as a deprecated no-op, so its body leaves it out.
        body["stream_options"] = {"include_usage": True}
        return body

    if settings.fallback_models:
        models = fallback_models(settings, model_id, body["model"])
        if len(models) > 1:
            body["models"] = models
    effort = settings.reasoning_effort
    if effort != "default" and model is not None and model.supports_reasoning:
        body["reasoning"] = {"effort": effort}
    provider = _provider_preferences(settings)
    if provider:
        body["provider"] = provider
    # Sent both ways: "off" must stop OpenRouter's default middle-out on small-context endpoints,
    # so a prompt is never cut silently. Legacy and current forms say the same thing.
    middle_out = settings.middle_out_transform
    body["transforms"] = ["middle-out"] if middle_out else []
    body["plugins"] = [{"id": "context-compression", "enabled": middle_out}]
    body["usage"] = {"include": True}
    if params.conversation_id:
        body["session_id"] = params.conversation_id
    return body


def build_headers(settings: Settings, api_key: str | None) -> dict[str, str]:
    headers = request_headers(api_key, openrouter=settings.provider == "openrouter")
    headers["Accept"] = "text/event-stream"
    headers["Content-Type"] = "application/json"  # the body goes as `strict_json.dumps` bytes
    return headers
