"""Synthetic text and token arithmetic: the estimate, the reply, middle-out, cache prefixes.

One token is about four characters everywhere (prompt, completion, context checks), so tests
can predict every number: `message_tokens` is what `prompt_tokens` reports, and a reply of N
tokens is N pieces of (at most) four characters.
"""

from __future__ import annotations

import hashlib
import json
import random
from typing import Any

MESSAGE_OVERHEAD = 4
IMAGE_TOKENS = 1600  # one image, whatever its size (about a megapixel on Anthropic)
CHARS_PER_TOKEN = 4
ANTHROPIC_MESSAGE_CAP = 1000
_WORDS = ("the", "code", "reads", "each", "line", "and", "parser", "keeps", "tokens", "in",
          "order", "while", "tests", "check", "what", "server", "sends", "back", "to",
          "editor", "so", "every", "reply", "stays", "small", "plain", "easy", "follow")


def text_tokens(text: str) -> int:
    return (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


def content_text(content: Any) -> str:
    """The text of a message content: a string, or the text of its parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        out = []
        for part in content:
            if isinstance(part, dict) and part.get("type") == "text":
                out.append(str(part.get("text", "")))
            elif is_image(part):
                continue  # counted as IMAGE_TOKENS, not as the characters of its URL
            elif part is not None:
                out.append(json.dumps(part, sort_keys=True))
        return "".join(out)
    return "" if content is None else json.dumps(content, sort_keys=True)


def is_image(part: Any) -> bool:
    return isinstance(part, dict) and part.get("type") == "image_url"


def image_count(message: Any) -> int:
    content = message.get("content") if isinstance(message, dict) else None
    return sum(1 for part in content if is_image(part)) if isinstance(content, list) else 0


def message_tokens(message: Any) -> int:
    if not isinstance(message, dict):
        return MESSAGE_OVERHEAD
    extra = json.dumps(message["tool_calls"]) if message.get("tool_calls") else ""
    text = text_tokens(content_text(message.get("content")) + extra)
    return MESSAGE_OVERHEAD + text + IMAGE_TOKENS * image_count(message)


def prompt_tokens(messages: list[Any]) -> int:
    return sum(message_tokens(m) for m in messages)


def prompt_seed(messages: list[Any]) -> int:
    digest = hashlib.sha256(json.dumps(messages, sort_keys=True).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def reply_text(seed: int, model: str, tokens: int, header: str = "") -> str:
    """`tokens` x 4 characters: a marker sentence, then seeded filler words. Token i of the
    reply is `text[4 * i : 4 * i + 4]`."""
    if tokens <= 0:
        return ""
    rng = random.Random(seed)
    text = header or (f"[emulator] This is a synthetic reply from the OpenRouter emulator "
                      f"(model {model}), not a real model's answer.")
    need = tokens * CHARS_PER_TOKEN
    if len(text) < need:
        # A seeded paragraph, repeated: long replies cost string copies, not random draws.
        words = [" " + rng.choice(_WORDS) + ("." if rng.random() < 0.1 else "")
                 for _ in range(min(200, need // 4 + 1))]
        paragraph = "".join(words)
        text += paragraph * ((need - len(text)) // len(paragraph) + 1)
    return text[:need]


def reasoning_text(seed: int, tokens: int) -> str:
    header = "[emulator] Synthetic reasoning: thinking about the request step by step."
    return reply_text(seed ^ 0x5EED, "", tokens, header=header)


def middle_out(messages: list[Any], budget: int, model_id: str) -> list[Any]:
    """OpenRouter's middle-out: drop middle messages, then cut the longest message's middle,
    until the prompt fits `budget` tokens. Over the message cap (Anthropic: 1,000) it keeps
    half from the start and half from the end first."""
    out = list(messages)
    if model_id.split("/", 1)[0].lstrip("~") == "anthropic" and len(out) > ANTHROPIC_MESSAGE_CAP:
        half = ANTHROPIC_MESSAGE_CAP // 2
        out = out[:half] + out[-half:]
    total = prompt_tokens(out)
    while total > budget and len(out) > 2:
        removed = out.pop(len(out) // 2)
        total -= message_tokens(removed)
    if total <= budget or not out:
        return out
    longest = max(range(len(out)), key=lambda i: message_tokens(out[i]))
    message = dict(out[longest]) if isinstance(out[longest], dict) else {"role": "user"}
    text = content_text(message.get("content"))
    keep_tokens = max(0, text_tokens(text) - (total - budget) - 1)
    keep = keep_tokens * CHARS_PER_TOKEN
    message["content"] = text[: keep // 2] + "…" + text[len(text) - keep // 2:] if keep else "…"
    out[longest] = message
    return out


def cache_prefix(messages: list[Any]) -> tuple[str, int] | None:
    """(digest, tokens) of the prompt up to its last `cache_control` breakpoint, or None."""
    last: tuple[int, int] | None = None
    for i, message in enumerate(messages):
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list):
            for j, part in enumerate(content):
                if isinstance(part, dict) and isinstance(part.get("cache_control"), dict):
                    last = (i, j)
        elif isinstance(message, dict) and isinstance(message.get("cache_control"), dict):
            last = (i, -1)
    if last is None:
        return None
    i, j = last
    head = list(messages[:i])
    message = messages[i]
    if j >= 0:
        message = dict(message, content=message["content"][: j + 1])
    prefix = [*head, message]
    digest = hashlib.sha256(json.dumps(prefix, sort_keys=True).encode()).hexdigest()
    return digest, prompt_tokens(prefix)
