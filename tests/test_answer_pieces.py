"""Answers written as pieces (`wire.RawJson`, `transport.write_all`): every byte arrives in
order whatever the pipe does, and the secret check the catalogue keeps is redone whenever a
new secret becomes known."""

from __future__ import annotations

import io
import json
import os
import threading
import time
from pathlib import Path

from tests.support.loopback_upstream import (
    CATALOGUE,
    MODEL,
    LoopbackUpstream,
    json_answer,
    running_session,
    upstream,
)
from tests.support.lsp import TEST_KEY

from openrouter_lsp.logging_setup import REDACTED, clean_as_of, register_secret, secrets_known
from openrouter_lsp.lsp import outgoing
from openrouter_lsp.lsp.transport import StdoutWriter, write_all

__all__ = ["upstream"]  # the fixture


def pieces_of_sizes(count: int, sizes: list[int]) -> list[bytes]:
    return [bytes([i % 251]) * sizes[i % len(sizes)] for i in range(count)]


def read_through_pipe(pieces: list[bytes], *, blocking: bool, slow_reader: bool) -> bytes:
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, blocking)
    received: list[bytes] = []

    def drain() -> None:
        while chunk := os.read(read_end, 65536):
            received.append(chunk)
            if slow_reader:
                time.sleep(0.0005)  # the writer meets a full pipe again and again

    reader = threading.Thread(target=drain)
    reader.start()
    try:
        write_all(write_end, pieces)
    finally:
        os.close(write_end)
        reader.join(10)
        os.close(read_end)
    return b"".join(received)


def test_more_pieces_than_one_writev_takes_arrive_in_order() -> None:
    pieces = pieces_of_sizes(5_000, [0, 1, 7, 300, 4096])  # 5 writev calls of 1024 pieces
    assert read_through_pipe(pieces, blocking=True, slow_reader=False) == b"".join(pieces)


def test_a_non_blocking_pipe_cuts_writes_short_and_nothing_is_lost() -> None:
    # A non-blocking pipe (a client may set O_NONBLOCK on the pipe it shares) takes what fits:
    # writes end inside a piece and between pieces, and EAGAIN waits for room.
    pieces = pieces_of_sizes(600, [0, 1, 7, 4096, 70_000, 300])
    assert sum(map(len, pieces)) > 4 * 1024 * 1024
    assert read_through_pipe(pieces, blocking=False, slow_reader=True) == b"".join(pieces)


def test_clean_pieces_go_out_unscanned_until_a_new_secret_is_known() -> None:
    secret = "sk-or-v1-pieces-secret-not-yet-known-7f3a"
    pieces = [b'{"models":[', b'{"id":"a","description":"' + secret.encode() + b'"}', b"]}"]
    checked = clean_as_of(pieces)
    assert checked == secrets_known()
    assert outgoing.checked_pieces(pieces, checked) is pieces  # no scan, no copy
    register_secret(secret)
    assert checked != secrets_known()  # the check is stale now...
    scrubbed = outgoing.checked_pieces(pieces, checked)  # ...so the pieces are scanned again
    text = b"".join(scrubbed).decode()
    assert secret not in text and json.loads(text)["models"][0]["description"] == REDACTED
    assert clean_as_of(pieces) is None


async def test_a_catalogue_echoing_a_key_is_redacted_even_when_the_key_comes_later(
    tmp_path: Path, upstream: LoopbackUpstream
) -> None:
    later_key = "sk-or-v1-set-after-the-catalogue-was-checked-0b1d"
    model = dict(CATALOGUE["data"][0])
    echoed = {**model, "id": "evil/echo", "name": f"Echo {TEST_KEY}",
              "description": f"the next key: {later_key}"}
    upstream.routes["/models"] = json_answer({"data": [model, echoed]})
    async with running_session(tmp_path, upstream, TEST_KEY) as lsp:
        first = await lsp.call("openrouter/models/list", {})
        by_id = {m["id"]: m for m in first["models"]}
        assert by_id["evil/echo"]["name"] == f"Echo {REDACTED}"
        # Not a secret yet: sent as the upstream wrote it, from pieces found clean of the
        # secrets known then (the test key).
        assert by_id["evil/echo"]["description"] == f"the next key: {later_key}"
        await lsp.call("openrouter/apiKey/set", {"apiKey": later_key})
        for params in ({}, {"query": "echo"}, {"limit": 1, "offset": 1}):
            answer = await lsp.call("openrouter/models/list", params)
            written = json.dumps(answer)
            assert later_key not in written and TEST_KEY not in written, params
            echo = next(m for m in answer["models"] if m["id"] == "evil/echo")
            assert echo["description"] == f"the next key: {REDACTED}", params
        listed = await lsp.call("openrouter/models/list", {"ids": [MODEL]})
        assert [m["id"] for m in listed["models"]] == [MODEL]


def test_the_stdout_writer_writes_pieces_to_a_pipe_and_to_memory_and_closes() -> None:
    read_end, write_end = os.pipe()
    with os.fdopen(write_end, "wb") as stream:
        writer = StdoutWriter(stream)
        writer.write(b"one ")
        writer.write_pieces([b"two", b" ", b"three"])
        writer.close()
    assert os.read(read_end, 100) == b"one two three"
    os.close(read_end)
    memory = io.BytesIO()
    in_memory = StdoutWriter(memory)
    in_memory.write_pieces([b"a", b"b"])
    assert memory.getvalue() == b"ab"
    in_memory.close()
    assert memory.closed
