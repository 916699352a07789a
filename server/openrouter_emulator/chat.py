"""POST /chat/completions: validate the request and plan the (synthetic) completion.

`plan_chat` returns either an error response or a `ChatPlan`: which endpoint serves it, the
prompt after middle-out, cache hits, the reply pieces and the usage/cost to report.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.responses import JSONResponse

from . import reasoning_details, synth
from .catalogue import Catalogue
from .errors import json_error
from .state import Config, EmulatorState
from .tool_calls import ToolCall, plan_tool_call

DEFAULT_REPLY_TOKENS = 64
BYOK_FEE = Decimal("0.05")
MIDDLE_OUT_DEFAULT_MAX_CONTEXT = 8192


@dataclass
class ChatPlan:
    gen_id: str
    model: str
    provider: str
    created: int
    stream: bool
    prompt_tokens: int
    cached_tokens: int
    cache_write_tokens: int
    reasoning: str  # token i is text[4 * i : 4 * i + 4] (see synth.reply_text)
    content: str
    prices: dict[str, Decimal]
    is_byok: bool
    middle_out_applied: bool
    request: dict[str, Any]
    report_cost: bool = True
    tool_call: ToolCall | None = None
    # Usage in a last chunk that still has a choice (`finish_reason: null`), not `choices: []`.
    usage_with_choice: bool = False
    stream_usage: bool = True  # whether the stream ends with a usage chunk
    reasoning_details: bool = True
    started: float = field(default_factory=time.monotonic)
    sent_tokens: int = 0

    @property
    def answer(self) -> str:
        """What streams after the reasoning: the text, or the tool call's arguments."""
        return self.tool_call.arguments if self.tool_call else self.content

    @property
    def finish_reason(self) -> str:
        return "tool_calls" if self.tool_call else "stop"

    @property
    def completion_tokens(self) -> int:
        return synth.text_tokens(self.reasoning) + synth.text_tokens(self.answer)

    def usage(self, completion_tokens: int | None = None) -> dict[str, Any]:
        done = self.completion_tokens if completion_tokens is None else completion_tokens
        reasoning = min(done, synth.text_tokens(self.reasoning))
        fresh = self.prompt_tokens - self.cached_tokens - self.cache_write_tokens
        # Decimal from the catalogue's decimal strings: costs come out as OpenRouter's do
        # (0.0000925, not 9.250000000000001e-05).
        prompt_cost = (fresh * self.prices["prompt"]
                       + self.cached_tokens * self.prices["input_cache_read"]
                       + self.cache_write_tokens * self.prices["input_cache_write"]
                       + self.prices["request"])
        completion_cost = done * self.prices["completion"]
        upstream = prompt_cost + completion_cost
        cost = upstream * BYOK_FEE if self.is_byok else upstream
        usage: dict[str, Any] = {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": done,
            "total_tokens": self.prompt_tokens + done,
            "cost": float(cost),
            "is_byok": self.is_byok,
            "prompt_tokens_details": {"cached_tokens": self.cached_tokens,
                                      "cache_write_tokens": self.cache_write_tokens,
                                      "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": reasoning, "image_tokens": 0},
            "cost_details": {
                "upstream_inference_cost": float(upstream) if self.is_byok else None,
                "upstream_inference_prompt_cost": float(prompt_cost) if self.is_byok else 0,
                "upstream_inference_completions_cost":
                    float(completion_cost) if self.is_byok else 0,
            },
        }
        return usage

    def reported_usage(self) -> dict[str, Any]:
        """The usage object a response carries (without cost when the config says so)."""
        usage = self.usage()
        if not self.report_cost:
            for key in ("cost", "is_byok", "cost_details"):
                del usage[key]
        return usage

    def generation(self, *, finish_reason: str | None, cancelled: bool,
                   completion_tokens: int, headers: dict[str, str]) -> dict[str, Any]:
        usage = self.usage(completion_tokens)
        elapsed_ms = int((time.monotonic() - self.started) * 1000)
        return {
            "id": self.gen_id, "upstream_id": f"emu-{self.gen_id}", "total_cost": usage["cost"],
            "cache_discount": None, "upstream_inference_cost": usage["cost_details"][
                "upstream_inference_cost"],
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.created)),
            "model": self.model, "app_id": None, "streamed": self.stream, "cancelled": cancelled,
            "provider_name": self.provider, "latency": min(elapsed_ms, 5), "moderation_latency":
            None, "generation_time": elapsed_ms, "finish_reason": finish_reason,
            "native_finish_reason": finish_reason, "service_tier": None,
            "tokens_prompt": self.prompt_tokens, "tokens_completion": completion_tokens,
            "native_tokens_prompt": self.prompt_tokens,
            "native_tokens_completion": completion_tokens,
            "native_tokens_completion_images": 0, "native_tokens_reasoning":
            usage["completion_tokens_details"]["reasoning_tokens"],
            "native_tokens_cached": self.cached_tokens, "num_media_prompt": None,
            "num_input_audio_prompt": None, "num_media_completion": None,
            "num_search_results": None, "num_fetches": None, "web_search_engine": None,
            "origin": headers.get("http-referer", ""), "usage": usage["cost"],
            "is_byok": self.is_byok, "external_user": self.request.get("user"),
            "api_type": "completions", "preset_id": None, "router": None,
            "provider_responses": None, "user_agent": headers.get("user-agent"),
            "http_referer": headers.get("http-referer"), "data_region": "global",
            "workspace_id": None, "session_id": self.request.get("session_id"),
            "x_emulator_middle_out_applied": self.middle_out_applied,
        }

    def result(self) -> dict[str, Any]:
        """The non-streaming response body."""
        message: dict[str, Any] = {"role": "assistant", "content": self.content,
                                   "refusal": None, "reasoning": self.reasoning or None}
        if self.reasoning and self.reasoning_details:
            message["reasoning_details"] = reasoning_details.whole(self.model, self.reasoning)
        if self.tool_call is not None:
            message["tool_calls"] = [self.tool_call_json(arguments=self.tool_call.arguments)]
        return {
            "id": self.gen_id, "provider": self.provider, "model": self.model,
            "object": "chat.completion", "created": self.created, "system_fingerprint": None,
            "choices": [{
                "index": 0, "logprobs": None, "finish_reason": self.finish_reason,
                "native_finish_reason": self.finish_reason, "message": message,
            }],
            "usage": self.reported_usage(),
        }

    def tool_call_json(self, arguments: str) -> dict[str, Any]:
        assert self.tool_call is not None
        return {"index": 0, "id": self.tool_call.id, "type": "function",
                "function": {"name": self.tool_call.name, "arguments": arguments}}


def new_generation_id() -> str:
    return f"gen-{int(time.time())}-{secrets.token_urlsafe(15).replace('-', 'x')[:20]}"


def plan_chat(body: Any, catalogue: Catalogue, state: EmulatorState,
              config: Config) -> ChatPlan | JSONResponse:
    if not isinstance(body, dict):
        return json_error(400, "Invalid JSON body", {"error_type": "invalid_request"})
    candidates = [body.get("model"), *(body.get("models") or [])]
    candidates = [c for c in candidates if isinstance(c, str) and c]
    if not candidates:
        return json_error(400, "No models provided", {"error_type": "invalid_request"})
    model_id = next((c for c in candidates if catalogue.find(c) is not None), None)
    if model_id is None:
        return json_error(400, f"{candidates[0]} is not a valid model ID",
                          {"error_type": "invalid_request"})
    model = catalogue.find(model_id)
    assert model is not None
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return json_error(400, 'Input required: specify "prompt" or "messages"',
                          {"error_type": "invalid_request"})
    if (refusal := _unsupported_input(messages, model)) is not None:
        return refusal
    endpoint = catalogue.pick_endpoint(model_id, body.get("provider"))
    if endpoint is None:
        return json_error(404, "No allowed providers are available for the selected model.",
                          {"error_type": "not_found"})
    max_tokens = _max_tokens(body)
    context = int(endpoint.get("context_length") or model.get("context_length") or 0)
    requested_out = max_tokens or 0
    prompt = synth.prompt_tokens(messages)
    applied = False
    if context and prompt + requested_out > context:
        if not _middle_out_enabled(body, context):
            total = prompt + requested_out
            return json_error(400, (
                f"This endpoint's maximum context length is {context} tokens. However, you "
                f"requested about {total} tokens ({prompt} of text input, {requested_out} in "
                "the output). Please reduce the length of either one, or use the \"middle-out\" "
                "transform to compress your prompt automatically."),
                {"error_type": "context_length_exceeded", "provider_name": None})
        messages = synth.middle_out(messages, max(context - requested_out, 1), model_id)
        prompt = synth.prompt_tokens(messages)
        applied = True
    prices = _prices(model["pricing"])
    cached = written = 0
    prefix = synth.cache_prefix(messages)
    if prefix is not None and (prices["input_cache_read"] or prices["input_cache_write"]):
        digest, tokens = prefix
        if state.remember_prefix(model["id"], digest):
            cached = min(tokens, prompt)
        elif "input_cache_write" in model["pricing"]:
            written = min(tokens, prompt)
    seed = synth.prompt_seed(messages)
    total_out = max_tokens if max_tokens is not None else DEFAULT_REPLY_TOKENS
    thinking = min(32, total_out // 4) if _reasoning_wanted(body, model) else 0
    tool_call = plan_tool_call(body, model, seed) if config.tool_calls else None
    if model_id.endswith(":free"):
        state.count_free_request()
    return ChatPlan(
        gen_id=new_generation_id(), model=model_id, provider=str(endpoint["provider_name"]),
        created=int(time.time()), stream=bool(body.get("stream")), prompt_tokens=prompt,
        cached_tokens=cached, cache_write_tokens=written,
        reasoning=synth.reasoning_text(seed, thinking),
        content="" if tool_call else (
            config.reply_text if config.reply_text is not None
            else synth.reply_text(seed, model_id, total_out - thinking)),
        prices=prices, is_byok=config.is_byok, middle_out_applied=applied, request=body,
        report_cost=config.report_cost, tool_call=tool_call,
        usage_with_choice=_usage_with_choice(config.usage_chunk, model_id, seed),
        stream_usage=_streams_usage(config.stream_usage, body),
        reasoning_details=config.reasoning_details,
    )


def _unsupported_input(messages: list[Any], model: dict[str, Any]) -> JSONResponse | None:
    """OpenRouter routes images only to endpoints that take them; a model without image input
    is a 404 naming the capability. (Unsupported parameters such as `tools` are ignored.)"""
    modalities = (model.get("architecture") or {}).get("input_modalities") or ["text"]
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        for part in content if isinstance(content, list) else []:
            if not synth.is_image(part):
                continue
            url = (part.get("image_url") or {}).get("url") if isinstance(
                part.get("image_url"), dict) else None
            if not isinstance(url, str) or not url.startswith(("data:image/", "https://",
                                                               "http://")):
                return json_error(400, "Invalid image_url: expected a data URL or an http(s) URL",
                                  {"error_type": "invalid_request"})
            if "image" not in modalities:
                return json_error(404, "No endpoints found that support image input",
                                  {"error_type": "not_found"})
    return None


def _streams_usage(mode: str, body: dict[str, Any]) -> bool:
    """`always` (OpenRouter), `never`, or `when_asked`: as OpenAI, only for a request with
    `stream_options: {"include_usage": true}`."""
    if mode != "when_asked":
        return mode == "always"
    options = body.get("stream_options")
    return isinstance(options, dict) and options.get("include_usage") is True


def _usage_with_choice(shape: str, model_id: str, seed: int) -> bool:
    """Real streams put usage in either shape; `auto` picks one per request from a hash of the
    model and the messages, so the same request always gets the same shape."""
    if shape != "auto":
        return shape == "with_choice"
    return hashlib.sha256(f"{model_id}|{seed}".encode()).digest()[0] & 1 == 1


def _max_tokens(body: dict[str, Any]) -> int | None:
    for key in ("max_tokens", "max_completion_tokens"):
        value = body.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
    return None


def _middle_out_enabled(body: dict[str, Any], context: int) -> bool:
    """Current form (`plugins`) wins over the legacy one (`transforms`); else the default."""
    for plugin in body.get("plugins") or []:
        if isinstance(plugin, dict) and plugin.get("id") in ("context-compression", "middle-out"):
            return plugin.get("enabled", True) is not False
    transforms = body.get("transforms")
    if isinstance(transforms, list):
        return "middle-out" in transforms
    return context <= MIDDLE_OUT_DEFAULT_MAX_CONTEXT


def _reasoning_wanted(body: dict[str, Any], model: dict[str, Any]) -> bool:
    if "reasoning" not in (model.get("supported_parameters") or []):
        return False
    reasoning = body.get("reasoning")
    if isinstance(reasoning, dict):
        return not reasoning.get("exclude") and reasoning.get("enabled", True) is not False \
            and reasoning.get("effort") != "none"
    return body.get("include_reasoning") is True


def _prices(pricing: dict[str, Any]) -> dict[str, Decimal]:
    def price(key: str) -> Decimal:
        try:
            value = Decimal(str(pricing.get(key) or 0))
        except (InvalidOperation, ValueError):
            return Decimal(0)
        return value if value.is_finite() and value > 0 else Decimal(0)

    keys = ("prompt", "completion", "input_cache_read", "input_cache_write", "request")
    return {key: price(key) for key in keys}
