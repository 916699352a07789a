"""A chat: params -> effective settings -> request body -> stream -> `ChatResult`.

`Core.chat` calls `run_chat` with the settings, key and model it resolved; this module turns them
into one request (`openrouter/request_body.py`), streams it (`openrouter/chat_stream.py`) and
prices the result (`core/chat_cost.py`: the stream, `/generation`, the catalogue's prices).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import attrs

from ..errors import invalid, upstream_error
from ..protocol import (
    MAX_STRING_CHARS,
    ChatParams,
    ChatResult,
    ModelInfo,
    Settings,
    ToolCall,
    ToolCallFunction,
)
from ..settings import base_url_problem
from .attachments import DocumentLookup, no_documents
from .chat_content import prepare, text_chars
from .chat_cost import price
from .model_settings import for_model

log = logging.getLogger(__name__)

OnDelta = Callable[[str | None, str | None], None]  # (content, reasoning) increments
# Tool-call increments: [{"index", "id"?, "type"?, "function": {"name"?, "arguments"?}}]
OnToolCalls = Callable[[list[dict[str, Any]]], None]
FindModel = Callable[[str], Awaitable[ModelInfo | None]]
OnGenerationId = Callable[[str], None]  # the chat's generation id, once known (even if stopped)


@attrs.define
class ChatContext:
    """What a chat runs with, resolved by the core before it starts."""

    settings: Settings
    api_key: str | None
    base_url: str
    model: ModelInfo | None  # the requested model's catalogue entry, when known
    find_model: FindModel  # catalogue lookups (prices of the model that actually served)
    documents: DocumentLookup = no_documents  # the editor's synced documents (attachments)


def check_total_size(params: ChatParams) -> None:
    """Per-field limits are on the wire types; this one spans every message."""
    total = text_chars(params)
    if total > MAX_STRING_CHARS:
        raise invalid(
            "messages",
            f"is too long in total ({total:,} characters; the limit is {MAX_STRING_CHARS:,})",
        )


_sound_base_urls: set[str] = set()


def check_base_url(base_url: str) -> None:
    """Settings validate the base URL when saved; checked again (once per URL) before the key
    goes anywhere."""
    if base_url in _sound_base_urls:
        return
    if problem := base_url_problem(base_url):
        raise upstream_error("bad_request", f"The custom base URL {problem}.")
    _sound_base_urls.add(base_url)


def _service(settings: Settings, base_url: str) -> str:
    if settings.provider == "openrouter":
        return "OpenRouter"
    return f"The server at {base_url}"


def _ignore_tool_calls(_increments: list[dict[str, Any]]) -> None:
    return None


async def run_chat(
    context: ChatContext,
    params: ChatParams,
    on_delta: OnDelta,
    on_tool_calls: OnToolCalls = _ignore_tool_calls,
    on_generation_id: OnGenerationId | None = None,
) -> ChatResult:
    # The HTTP side loads with the first chat, not while the editor waits for `initialize`.
    from ..openrouter.chat_stream import ChatRequest, stream_chat
    from ..openrouter.cost import usage_from_stream
    from ..openrouter.request_body import build_body, build_headers, model_id_for

    settings = for_model(context.settings, context.model, params)
    # Attachments and image files resolved, every part checked against the model.
    params = await prepare(params, context.model, context.documents, settings)
    check_total_size(params)
    if settings.use_custom_base_url:
        check_base_url(context.base_url)
    request = ChatRequest(
        url=f"{context.base_url}/chat/completions",
        headers=build_headers(settings, context.api_key),
        body=build_body(settings, params, context.model),
        base_url=context.base_url,
        service=_service(settings, context.base_url),
        on_generation_id=on_generation_id,
    )
    outcome = await stream_chat(request, on_delta, on_tool_calls)
    usage = usage_from_stream(outcome.usage)
    cost_source = await price(
        context, usage, outcome.generation_id, [outcome.model, model_id_for(settings, params)]
    )
    return ChatResult(
        content=outcome.content,
        reasoning=outcome.reasoning,
        finish_reason=outcome.finish_reason,
        model=outcome.model,
        provider=outcome.provider,
        generation_id=outcome.generation_id,
        usage=usage,
        tool_calls=[
            ToolCall(
                id=call["id"],
                type="function",
                function=ToolCallFunction(
                    name=call["function"]["name"], arguments=call["function"]["arguments"]
                ),
            )
            for call in outcome.tool_calls
        ],
        reasoning_details=outcome.reasoning_details,
        cost_source=cost_source,
    )
