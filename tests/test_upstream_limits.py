"""Upstream limits through the real server against a misbehaving loopback upstream: the chat
deadline (endless keep-alives, trickled headers), decompressed-size caps (gzip bombs, huge
bodies), one SSE event, one answer. Small limits come in through the environment."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from tests.support.chat import chat, chat_error, new_token, streamed, upstream_data
from tests.support.loopback_upstream import (
    CATALOGUE,
    MODEL,
    LoopbackUpstream,
    Request,
    answer,
    chunk,
    gzip_bomb,
    gzipped,
    head,
    json_answer,
    running_session,
    sse,
    sse_answer,
    upstream,
)
from tests.support.lsp import TEST_KEY

__all__ = ["upstream"]  # the fixture

TICK_S = 0.05
KiB = 1024


async def endless_keepalives(_: Request, writer: asyncio.StreamWriter) -> None:
    writer.write(head(Content_Type="text/event-stream"))
    writer.write(sse(chunk("Thinking about it")))
    while True:  # until the server under test hangs up
        writer.write(b": OPENROUTER PROCESSING\n\n")
        await writer.drain()
        await asyncio.sleep(TICK_S)


async def trickled_headers(_: Request, writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
    while True:
        writer.write(b"a")
        await writer.drain()
        await asyncio.sleep(TICK_S)


async def test_the_chat_deadline_ends_endless_keepalives_and_keeps_the_text(
    tmp_path: Path, upstream: LoopbackUpstream
) -> None:
    upstream.routes["/chat/completions"] = endless_keepalives
    async with running_session(
        tmp_path, upstream, TEST_KEY, OPENROUTER_LSP_CHAT_DEADLINE_S="1.5"
    ) as lsp:
        token = new_token()
        error = await chat_error(lsp, partialResultToken=token)
        # The server is still free: another request is answered at once.
        await lsp.call("openrouter/settings/get", {})
    data = upstream_data(error)
    assert data["kind"] == "timeout"
    assert "1.5 s" in data["message"] and "OPENROUTER_LSP_CHAT_DEADLINE_S" in data["message"]
    assert data["partialContent"] == "Thinking about it" == streamed(lsp, token)


async def done_then_an_open_body(_: Request, writer: asyncio.StreamWriter) -> None:
    """A complete answer, [DONE], then a body that never ends (no length: the close ends it)."""
    writer.write(head(Content_Type="text/event-stream"))
    writer.write(sse(chunk("Complete "), chunk("answer", usage={"prompt_tokens": 3,
                     "completion_tokens": 2, "total_tokens": 5}), "[DONE]"))
    while True:  # until the server under test hangs up
        writer.write(b": OPENROUTER PROCESSING\n\ndata: " + chunk("not ours").encode() + b"\n\n")
        await writer.drain()
        await asyncio.sleep(TICK_S)


async def test_a_body_left_open_after_done_ends_the_chat_with_its_answer(
    tmp_path: Path, upstream: LoopbackUpstream
) -> None:
    """The body's end is read for a short while only (`chat_stream._drain`): the answer is what
    came before [DONE], well before the chat deadline, and the server goes on serving."""
    upstream.routes["/chat/completions"] = done_then_an_open_body
    async with running_session(
        tmp_path, upstream, TEST_KEY, OPENROUTER_LSP_CHAT_DEADLINE_S="10"
    ) as lsp:
        token = new_token()
        result = await chat(lsp, partialResultToken=token)
        again = await chat(lsp)
    assert result["content"] == "Complete answer" == streamed(lsp, token) == again["content"]
    assert result["usage"]["completionTokens"] == 2
    assert [r.path for r in upstream.requests].count("/chat/completions") == 2


async def test_the_chat_deadline_ends_headers_trickled_a_byte_at_a_time(
    tmp_path: Path, upstream: LoopbackUpstream
) -> None:
    upstream.routes["/chat/completions"] = trickled_headers
    async with running_session(
        tmp_path, upstream, TEST_KEY, OPENROUTER_LSP_CHAT_DEADLINE_S="1"
    ) as lsp:
        error = await chat_error(lsp)
    data = upstream_data(error)
    assert data["kind"] == "timeout" and "within 1 s" in data["message"]
    assert "partialContent" not in data


async def test_catalogue_and_account_requests_have_a_deadline_too(
    tmp_path: Path, upstream: LoopbackUpstream
) -> None:
    upstream.routes["/models"] = trickled_headers
    upstream.routes["/key"] = trickled_headers
    async with running_session(
        tmp_path, upstream, TEST_KEY, OPENROUTER_LSP_REQUEST_DEADLINE_S="1"
    ) as lsp:
        models_error = await lsp.call_error("openrouter/models/list", {})
        account_error = await lsp.call_error("openrouter/account/get", {})
    for error in (models_error, account_error):
        data = upstream_data(error)
        assert data["kind"] == "timeout"
        assert "within 1 s" in data["message"]
        assert "OPENROUTER_LSP_REQUEST_DEADLINE_S" in data["message"]


async def test_a_gzip_bombed_catalogue_is_refused_while_the_server_stays_responsive(
    tmp_path: Path, upstream: LoopbackUpstream
) -> None:
    bomb = gzip_bomb(64 * 1024 * KiB)  # 64 MB of zeros in ~64 KB
    upstream.routes["/models"] = answer(bomb, Content_Encoding="gzip",
                                        Content_Type="application/json")
    async with running_session(
        tmp_path, upstream, TEST_KEY, OPENROUTER_LSP_MAX_CATALOGUE_BYTES=str(2 * 1024 * KiB)
    ) as lsp:
        listing = asyncio.ensure_future(lsp.call_error("openrouter/models/list", {}))
        settings = await lsp.call("openrouter/settings/get", {})
        error = await listing
    assert settings["modelId"] == MODEL
    data = upstream_data(error)
    assert data["kind"] == "bad_request"
    assert "more than 2 MiB" in data["message"]
    assert "OPENROUTER_LSP_MAX_CATALOGUE_BYTES" in data["message"]


async def test_a_huge_catalogue_is_refused_by_its_length_or_as_it_streams(
    tmp_path: Path, upstream: LoopbackUpstream
) -> None:
    async def announced_300_mb(_: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(head(Content_Length=str(300_000_000), Content_Type="application/json"))
        writer.write(b'{"data":[' + b" " * 65536)

    async def endless_without_length(_: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(head(Content_Type="application/json") + b'{"data":[')
        model = json.dumps(CATALOGUE["data"][0]).encode() + b","
        while True:
            writer.write(model * 100)
            await writer.drain()

    async with running_session(
        tmp_path, upstream, TEST_KEY, OPENROUTER_LSP_MAX_CATALOGUE_BYTES=str(1024 * KiB)
    ) as lsp:
        upstream.routes["/models"] = announced_300_mb
        announced = await lsp.call_error("openrouter/models/list", {})
        upstream.routes["/models"] = endless_without_length
        streamed_error = await lsp.call_error("openrouter/models/list", {"refresh": True})
    for error in (announced, streamed_error):
        assert "more than 1 MiB" in upstream_data(error)["message"]


async def test_too_many_models_are_refused(tmp_path: Path, upstream: LoopbackUpstream) -> None:
    model = CATALOGUE["data"][0]
    upstream.routes["/models"] = json_answer(
        {"data": [{**model, "id": f"{MODEL}-{i}"} for i in range(30)]}
    )
    async with running_session(
        tmp_path, upstream, TEST_KEY, OPENROUTER_LSP_MAX_CATALOGUE_MODELS="20"
    ) as lsp:
        error = await lsp.call_error("openrouter/models/list", {})
    message = upstream_data(error)["message"]
    assert "more than 20 models" in message and "OPENROUTER_LSP_MAX_CATALOGUE_MODELS" in message


async def test_one_oversized_catalogue_entry_is_refused(
    tmp_path: Path, upstream: LoopbackUpstream
) -> None:
    # 700,000 tiny values in one entry: parsed at once, it would hold the event loop.
    model = {**CATALOGUE["data"][0], "junk": [[] for _ in range(700_000)]}
    upstream.routes["/models"] = json_answer({"data": [model]})
    async with running_session(tmp_path, upstream, TEST_KEY) as lsp:
        error = await lsp.call_error("openrouter/models/list", {})
    message = upstream_data(error)["message"]
    assert "longer than 65,536 characters" in message
    assert "OPENROUTER_LSP_MAX_CATALOGUE_ENTRY_CHARS" in message


async def test_a_gzipped_catalogue_within_the_cap_is_served(
    tmp_path: Path, upstream: LoopbackUpstream
) -> None:
    upstream.routes["/models"] = answer(
        gzipped(json.dumps(CATALOGUE).encode()), Content_Encoding="gzip",
        Content_Type="application/json",
    )
    async with running_session(tmp_path, upstream, TEST_KEY) as lsp:
        listing = await lsp.call("openrouter/models/list", {})
    assert [m["id"] for m in listing["models"]] == [MODEL]


async def test_endpoints_and_account_bodies_are_capped(
    tmp_path: Path, upstream: LoopbackUpstream
) -> None:
    padding = "x" * (200 * KiB)
    upstream.routes[f"/models/{MODEL}/endpoints"] = json_answer(
        {"data": {"endpoints": [], "padding": padding}}
    )
    upstream.routes["/key"] = answer(gzip_bomb(64 * 1024 * KiB), Content_Encoding="gzip")
    async with running_session(
        tmp_path, upstream, TEST_KEY, OPENROUTER_LSP_MAX_BODY_BYTES=str(64 * KiB)
    ) as lsp:
        endpoints_error = await lsp.call_error("openrouter/models/endpoints", {"modelId": MODEL})
        account_error = await lsp.call_error("openrouter/account/get", {})
    for error in (endpoints_error, account_error):
        message = upstream_data(error)["message"]
        assert "more than 64 KiB" in message and "OPENROUTER_LSP_MAX_BODY_BYTES" in message


async def test_an_encoding_that_was_not_offered_is_refused(
    tmp_path: Path, upstream: LoopbackUpstream
) -> None:
    upstream.routes["/models"] = answer(b"\x1b\x00\x00", Content_Encoding="br")
    async with running_session(tmp_path, upstream, TEST_KEY) as lsp:
        error = await lsp.call_error("openrouter/models/list", {})
    assert "'br', which was not offered" in upstream_data(error)["message"]
    request = next(r for r in upstream.requests if r.path == "/models")
    assert request.headers["accept-encoding"] == "gzip, deflate"


@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "gzip"])
async def test_one_sse_event_is_capped(
    tmp_path: Path, upstream: LoopbackUpstream, compressed: bool
) -> None:
    first = sse(chunk("Before the flood. "))
    if compressed:
        # The second event is a 64 MB line of zeros, in ~64 KB.
        upstream.routes["/chat/completions"] = answer(
            gzip_bomb(64 * 1024 * KiB, prefix=first + b"data: "),
            Content_Type="text/event-stream", Content_Encoding="gzip",
        )
    else:
        upstream.routes["/chat/completions"] = sse_answer(first + b"data: " + b"y" * (300 * KiB))
    async with running_session(
        tmp_path, upstream, TEST_KEY, OPENROUTER_LSP_MAX_SSE_LINE_CHARS=str(128 * KiB)
    ) as lsp:
        token = new_token()
        error = await chat_error(lsp, partialResultToken=token)
    data = upstream_data(error)
    assert data["kind"] == "stream_error"
    assert f"more than {128 * KiB:,} characters" in data["message"]
    assert "OPENROUTER_LSP_MAX_SSE_LINE_CHARS" in data["message"]
    assert data["partialContent"] == "Before the flood. " == streamed(lsp, token)


async def test_many_data_lines_in_one_event_are_capped(
    tmp_path: Path, upstream: LoopbackUpstream
) -> None:
    upstream.routes["/chat/completions"] = sse_answer(b"data: 1\n" * (100 * KiB))
    async with running_session(
        tmp_path, upstream, TEST_KEY, OPENROUTER_LSP_MAX_SSE_LINE_CHARS=str(64 * KiB)
    ) as lsp:
        error = await chat_error(lsp)
    assert "an event of more than" in upstream_data(error)["message"]


async def test_one_answer_is_capped_and_keeps_what_was_streamed(
    tmp_path: Path, upstream: LoopbackUpstream
) -> None:
    piece = "0123456789" * 100  # 1,000 characters per chunk
    upstream.routes["/chat/completions"] = sse_answer(
        sse(*(chunk(piece) for _ in range(500)), "[DONE]")
    )
    async with running_session(
        tmp_path, upstream, TEST_KEY, OPENROUTER_LSP_MAX_ANSWER_CHARS="100000"
    ) as lsp:
        token = new_token()
        error = await chat_error(lsp, partialResultToken=token)
    data = upstream_data(error)
    assert data["kind"] == "stream_error"
    assert "longer than 100,000 characters" in data["message"]
    assert "OPENROUTER_LSP_MAX_ANSWER_CHARS" in data["message"]
    assert data["partialContent"] == piece * 100 == streamed(lsp, token)


async def test_a_non_streamed_answer_is_capped_too(
    tmp_path: Path, upstream: LoopbackUpstream
) -> None:
    completion = {"id": "gen-1", "model": MODEL,
                  "choices": [{"message": {"content": "z" * 200_000}, "finish_reason": "stop"}]}
    upstream.routes["/chat/completions"] = json_answer(completion)
    async with running_session(
        tmp_path, upstream, TEST_KEY, OPENROUTER_LSP_MAX_ANSWER_CHARS="100000"
    ) as lsp:
        error = await chat_error(lsp)
    assert "longer than 100,000 characters" in upstream_data(error)["message"]


async def test_an_answer_within_the_limits_is_unchanged(
    tmp_path: Path, upstream: LoopbackUpstream
) -> None:
    upstream.routes["/chat/completions"] = answer(
        gzipped(sse(chunk("Compressed, "), chunk("and complete."), "[DONE]")),
        Content_Type="text/event-stream", Content_Encoding="gzip",
    )
    async with running_session(tmp_path, upstream, TEST_KEY) as lsp:
        result = await chat(lsp)
    assert result["content"] == "Compressed, and complete."


async def test_catalogue_items_are_decoded_exactly_across_slice_boundaries() -> None:
    from openrouter_lsp.openrouter.json_items import array_items
    from openrouter_lsp.openrouter.numbers import UPSTREAM_JSON

    # Values shorter and longer than the first 16 KiB slice, before and after other members.
    items: list[object] = [12345678901234567, "s" * 16_380, 3.25e10, {"a": [1, 2, "x" * 20_000]}]
    items += [*range(2_000), "tail"]
    text = json.dumps({"other": {"x": [1]}, "data": items, "after": "not read"})
    decoded = [item async for item in array_items(text, "data", UPSTREAM_JSON, 64 * KiB)]
    assert decoded == items
