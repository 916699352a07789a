"""Synthetic tool calls: when a request offers `tools` to a model that supports them, the
reply is a call of one of them (deterministic), with arguments that fit its JSON schema.

The model "decides" like a well-behaved assistant: it calls a tool unless the conversation
already ends with a tool result (then it answers in text), `tool_choice` is `"none"`, or the
model lacks the `tools` parameter. A named `tool_choice` or `"required"` always calls.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # a JSON document, streamed in pieces like text


def plan_tool_call(body: dict[str, Any], model: dict[str, Any], seed: int) -> ToolCall | None:
    tools = [t for t in body.get("tools") or [] if _function_name(t)]
    if not tools or "tools" not in (model.get("supported_parameters") or []):
        return None
    choice = body.get("tool_choice", "auto")
    if choice == "none":
        return None
    tool = tools[0]
    if isinstance(choice, dict):
        wanted = (choice.get("function") or {}).get("name")
        tool = next((t for t in tools if _function_name(t) == wanted), tool)
    elif choice != "required" and _last_role(body) == "tool":
        return None
    function = tool["function"]
    arguments = json.dumps(sample_arguments(function.get("parameters")), separators=(",", ":"))
    digest = hashlib.sha256(f"{seed}|{function['name']}".encode()).hexdigest()
    return ToolCall(id=f"call_{digest[:24]}", name=str(function["name"]), arguments=arguments)


def sample_arguments(schema: Any) -> Any:
    """A value that satisfies a (simple) JSON schema: required properties, first enum value,
    a type's plain example."""
    if not isinstance(schema, dict):
        return {}
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        properties = schema.get("properties") or {}
        names = schema.get("required") or list(properties)[:1]
        return {name: sample_arguments(properties.get(name)) for name in names}
    if kind == "array":
        return [sample_arguments(schema.get("items"))]
    return {"string": "emulator", "integer": 1, "number": 1.5, "boolean": True,
            "null": None}.get(str(kind), "emulator")


def _function_name(tool: Any) -> str | None:
    if isinstance(tool, dict) and isinstance(tool.get("function"), dict):
        name = tool["function"].get("name")
        return name if isinstance(name, str) and name else None
    return None


def _last_role(body: dict[str, Any]) -> str | None:
    messages = body.get("messages")
    if isinstance(messages, list) and messages and isinstance(messages[-1], dict):
        role = messages[-1].get("role")
        return role if isinstance(role, str) else None
    return None
