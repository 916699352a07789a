"""LSP base-protocol framing (`Content-Length: N` headers, then N bytes of JSON), sans I/O.

`FrameDecoder` turns bytes, fed in any chunking, into events: a `Frame` (one message body), a
`Skipped` (bytes that were not a frame: a missing, malformed, negative or duplicated header, a
header line too long) or an `Oversized` (a body over the limit, discarded as it streams by).
Nothing it buffers is larger than the message limit plus one chunk, and no input stops it: after
a bad frame it resynchronises on the next `Content-Length:` header line.

The resync rule is safe because such a line (the header name, digits, then a raw line break)
can never occur inside valid JSON: a JSON string cannot hold a raw line break. So a huge body is
discarded up to its announced length, or up to the next header if the length was a lie.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

MAX_MESSAGE_BYTES_ENV = "OPENROUTER_LSP_MAX_MESSAGE_BYTES"
DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024  # a 4M-character chat message fits, escaped
MIN_MAX_MESSAGE_BYTES = 1024
MAX_HEADER_BYTES = 8 * 1024  # the whole header block; real ones are ~60 bytes
PEEK_BYTES = 4096  # of an oversized body, kept to find the request id to answer
_RESYNC_TAIL = 256  # bytes kept while searching: a header split across two reads still matches

_HEADER_START = re.compile(rb"content-length[ \t]*:[ \t]*\d+[ \t]*\r?\n", re.IGNORECASE)
_HEADER_LINE = re.compile(rb"([!#$%&'*+.^_`|~0-9A-Za-z-]+)[ \t]*:[ \t]*(.*?)[ \t]*")
_LENGTH = re.compile(rb"[0-9]+")
_LENGTH_CAP = 10**19  # a longer number of digits is reported as this (int() of 5,000 digits fails)
_TOKEN_BYTES = b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_LINE_START_BYTES = frozenset(_TOKEN_BYTES + b"\r\n")  # a header name, or the blank line


def max_message_bytes(environ: dict[str, str] | None = None) -> int:
    """The body size limit: `OPENROUTER_LSP_MAX_MESSAGE_BYTES` if it is a sane integer."""
    raw = (os.environ if environ is None else environ).get(MAX_MESSAGE_BYTES_ENV, "").strip()
    if raw.isdigit() and len(raw) <= 19:
        return max(MIN_MAX_MESSAGE_BYTES, int(raw))
    return DEFAULT_MAX_MESSAGE_BYTES


def frame(body: bytes) -> bytes:
    return header(len(body)) + body


def header(length: int) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % length


@dataclass(frozen=True)
class Frame:
    body: bytes


@dataclass(frozen=True)
class Skipped:
    """Bytes that were not a well-framed message were skipped (reported once per bad stretch)."""

    reason: str


@dataclass(frozen=True)
class Oversized:
    """A body of `length` bytes (over the limit) is being discarded; `head` is its start."""

    length: int
    limit: int
    head: bytes


Event = Frame | Skipped | Oversized


class FrameDecoder:
    def __init__(self, max_body: int = DEFAULT_MAX_MESSAGE_BYTES) -> None:
        self.max_body = max_body
        self._buffer = bytearray()
        self._state = "headers"  # headers | body | discard | resync
        self._scan = 0  # headers: where the next unparsed header line starts
        self._length: int | None = None
        self._remaining = 0  # discard: bytes of the oversized body still to drop
        self._head = bytearray()  # discard: the oversized body's first bytes
        self._oversized_length = 0
        self._announced = False  # discard: the Oversized event went out
        self._skipping = False  # inside a bad stretch: one Skipped event is enough
        # body: the pieces of a body longer than what has arrived, joined once when complete
        # (growing one bytearray read by read, then copying the body out of it, cost ~0.5 ms
        # per 400 KB message, most of it in page faults; a join is one copy)
        self._pieces: list[bytes] = []
        self._pieces_bytes = 0

    def feed(self, data: bytes) -> None:
        if self._pieces:
            self._pieces.append(data)
            self._pieces_bytes += len(data)
        else:
            self._buffer += data

    def next_event(self) -> Event | None:
        """The next event from the bytes fed so far, or None when more bytes are needed."""
        event = self._next()
        if event is None and self._state == "discard" and not self._announced and self._peek():
            return self._announce()  # the client may be waiting for an answer: give it now
        return event

    def reject(self, body: bytes) -> None:
        """The last frame's body was not JSON: its length was probably wrong, so look for the
        next header inside it (a length too long swallows the start of the next message)."""
        self._buffer[0:0] = body[1:]
        self._skipping = True
        self._enter_resync()

    # -- states ------------------------------------------------------------------------------

    def _next(self) -> Event | None:
        while True:
            if self._state == "headers":
                outcome = self._read_headers()
            elif self._state == "body":
                outcome = self._read_body()
            elif self._state == "discard":
                outcome = self._discard()
            else:
                outcome = self._resync()
            if not isinstance(outcome, bool):
                return outcome  # an event, or None: more bytes are needed
            # True: the state changed without an event; go on

    def _read_headers(self) -> Event | bool | None:
        buffer = self._buffer
        while True:
            if self._scan == 0:
                # Blank lines between messages are harmless.
                while buffer[:2] == b"\r\n" or buffer[:1] == b"\n":
                    del buffer[: 2 if buffer[:1] == b"\r" else 1]
            if self._scan < len(buffer) and buffer[self._scan] not in _LINE_START_BYTES:
                return self._fault("no Content-Length header before the message")
            newline = buffer.find(b"\n", self._scan)
            if newline < 0:
                if len(buffer) > MAX_HEADER_BYTES:
                    return self._fault(f"a header longer than {MAX_HEADER_BYTES:,} bytes")
                return None
            if newline + 1 > MAX_HEADER_BYTES:
                return self._fault(f"a header longer than {MAX_HEADER_BYTES:,} bytes")
            line = bytes(buffer[self._scan : newline]).removesuffix(b"\r")
            self._scan = newline + 1
            if not line:
                return self._end_of_headers()
            match = _HEADER_LINE.fullmatch(line)
            if match is None:
                return self._fault("a malformed header line")
            if match.group(1).lower() == b"content-length":
                value = match.group(2)
                if _LENGTH.fullmatch(value) is None:
                    shown = value[:40].decode("ascii", "replace")
                    return self._fault(f"an invalid Content-Length ({shown!r})")
                length = int(value) if len(value) <= 19 else _LENGTH_CAP
                if self._length is not None and self._length != length:
                    return self._fault("two different Content-Length headers")
                self._length = length
            # Other headers (Content-Type) carry nothing for us: LSP is always UTF-8 JSON.

    def _end_of_headers(self) -> Event | bool:
        length = self._length
        if length is None:
            return self._fault("no Content-Length header")
        del self._buffer[: self._scan]
        self._scan = 0
        self._length = None
        if length > self.max_body:
            self._state = "discard"
            self._oversized_length = length
            self._remaining = length
            self._head = bytearray()
            self._announced = False
            return True
        self._state = "body"
        self._remaining = length
        return True

    def _read_body(self) -> Event | None:
        length = self._remaining
        if self._pieces:
            return self._join_body(length)
        if len(self._buffer) < length:
            if self._buffer:  # from here on, reads are kept as they come
                self._pieces.append(bytes(self._buffer))
                self._pieces_bytes = len(self._buffer)
                self._buffer.clear()
            return None
        with memoryview(self._buffer) as view:
            body = bytes(view[:length])
        del self._buffer[:length]
        return self._body_done(body)

    def _join_body(self, length: int) -> Event | None:
        if self._pieces_bytes < length:
            return None
        pieces = self._pieces
        excess = self._pieces_bytes - length
        if excess:  # the last read also holds the start of the next message
            last = pieces[-1]
            pieces[-1] = last[: len(last) - excess]
            self._buffer += last[len(last) - excess :]
        body = pieces[0] if len(pieces) == 1 else b"".join(pieces)
        self._pieces = []
        self._pieces_bytes = 0
        return self._body_done(body)

    def _body_done(self, body: bytes) -> Frame:
        self._state = "headers"
        self._skipping = False
        return Frame(body)

    def _discard(self) -> Event | bool | None:
        take = min(self._remaining, len(self._buffer))
        # A lying length: the next message's header shows up inside the "body".
        found = _HEADER_START.search(self._buffer)
        if found is not None and found.start() < take:
            self._consume_discarded(found.start())
            self._remaining = 0
            return self._end_discard()
        # Keep a tail unless the body ends here: a header may be split across two reads.
        safe = take if take == self._remaining else max(0, take - _RESYNC_TAIL)
        if safe == 0:
            return None
        self._consume_discarded(safe)
        if self._remaining == 0:
            return self._end_discard()
        return None

    def _consume_discarded(self, count: int) -> None:
        if len(self._head) < PEEK_BYTES:
            self._head += self._buffer[: min(count, PEEK_BYTES - len(self._head))]
        del self._buffer[:count]
        self._remaining -= count

    def _peek(self) -> bytes:
        pending = self._buffer[: min(self._remaining, len(self._buffer))]
        return bytes((self._head + pending)[:PEEK_BYTES])

    def _end_discard(self) -> Event | bool:
        self._state = "headers"
        self._scan = 0
        if self._announced:
            return True
        return self._announce()

    def _announce(self) -> Oversized:
        self._announced = True
        return Oversized(self._oversized_length, self.max_body, self._peek())

    def _resync(self) -> bool | None:
        found = _HEADER_START.search(self._buffer)
        if found is None:
            if len(self._buffer) > _RESYNC_TAIL:
                del self._buffer[: len(self._buffer) - _RESYNC_TAIL]
            return None
        del self._buffer[: found.start()]
        self._state = "headers"
        self._scan = 0
        self._length = None
        return True

    def _fault(self, reason: str) -> Event | bool:
        """Skip the bad stretch: look for the next header from the byte after its start."""
        del self._buffer[:1]
        self._enter_resync()
        if self._skipping:
            return True
        self._skipping = True
        return Skipped(reason)

    def _enter_resync(self) -> None:
        self._state = "resync"
        self._scan = 0
        self._length = None
