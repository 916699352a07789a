"""The structured parts of a streamed answer, beside its text: tool calls, which arrive as
increments by `index` (the id, type and name with the first, the arguments in pieces), and
`reasoning_details`, which arrive as pieces to be joined into the blocks a model wants back.

Both are bounded by the caller's character budget: each returns the characters it took.
"""

from __future__ import annotations

from typing import Any


class ToolCalls:
    """Tool calls accumulated from stream increments."""

    def __init__(self) -> None:
        self._calls: dict[int, dict[str, Any]] = {}

    def __bool__(self) -> bool:
        return bool(self._calls)

    def add(self, increments: list[Any]) -> tuple[list[dict[str, Any]], int]:
        """Take one chunk's `delta.tool_calls`: the increments normalised for the client
        (`{"index", "id"?, "type"?, "function": {"name"?, "arguments"?}}`) and their size.
        TypeError on a malformed increment."""
        out: list[dict[str, Any]] = []
        size = 0
        for raw in increments:
            index = raw.get("index")
            if index is None:  # some servers leave it out: a new id is a new call
                index = self._index_without_one(raw.get("id"))
            if isinstance(index, bool) or not isinstance(index, int) or index < 0:
                raise TypeError("tool call index")
            call = self._calls.setdefault(
                index, {"id": None, "type": "function", "name": "", "arguments": []}
            )
            increment: dict[str, Any] = {"index": index}
            call_id, kind = raw.get("id"), raw.get("type")
            if call_id:
                call["id"] = increment["id"] = _text(call_id)
            if kind:
                call["type"] = increment["type"] = _text(kind)
            function = raw.get("function") or {}
            piece: dict[str, str] = {}
            name, arguments = function.get("name"), function.get("arguments")
            if name:
                piece["name"] = _text(name)
                call["name"] += piece["name"]
            if arguments:
                piece["arguments"] = _text(arguments)
                call["arguments"].append(piece["arguments"])
            if piece:
                increment["function"] = piece
            size += len(name or "") + len(arguments or "")
            out.append(increment)
        return out, size

    def _index_without_one(self, call_id: Any) -> int:
        for index, call in self._calls.items():
            if call_id is not None and call["id"] == call_id:
                return index
        if call_id is None and self._calls:
            return max(self._calls)  # the call in progress
        return len(self._calls)

    def complete(self) -> list[dict[str, Any]]:
        """The calls in index order, as OpenAI's `tool_calls` (arguments joined)."""
        return [
            {
                "id": call["id"] or f"call_{index}",
                "type": call["type"],
                "function": {"name": call["name"], "arguments": "".join(call["arguments"])},
            }
            for index, call in sorted(self._calls.items())
        ]


def whole_tool_calls(raw: Any) -> list[dict[str, Any]]:
    """A non-streamed message's `tool_calls`, in the same shape as `ToolCalls.complete`."""
    calls = ToolCalls()
    if isinstance(raw, list):
        calls.add([{**call, "index": index} for index, call in enumerate(raw)])
    return calls.complete()


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("tool call field")
    return value


def detail_size(details: list[Any]) -> int:
    """The characters of a chunk's `reasoning_details` (its string members); TypeError when
    they are not objects."""
    size = 0
    for detail in details:
        if not isinstance(detail, dict):
            raise TypeError("reasoning detail")
        size += sum(len(v) for v in detail.values() if isinstance(v, str))
    return size


_JOINED = ("text", "summary", "data")


def merge_details(pieces: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Streamed reasoning details joined into whole blocks: consecutive pieces of the same type,
    format and index are one block (their text, summary or data concatenated, other members
    such as `signature` and `id` taken from the piece that has them), as a non-streamed message
    carries them and as OpenRouter wants them sent back."""
    merged: list[dict[str, Any]] = []
    for piece in pieces:
        last = merged[-1] if merged else None
        if last is not None and all(
            last.get(key) == piece.get(key) for key in ("type", "format", "index")
        ):
            for key, value in piece.items():
                if key in _JOINED and isinstance(value, str) and isinstance(last.get(key), str):
                    last[key] += value
                elif value is not None and value != "":
                    last[key] = value
            continue
        merged.append(dict(piece))
    return merged
