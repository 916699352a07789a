"""`openrouter/chat` beyond text, end to end through the real server and the real emulator:
tool calls (a streamed call, the tool's result, the final answer), images (data URLs and files,
refused for text-only models), editor attachments, reasoning details sent back, the context
estimate, and bad shapes named by their path. Every body the emulator received is checked
against the official `ChatRequest` schema."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from pathlib import Path
from typing import Any

from lsprotocol import types
from tests.support.chat import (  # noqa: F401  (fixtures)
    chat,
    chat_error,
    check_chat_request,
    last_chat_request,
    new_token,
    openapi_fixture,
    streamed,
    update_settings,
    user,
)
from tests.support.lsp import LspSession
from tests.support.openapi import OpenApi

from openrouter_emulator import reasoning_details

GPT = "openai/gpt-4o"  # takes images and tools
TEXT_ONLY = "meta-llama/llama-3-8b-instruct"  # text in, no tools, 8,192-token context
CLAUDE = "anthropic/claude-sonnet-4.5"  # reasons; Anthropic-style reasoning details
INVALID_PARAMS = -32602

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"enum": ["c", "f"]}},
            "required": ["city", "unit"],
        },
    },
}


def png_bytes() -> bytes:
    """A real 1x1 PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels)
            + chunk(b"IEND", b""))


def data_url(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode()


def sent(emulator: Any, openapi: OpenApi) -> dict[str, Any]:
    body: dict[str, Any] = last_chat_request(emulator)["body"]
    check_chat_request(openapi, body)
    return body


def field_errors(error: Any) -> dict[str, str]:
    assert error.code == INVALID_PARAMS, (error.code, error.message)
    return {e["path"]: e["message"] for e in error.data["errors"]}


# --- tool calls --------------------------------------------------------------------------------


async def test_a_tool_call_round_trip_streams_both_turns(
    lsp: LspSession, emulator: Any, openapi: OpenApi
) -> None:
    emulator.configure(tokens_per_second=0, chunk_tokens=2)
    question = user("What is the weather in Paris?")
    token = new_token()
    first = await chat(lsp, messages=[question], modelId=GPT, tools=[WEATHER],
                       toolChoice="auto", parallelToolCalls=False, partialResultToken=token)

    assert first["finishReason"] == "tool_calls"
    assert first["content"] == ""
    [call] = first["toolCalls"]
    assert call["type"] == "function" and call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"city": "emulator", "unit": "c"}
    assert call["id"].startswith("call_")
    # The increments: the first names the call, the rest extend its arguments, by index.
    increments = [c for v in lsp.partials[token] for c in v.get("toolCalls", [])]
    assert increments[0]["index"] == 0 and increments[0]["id"] == call["id"]
    assert increments[0]["function"]["name"] == "get_weather"
    assert all(c["index"] == 0 for c in increments)
    arguments = "".join(c.get("function", {}).get("arguments", "") for c in increments)
    assert arguments == call["function"]["arguments"]
    body = sent(emulator, openapi)
    assert body["tools"] == [WEATHER]
    assert body["tool_choice"] == "auto" and body["parallel_tool_calls"] is False

    token = new_token()
    messages = [
        question,
        {"role": "assistant", "content": None, "toolCalls": first["toolCalls"]},
        {"role": "tool", "toolCallId": call["id"], "content": '{"celsius": 21}'},
    ]
    final = await chat(lsp, messages=messages, modelId=GPT, tools=[WEATHER],
                       partialResultToken=token)
    assert final["finishReason"] == "stop" and final["toolCalls"] == []
    assert final["content"] and streamed(lsp, token) == final["content"]
    body = sent(emulator, openapi)
    assert body["messages"][1] == {"role": "assistant", "content": None,
                                   "tool_calls": first["toolCalls"]}
    assert body["messages"][2] == {"role": "tool", "content": '{"celsius": 21}',
                                   "tool_call_id": call["id"]}


async def test_a_named_tool_choice_and_the_exacto_variant(
    lsp: LspSession, emulator: Any, openapi: OpenApi
) -> None:
    emulator.configure(tokens_per_second=0)
    await update_settings(lsp, modelVariant="exacto")
    other = {"type": "function", "function": {"name": "search", "parameters": {
        "type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}}}
    result = await chat(lsp, modelId=GPT, tools=[WEATHER, other],
                        toolChoice={"type": "function", "function": {"name": "search"}})
    assert [c["function"]["name"] for c in result["toolCalls"]] == ["search"]
    body = sent(emulator, openapi)
    assert body["model"] == f"{GPT}:exacto"
    assert body["tool_choice"] == {"type": "function", "function": {"name": "search"}}


async def test_tools_are_refused_for_a_model_without_them(lsp: LspSession) -> None:
    errors = field_errors(await chat_error(lsp, modelId=TEXT_ONLY, tools=[WEATHER]))
    assert "does not take tools" in errors["tools"]


async def test_bad_tools_are_named(lsp: LspSession, emulator: Any) -> None:
    bad = [
        {"type": "function", "function": {"name": "has space"}},
        {"type": "function", "function": {"name": "f", "parameters": {"type": "array"}}},
        {"type": "retrieval", "function": {"name": "g"}},
    ]
    errors = field_errors(await chat_error(lsp, modelId=GPT, tools=bad))
    assert set(errors) == {"tools[2].type"}  # the shape first: nothing else is looked at
    errors = field_errors(await chat_error(lsp, modelId=GPT, tools=bad[:2], toolChoice={
        "type": "function", "function": {"name": "nope"}}))
    assert set(errors) == {"tools[0].function.name", "tools[1].function.parameters",
                           "toolChoice.function.name"}
    errors = field_errors(await chat_error(lsp, modelId=GPT, toolChoice="auto"))
    assert errors == {"toolChoice": "needs tools"}
    assert not [r for r in emulator.requests() if r["path"].endswith("/chat/completions")]


# --- images ------------------------------------------------------------------------------------


async def test_an_image_as_a_data_url_and_as_a_file(
    lsp: LspSession, emulator: Any, openapi: OpenApi, tmp_path: Path
) -> None:
    emulator.configure(tokens_per_second=0)
    image = png_bytes()
    file = tmp_path / "shot.png"
    file.write_bytes(image)
    content = [
        {"type": "text", "text": "What is in these?"},
        {"type": "image_url", "imageUrl": {"url": data_url(image), "detail": "low"}},
        {"type": "image_file", "path": str(file)},
        {"type": "image_url", "imageUrl": {"url": "https://example.com/cat.jpg"}},
    ]
    result = await chat(lsp, messages=[{"role": "user", "content": content}], modelId=GPT)
    assert result["content"]
    body = sent(emulator, openapi)
    assert body["messages"][0]["content"] == [
        {"type": "text", "text": "What is in these?"},
        {"type": "image_url", "image_url": {"url": data_url(image), "detail": "low"}},
        {"type": "image_url", "image_url": {"url": data_url(image)}},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}},
    ]
    # Images count as image tokens, not as the characters of their URLs.
    assert result["usage"]["promptTokens"] < 3 * 1600 + 100


async def test_an_image_to_a_text_only_model_is_refused(lsp: LspSession, emulator: Any) -> None:
    content = [{"type": "text", "text": "see"},
               {"type": "image_url", "imageUrl": {"url": data_url(png_bytes())}}]
    errors = field_errors(await chat_error(
        lsp, messages=[{"role": "user", "content": content}], modelId=TEXT_ONLY))
    assert "does not take images" in errors["messages[0].content[1]"]
    assert TEXT_ONLY in errors["messages[0].content[1]"]
    assert not [r for r in emulator.requests() if r["path"].endswith("/chat/completions")]


async def test_bad_images_are_named(lsp: LspSession, tmp_path: Path) -> None:
    not_image = tmp_path / "notes.txt"
    not_image.write_text("plain text")
    content = [
        {"type": "image_url", "imageUrl": {"url": "http://example.com/a.png"}},
        {"type": "image_url", "imageUrl": {"url": "data:image/png;base64,@@@"}},
        {"type": "image_url", "imageUrl": {"url": "data:text/plain;base64,aGk="}},
        {"type": "image_file", "path": str(not_image)},
        {"type": "image_file", "path": str(tmp_path / "missing.png")},
        {"type": "image_file", "path": "relative.png"},
    ]
    errors = field_errors(await chat_error(
        lsp, messages=[{"role": "user", "content": content}], modelId=GPT))
    assert set(errors) == {
        "messages[0].content[0].imageUrl.url", "messages[0].content[1].imageUrl.url",
        "messages[0].content[2].imageUrl.url", "messages[0].content[3].path",
        "messages[0].content[4].path", "messages[0].content[5].path",
    }
    assert "https://" in errors["messages[0].content[0].imageUrl.url"]
    assert "not a PNG, JPEG, WebP or GIF" in errors["messages[0].content[3].path"]
    assert errors["messages[0].content[4].path"] == "names no file"


async def test_bad_content_shapes_are_named(lsp: LspSession) -> None:
    messages = [
        {"role": "user", "content": 5},
        {"role": "user", "content": [{"type": "video"}, {"text": "a"},
                                     {"type": "image_url", "imageUrl": {"url": 7}}]},
        {"role": "robot", "content": "x"},
    ]
    errors = field_errors(await chat_error(lsp, messages=messages, modelId=GPT))
    assert errors == {
        "messages[0].content": "expected a string, an array of content parts or null, got a "
                               "number",
        "messages[1].content[0].type": "must be one of 'text', 'image_url', 'image_file', got "
                                       "'video'",
        "messages[1].content[1].type": "is required (one of 'text', 'image_url', 'image_file')",
        "messages[1].content[2].imageUrl.url": "expected a string, got a number",
        "messages[2].role": "must be one of 'system', 'user', 'assistant', 'tool', got 'robot'",
    }


async def test_role_rules_are_named(lsp: LspSession) -> None:
    messages = [
        {"role": "user", "content": None},
        {"role": "tool", "content": "21"},
        {"role": "user", "content": "x", "toolCallId": "c1"},
        {"role": "assistant", "content": [
            {"type": "image_url", "imageUrl": {"url": "https://example.com/a.png"}}]},
        {"role": "user", "content": "y", "toolCalls": [
            {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
        {"role": "tool", "content": "z", "toolCallId": "c1",
         "reasoningDetails": [{"type": "reasoning.text", "text": "t"}]},
        {"role": "assistant", "content": "a",
         "attachments": [{"kind": "document", "uri": "file:///a.py"}]},
        {"role": "assistant", "content": None, "toolCalls": [
            {"id": "c2", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
         "reasoningDetails": [{"type": "reasoning.text", "text": "t"}]},
    ]
    errors = field_errors(await chat_error(lsp, messages=messages, modelId=GPT))
    assert errors == {
        "messages[0].content": "may be null only in an assistant message with toolCalls",
        "messages[1].toolCallId": "is required in a tool message (the id of the call it answers)",
        "messages[2].toolCallId": 'belongs only to a "tool" message',
        "messages[3].content[0]": "images belong only in user messages",
        "messages[4].toolCalls": 'belongs only to a "assistant" message',
        "messages[5].reasoningDetails": 'belongs only to a "assistant" message',
        "messages[6].attachments": 'belongs only to a "user" message',
        # Every problem is named, the unopened document too:
        "messages[6].attachments[0].uri": "is not a document open in the editor (the server "
        "quotes only documents synced with didOpen/didChange)",
    }


# --- attachments -------------------------------------------------------------------------------

SOURCE = "import os\n\n\ndef main():\n    print(os.getcwd())\n    return 1\n"


def open_document(lsp: LspSession, uri: str, text: str, version: int = 1) -> None:
    lsp.client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="python", version=version,
                                             text=text)))


def span(start: int, end: int, end_character: int = 0) -> dict[str, Any]:
    return {"start": {"line": start, "character": 0},
            "end": {"line": end, "character": end_character}}


async def test_attachments_quote_the_synced_documents(
    lsp: LspSession, emulator: Any, openapi: OpenApi, tmp_path: Path
) -> None:
    emulator.configure(tokens_per_second=0)
    uri = (tmp_path / "app.py").as_uri()
    open_document(lsp, uri, "old text\n")
    lsp.client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=SOURCE)]))
    diagnostic = {"range": {"start": {"line": 4, "character": 10},
                            "end": {"line": 4, "character": 19}},
                  "message": "os.getcwd may\nraise", "severity": 2, "source": "lint",
                  "code": "W123", "tags": [1]}
    elsewhere = {"range": span(0, 0, 9), "message": "unused import", "severity": 1}
    message = {"role": "user", "content": "Explain this.", "attachments": [
        {"kind": "document", "uri": uri},
        {"kind": "range", "uri": uri, "range": span(3, 6)},
        {"kind": "diagnostics", "uri": uri, "range": span(3, 5),
         "diagnostics": [diagnostic, elsewhere]},
    ]}
    await chat(lsp, messages=[message], modelId=GPT)
    text = sent(emulator, openapi)["messages"][0]["content"]
    name = str(tmp_path / "app.py")
    document, code_range, diagnostics = text.split("\n\n", 1)[1].split("\n\n")
    assert document == (
        f"`{name}` (lines 1-6):\n```python\n1 | import os\n2 | \n3 | \n4 | def main():\n"
        "5 |     print(os.getcwd())\n6 |     return 1\n```"
    )
    assert code_range == (
        f"`{name}` (lines 4-6):\n```python\n4 | def main():\n5 |     print(os.getcwd())\n"
        "6 |     return 1\n```"
    )
    assert diagnostics == (
        f"Diagnostics of `{name}`:\n"
        "- Warning at line 5, column 11 (lint, W123): os.getcwd may raise\n"
        "The lines they point at:\n```python\n4 | def main():\n5 |     print(os.getcwd())\n```"
    )  # the range ends at the start of line 6: that line is left out, so is line 1's error
    assert text.startswith("Explain this.\n\n")


async def test_attachments_that_cannot_be_resolved_are_named(
    lsp: LspSession, emulator: Any, tmp_path: Path
) -> None:
    uri = (tmp_path / "open.py").as_uri()
    open_document(lsp, uri, "one line\n")
    message = {"role": "user", "content": "x", "attachments": [
        {"kind": "document", "uri": (tmp_path / "closed.py").as_uri()},
        {"kind": "range", "uri": uri},
        {"kind": "range", "uri": uri, "range": span(5, 6)},
        {"kind": "diagnostics", "uri": uri},
        {"kind": "selection", "uri": uri},
    ]}
    errors = field_errors(await chat_error(lsp, messages=[message], modelId=GPT))
    assert set(errors) == {"messages[0].attachments[4].kind"}  # shapes first
    message["attachments"].pop()
    errors = field_errors(await chat_error(lsp, messages=[message], modelId=GPT))
    assert set(errors) == {
        "messages[0].attachments[0].uri", "messages[0].attachments[1].range",
        "messages[0].attachments[2].range.start.line",
        "messages[0].attachments[3].diagnostics",
    }
    assert "not a document open in the editor" in errors["messages[0].attachments[0].uri"]
    assert not [r for r in emulator.requests() if r["path"].endswith("/chat/completions")]


async def test_the_context_estimate_refuses_a_prompt_too_long_for_the_model(
    lsp: LspSession, emulator: Any, tmp_path: Path
) -> None:
    await update_settings(lsp, middleOutTransform=False)
    uri = (tmp_path / "big.txt").as_uri()
    open_document(lsp, uri, "word " * 9000)
    message = {"role": "user", "content": "Summarise",
               "attachments": [{"kind": "document", "uri": uri}]}
    errors = field_errors(await chat_error(lsp, messages=[message], modelId=TEXT_ONLY))
    assert "more than the 8,192-token context of meta-llama/llama-3-8b-instruct" in errors[
        "messages"]
    assert "about 11,2" in errors["messages"]
    assert not [r for r in emulator.requests() if r["path"].endswith("/chat/completions")]


# --- reasoning details -------------------------------------------------------------------------


async def test_reasoning_details_come_back_whole_and_are_sent_back(
    lsp: LspSession, emulator: Any, openapi: OpenApi
) -> None:
    emulator.configure(tokens_per_second=0, chunk_tokens=2)
    await update_settings(lsp, reasoningEffort="high")
    question = user("Think about it")
    first = await chat(lsp, messages=[question], modelId=CLAUDE, maxTokens=64)
    assert first["reasoning"]
    # The streamed pieces joined: what the same message carries unstreamed.
    assert first["reasoningDetails"] == reasoning_details.whole(CLAUDE, first["reasoning"])
    assert first["reasoningDetails"][0]["signature"]

    messages = [question,
                {"role": "assistant", "content": first["content"],
                 "reasoningDetails": first["reasoningDetails"]},
                user("And then?")]
    await chat(lsp, messages=messages, modelId=CLAUDE, maxTokens=64)
    body = sent(emulator, openapi)
    assert body["messages"][1]["reasoning_details"] == first["reasoningDetails"]


async def test_a_chat_without_structured_parts_returns_empty_lists(lsp: LspSession) -> None:
    result = await chat(lsp, modelId=GPT)
    assert result["toolCalls"] == [] and result["reasoningDetails"] == []


# --- in a saved conversation --------------------------------------------------------------------


async def test_a_conversation_stores_attachments_and_image_files_resolved(
    lsp: LspSession, emulator: Any, openapi: OpenApi, tmp_path: Path
) -> None:
    """A later turn replays the stored text and image, not the attachment or the file, so it
    still works once the document is closed and the file gone."""
    emulator.configure(tokens_per_second=0)
    uri = (tmp_path / "app.py").as_uri()
    open_document(lsp, uri, SOURCE)
    image = tmp_path / "shot.png"
    image.write_bytes(png_bytes())
    first = {"role": "user", "content": [
        {"type": "text", "text": "Explain this."}, {"type": "image_file", "path": str(image)}],
        "attachments": [{"kind": "range", "uri": uri, "range": span(3, 6)}]}
    await chat(lsp, messages=[first], modelId=GPT, conversationId="conv-attach")
    lsp.client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    image.unlink()
    await chat(lsp, messages=[user("And now?")], modelId=GPT, conversationId="conv-attach")
    replayed = sent(emulator, openapi)["messages"][0]["content"]
    assert replayed[0]["text"] == "Explain this."
    assert replayed[1]["image_url"]["url"] == data_url(png_bytes())
    assert "4 | def main():" in replayed[2]["text"]


async def test_errors_in_a_conversation_name_the_messages_the_client_sent(
    lsp: LspSession, emulator: Any
) -> None:
    await chat(lsp, messages=[user("hello")], modelId=GPT, conversationId="conv-named")
    content = [{"type": "image_url", "imageUrl": {"url": data_url(png_bytes())}}]
    errors = field_errors(await chat_error(
        lsp, messages=[{"role": "user", "content": content}], modelId=TEXT_ONLY,
        conversationId="conv-named"))
    assert set(errors) == {"messages[0].content[0]"}  # not messages[2]: two are stored first
