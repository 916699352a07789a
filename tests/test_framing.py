"""`framing.FrameDecoder` in process: the same events whatever the chunking, resync after any
bad frame, and nothing buffered beyond the limit."""

from __future__ import annotations

import pytest

from openrouter_lsp.lsp.framing import (
    DEFAULT_MAX_MESSAGE_BYTES,
    MAX_HEADER_BYTES,
    Event,
    Frame,
    FrameDecoder,
    Oversized,
    Skipped,
    frame,
    max_message_bytes,
)

ONE, TWO = b'{"id":1}', b'{"id":2}'


def decode(stream: bytes, chunk: int, limit: int = 1000) -> list[Event]:
    decoder = FrameDecoder(limit)
    events: list[Event] = []
    for start in range(0, len(stream), chunk):
        decoder.feed(stream[start : start + chunk])
        while (event := decoder.next_event()) is not None:
            if isinstance(event, Frame) and not (
                event.body.startswith(b"{") and event.body.endswith(b"}")
            ):
                decoder.reject(event.body)  # what the transport does with non-JSON
                event = Skipped("not JSON")
            events.append(event)
            # Bounded, always: a body up to the limit, a header block up to its own limit.
            assert len(decoder._buffer) <= max(limit, MAX_HEADER_BYTES) + chunk
    return events


CASES: dict[str, tuple[bytes, list[type]]] = {
    "two good": (frame(ONE) + frame(TWO), [Frame, Frame]),
    "lower case, LF only": (b"content-length: 8\n\n" + ONE + frame(TWO), [Frame, Frame]),
    "no header": (ONE + frame(TWO), [Skipped, Frame]),
    "negative": (b"Content-Length: -5\r\n\r\n" + ONE + frame(TWO), [Skipped, Frame]),
    "10 too long": (b"Content-Length: 18\r\n\r\n" + ONE + frame(TWO), [Skipped, Frame]),
    "3 too short": (b"Content-Length: 5\r\n\r\n" + ONE + frame(TWO), [Skipped, Frame]),
    "huge": (b"Content-Length: 1000000000000\r\n\r\n" + ONE + frame(TWO), [Oversized, Frame]),
    "5000 digits": (
        b"Content-Length: " + b"9" * 5000 + b"\r\n\r\n" + frame(TWO),
        [Oversized, Frame],
    ),
    "long line": (b"X: " + b"a" * 20_000 + b"\r\n" + frame(TWO), [Skipped, Frame]),
    "blank lines between": (b"\r\n" + frame(ONE) + b"\n\r\n" + frame(TWO), [Frame, Frame]),
    "two lengths": (b"Content-Length: 8\r\nContent-Length: 9\r\n\r\n" + ONE + frame(TWO),
                    [Skipped, Frame]),
}


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64, 100_000])
def test_events_do_not_depend_on_chunking(name: str, chunk: int) -> None:
    stream, expected = CASES[name]
    events = decode(stream, chunk)
    kinds = [type(e) for e in events]
    # A lie may cost one more report while the decoder finds its feet; never a lost good frame.
    assert kinds[-1] is Frame and events[-1] == Frame(TWO), events
    assert kinds[0] is expected[0], events
    assert kinds.count(Frame) == expected.count(Frame), events


def test_an_oversized_body_is_discarded_to_its_length_and_its_head_kept() -> None:
    body = b'{"id":7,"p":"' + b"x" * 5000 + b'"}'
    events = decode(frame(body) + frame(TWO), chunk=512)
    assert isinstance(events[0], Oversized) and events[0].length == len(body)
    assert events[0].head.startswith(b'{"id":7')
    assert events[1:] == [Frame(TWO)]


def test_the_limit_comes_from_the_environment_when_sane() -> None:
    assert max_message_bytes({}) == DEFAULT_MAX_MESSAGE_BYTES
    assert max_message_bytes({"OPENROUTER_LSP_MAX_MESSAGE_BYTES": "2048"}) == 2048
    for insane in ("-1", "9" * 50, "lots", ""):
        assert max_message_bytes({"OPENROUTER_LSP_MAX_MESSAGE_BYTES": insane}) == (
            DEFAULT_MAX_MESSAGE_BYTES
        )


@pytest.mark.parametrize("chunk", [1, 5, 4096, 65_536, 300_000])
def test_a_long_body_over_many_reads_comes_out_whole_and_the_next_message_intact(
    chunk: int,
) -> None:
    # A long body is kept as the reads that carry it and joined once; the read that ends it
    # also carries the start of the next message, which must not be lost or duplicated.
    long_body = b'{"text":"' + bytes(range(48, 58)) * 25_000 + b'"}'
    stream = frame(long_body) + frame(ONE) + frame(long_body) + frame(TWO)
    decoder = FrameDecoder(DEFAULT_MAX_MESSAGE_BYTES)
    bodies = []
    for start in range(0, len(stream), chunk):
        decoder.feed(stream[start : start + chunk])
        while (event := decoder.next_event()) is not None:
            assert isinstance(event, Frame), event
            bodies.append(event.body)
        assert decoder._pieces_bytes <= len(long_body) + chunk
    assert bodies == [long_body, ONE, long_body, TWO]
