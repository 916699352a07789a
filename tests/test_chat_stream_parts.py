"""The structured parts of a streamed answer (`openrouter/stream_parts.py`): tool-call
increments accumulated by index (also from servers that leave the index out), and reasoning
details joined into the blocks a model wants back."""

from __future__ import annotations

import pytest

from openrouter_lsp.openrouter.stream_parts import ToolCalls, merge_details, whole_tool_calls


def test_increments_by_index_make_whole_calls() -> None:
    calls = ToolCalls()
    out, size = calls.add([{"index": 0, "id": "c0", "type": "function",
                            "function": {"name": "read", "arguments": '{"pa'}}])
    assert out == [{"index": 0, "id": "c0", "type": "function",
                    "function": {"name": "read", "arguments": '{"pa'}}]
    assert size == len("read") + len('{"pa')
    calls.add([{"index": 1, "id": "c1", "function": {"name": "list", "arguments": "{}"}},
               {"index": 0, "function": {"arguments": 'th":"a"}'}}])
    assert calls.complete() == [
        {"id": "c0", "type": "function", "function": {"name": "read",
                                                      "arguments": '{"path":"a"}'}},
        {"id": "c1", "type": "function", "function": {"name": "list", "arguments": "{}"}},
    ]


def test_increments_without_an_index_follow_their_id() -> None:
    calls = ToolCalls()
    calls.add([{"id": "a", "function": {"name": "f", "arguments": "{"}}])
    calls.add([{"function": {"arguments": "}"}}])  # no id: the call in progress
    calls.add([{"id": "b", "function": {"name": "g", "arguments": "{}"}}])
    assert [(c["id"], c["function"]["arguments"]) for c in calls.complete()] == [
        ("a", "{}"), ("b", "{}")]


@pytest.mark.parametrize("bad", [{"index": -1}, {"index": "0"}, {"index": 0, "id": 5},
                                 {"index": 0, "function": {"arguments": {"a": 1}}}])
def test_malformed_increments_are_type_errors(bad: dict[str, object]) -> None:
    with pytest.raises(TypeError):
        ToolCalls().add([bad])


def test_a_whole_message_gives_the_same_shape() -> None:
    raw = [{"id": "x", "type": "function", "function": {"name": "f", "arguments": "{}"}}]
    assert whole_tool_calls(raw) == raw
    assert whole_tool_calls(None) == []


def test_reasoning_pieces_join_into_blocks() -> None:
    pieces = [
        {"type": "reasoning.summary", "summary": "Thinking ", "format": "openai-responses-v1",
         "index": 0},
        {"type": "reasoning.summary", "summary": "hard", "format": "openai-responses-v1",
         "index": 0},
        {"type": "reasoning.encrypted", "data": "gAAA", "id": "rs_1",
         "format": "openai-responses-v1", "index": 1},
        {"type": "reasoning.text", "text": "a", "format": "anthropic-claude-v1", "index": 0},
        {"type": "reasoning.text", "text": "", "signature": "sig",
         "format": "anthropic-claude-v1", "index": 0},
    ]
    assert merge_details(pieces) == [
        {"type": "reasoning.summary", "summary": "Thinking hard",
         "format": "openai-responses-v1", "index": 0},
        {"type": "reasoning.encrypted", "data": "gAAA", "id": "rs_1",
         "format": "openai-responses-v1", "index": 1},
        {"type": "reasoning.text", "text": "a", "signature": "sig",
         "format": "anthropic-claude-v1", "index": 0},
    ]
    assert pieces[0]["summary"] == "Thinking "  # the pieces themselves are left alone
