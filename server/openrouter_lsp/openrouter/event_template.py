"""The repeated envelope of a chat stream, recognised so that most events need no JSON decode.

The events of one stream are the same JSON text but for the delta's content string (same id,
provider, model, created, index, `finish_reason: null`...). Once one event has been decoded in
full and found to be a plain content event (`plain_content`), its text before and after the
content string literal is remembered (`learn`). A later event that starts with that prefix and
ends with that suffix, with one complete JSON string token between them, is the template with
that string as its content: JSON's grammar makes a string token a string token, whatever its
text, so everything else decodes as before. Anything else is decoded in full by the caller
(which may learn from it again).

Learning is proven, not guessed: the literal found after a `"content":` key is replaced by a
sentinel and the text decoded again; only if the delta's content is then the sentinel is that
literal the content (a duplicate key, or a key that merely ends in `content`, fails this).

Shared by the server (`chat_stream.py`) and the benchmark's direct reader (`bench/`), so the
floor parses as the server does and the ratio measures the relay alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

# json's own string scanner (C): strict, as the decoder that reads the full events is.
# (Typeshed does not list it, though `json.decoder` exports it.)
_scan: Callable[[str, int, bool], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]
_decode = json.JSONDecoder().raw_decode
# JSON whitespace is exactly these four characters.
_CONTENT_KEY = re.compile(r'"content"[ \t\n\r]*:[ \t\n\r]*"')
# Learning costs a decode: after this many learnings without a template hit in between, the
# stream's envelope is taken to vary per event and learning stops (until a hit).
_LEARNINGS_WITHOUT_HIT = 4


def plain_content(chunk: Any) -> str | None:
    """The content of an event whose only effect is its text, or None.

    Plain: no error, no reasoning, tool call, reasoning detail, finish reason or usage; the
    content a string. Such an event's effect on a stream is to add its content, nothing else.
    """
    if not isinstance(chunk, dict) or chunk.get("error") is not None or chunk.get("usage"):
        return None
    choices = chunk.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return None
    choice = choices[0]
    delta = choice.get("delta")
    if not isinstance(delta, dict) or choice.get("finish_reason"):
        return None
    content = delta.get("content")
    reasoning = delta.get("reasoning")
    if reasoning is None:
        reasoning = delta.get("reasoning_content")
    if (
        not isinstance(content, str)
        or reasoning
        or delta.get("tool_calls")
        or delta.get("reasoning_details")
    ):
        return None
    return content


def _content_of(text: str) -> Any:
    """The delta's content of an event's text, or None when the text is not such an event."""
    try:
        chunk, end = _decode(text)
        if text[end:].strip():
            return None
        return chunk["choices"][0]["delta"]["content"]
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        return None


class EventTemplate:
    """The learned envelope of one stream's plain content events."""

    def __init__(self) -> None:
        self._prefix: str | None = None  # up to and including the content's opening quote
        self._suffix = ""  # from the content's closing quote to the end
        self._tail = 0  # len(suffix) - 1: where, from the end, the content's token ends
        self._learnings_left = _LEARNINGS_WITHOUT_HIT

    def take(self, events: list[str], start: int, out: list[str]) -> tuple[int, int]:
        """Append to `out` the non-empty contents of `events[start:]` while they fit the template.

        Returns the index of the first event that does not fit (`len(events)` when all do) and
        the number of characters appended. That event must be decoded in full.
        """
        prefix = self._prefix
        if prefix is None:
            return start, 0
        suffix = self._suffix
        opened = len(prefix)
        tail = self._tail
        chars = 0
        index = start
        for index in range(start, len(events)):
            data = events[index]
            if not (data.startswith(prefix) and data.endswith(suffix)):
                break
            try:
                content, end = _scan(data, opened, True)
            except ValueError:  # an unterminated string or a bad escape: not ours to judge
                break
            if end + tail != len(data):  # a quote inside: the middle is not one string token
                break
            if content:
                out.append(content)
                chars += len(content)
        else:
            index = len(events)
        if index > start:
            self._learnings_left = _LEARNINGS_WITHOUT_HIT
        return index, chars

    def learn(self, data: str, chunk: Any) -> None:
        """Learn from an event `data` that decoded (raw_decode, in full) to `chunk`."""
        if self._learnings_left <= 0:
            return
        content = plain_content(chunk)
        if content is None:
            return
        self._learnings_left -= 1
        for match in _CONTENT_KEY.finditer(data):
            opened = match.end()
            try:
                value, end = _scan(data, opened, True)
            except ValueError:
                continue
            if value != content:
                continue
            prefix, suffix = data[:opened], data[end - 1:]
            sentinel = "s" if content != "s" else "t"
            if _content_of(prefix + sentinel + suffix) == sentinel:
                self._prefix, self._suffix, self._tail = prefix, suffix, len(suffix) - 1
                return
        self._prefix = None
