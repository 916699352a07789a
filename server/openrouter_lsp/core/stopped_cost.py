"""The cost of an answer stopped part-way in a conversation, learnt after the fact.

OpenRouter bills a stopped stream, but the stream ended before its usage chunk, so the stored
message has no usage. In the background, its `/generation` record (which 404s for a while;
fetched with the bounded retries of `openrouter/generation.py`) supplies the tokens and the
cost; the stored message is updated (the conversation's totals are sums, so they follow) and the
editor is told with `openrouter/conversations/didChange`. OpenRouter only: an OpenAI-compatible
server has no `/generation`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from ..errors import HistoryUnavailable
from ..protocol import ChatUsage
from .conversations import Conversations

log = logging.getLogger(__name__)


async def record_stopped_cost(
    conversations: Callable[[], Conversations],
    base_url: str,
    api_key: str,
    conversation_id: str,
    generation_id: str,
    announce: Callable[[str], None],
) -> None:
    """Fetch the cost of the stopped answer `generation_id`, store it, announce the change;
    nothing (logged) when `/generation` has no record within its bound or the answer is no
    longer kept."""
    from ..openrouter.generation import fetch_generation

    record = await fetch_generation(base_url, api_key, generation_id)
    if record is None or record.total_cost is None:
        log.info("No cost for the stopped answer in %r: /generation had none", conversation_id)
        return
    usage = ChatUsage(
        prompt_tokens=record.tokens_prompt,
        completion_tokens=record.tokens_completion,
        cached_tokens=record.tokens_cached,
        reasoning_tokens=record.tokens_reasoning,
        cost_usd=record.total_cost,
    )
    try:
        kept = conversations().set_usage(
            conversation_id, generation_id, usage, record.model, record.provider
        )
    except HistoryUnavailable as exc:
        log.warning("The stopped answer's cost was not stored: %s", exc.message)
        return
    if kept:
        announce(conversation_id)
