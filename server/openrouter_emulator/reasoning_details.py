"""`reasoning_details`: the structured reasoning OpenRouter sends beside `reasoning`, in the
shape of the serving model's family (OpenRouter's reasoning-tokens docs):

- OpenAI (`openai-responses-v1`): `reasoning.summary` pieces, then one `reasoning.encrypted`;
- Anthropic (`anthropic-claude-v1`): `reasoning.text` pieces, the last carrying a `signature`;
- Google (`google-gemini-v1`): `reasoning.text` pieces, then one `reasoning.encrypted`;
- everyone else (`unknown`): `reasoning.text` pieces.

Clients must send these back unchanged in the next turn: the encrypted data and signature are
opaque (here a hash of the reasoning, so equal reasoning gives equal data).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from .current_fields import author_of

FORMATS = {"openai": "openai-responses-v1", "anthropic": "anthropic-claude-v1",
           "google": "google-gemini-v1"}


def reasoning_format(model_id: str) -> str:
    return FORMATS.get(author_of(model_id), "unknown")


def piece(model_id: str, text: str) -> dict[str, Any]:
    """The detail that streams one piece of reasoning text."""
    fmt = reasoning_format(model_id)
    if fmt == "openai-responses-v1":
        return {"type": "reasoning.summary", "summary": text, "format": fmt, "index": 0}
    return {"type": "reasoning.text", "text": text, "format": fmt, "index": 0}


def closing(model_id: str, reasoning: str) -> dict[str, Any] | None:
    """The detail that ends the reasoning (encrypted data or a signature), if the family has
    one."""
    fmt = reasoning_format(model_id)
    opaque = base64.b64encode(hashlib.sha256(reasoning.encode()).digest() * 2).decode()
    if fmt == "anthropic-claude-v1":
        return {"type": "reasoning.text", "text": "", "signature": opaque, "format": fmt,
                "index": 0}
    if fmt in ("openai-responses-v1", "google-gemini-v1"):
        detail_id = "rs_" + hashlib.sha256(opaque.encode()).hexdigest()[:24]
        return {"type": "reasoning.encrypted", "data": "gAAAAA" + opaque, "id": detail_id,
                "format": fmt, "index": 1}
    return None


def whole(model_id: str, reasoning: str) -> list[dict[str, Any]]:
    """The details of a non-streaming message."""
    if not reasoning:
        return []
    details = [piece(model_id, reasoning)]
    end = closing(model_id, reasoning)
    if end is not None and end["type"] == "reasoning.text":
        details[0]["signature"] = end["signature"]
    elif end is not None:
        details.append(end)
    return details
