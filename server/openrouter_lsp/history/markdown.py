"""A conversation as a Markdown document: its title, its totals, then each message under a
heading naming its role (and, for answers, the model and what it cost)."""

from __future__ import annotations

import json
from typing import Any

from .. import wire
from ..protocol import Conversation, StoredMessage

ROLE_NAMES = {"system": "System", "user": "User", "assistant": "Assistant", "tool": "Tool"}


def cost_text(cost: float | None) -> str:
    if cost is None:
        return "cost unknown"
    return f"${cost:.6f}".rstrip("0").rstrip(".") if cost else "$0"


def to_markdown(conversation: Conversation) -> str:
    totals = conversation.totals
    lines = [
        f"# {conversation.title or 'Conversation'}",
        "",
        f"*{conversation.message_count} messages · created {conversation.created_at} · "
        f"{totals.prompt_tokens:,} prompt and {totals.completion_tokens:,} completion tokens · "
        f"total {cost_text(totals.cost_usd)}*",
    ]
    for message in conversation.messages:
        lines += ["", _heading(message), ""]
        lines += _body(message)
    return "\n".join(lines) + "\n"


def _heading(message: StoredMessage) -> str:
    parts = [ROLE_NAMES.get(message.role, message.role.title())]
    if message.model:
        parts.append(f"`{message.model}`")
    if message.provider:
        parts.append(f"via {message.provider}")
    if message.usage is not None:
        parts.append(cost_text(message.usage.cost_usd))
    if message.finish_reason == "cancelled":
        parts.append("(stopped)")
    return "## " + " · ".join(parts)


def _body(message: StoredMessage) -> list[str]:
    # Read from the wire form: content parts and tool calls are whatever ChatMessage holds.
    wire_form: dict[str, Any] = wire.unstructure(message)
    lines: list[str] = []
    if message.reasoning:
        lines += ["<details><summary>Reasoning</summary>", "", message.reasoning, "", "</details>",
                  ""]
    content = wire_form.get("content")
    if isinstance(content, str):
        lines.append(content)
    elif isinstance(content, list):
        for part in content:
            lines.append(_part(part))
    for call in wire_form.get("toolCalls") or []:
        function = call.get("function", {}) if isinstance(call, dict) else {}
        lines += ["", f"Tool call `{function.get('name', '?')}`:", "", "```json",
                  str(function.get("arguments", "")), "```"]
    if wire_form.get("toolCallId"):
        lines.insert(0, f"*Result of tool call `{wire_form['toolCallId']}`*\n")
    return lines


def _part(part: Any) -> str:
    if not isinstance(part, dict):
        return json.dumps(part)
    if isinstance(part.get("text"), str):
        return str(part["text"])
    if part.get("type") == "image_url":
        url = str((part.get("imageUrl") or {}).get("url", ""))
        return "*[image]*" if url.startswith("data:") else f"![image]({url})"
    if part.get("type") == "image_file":
        return f"*[image: {part.get('path', '')}]*"
    return f"*[{part.get('type', 'part')}]*"
