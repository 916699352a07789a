"""The templated event path (`event_template.py`) gives exactly what the full decode gives.

A stream read through `_Stream.handle_all` (template runs + full decodes) is compared with the
same events each decoded in full (`_Stream.handle`), read by read as `_read_events` does: the
outcome, every increment handed on, every callback, and the error (message and partial text)
when there is one. Streams are generated around a few envelopes (OpenRouter's, spaced, key
orders, a duplicate `content` key, a key ending in `content`), with contents that need escapes,
surrogates, quotes, backslashes, control characters, the suffix's own text, and hostile middles
that are not one string token, mixed with events of every other shape.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from openrouter_lsp.errors import UpstreamError
from openrouter_lsp.openrouter.chat_stream import ChatRequest, _Stream
from openrouter_lsp.openrouter.event_template import EventTemplate, plain_content

OPENROUTER = (
    '{"id":"gen-1","provider":"OpenAI","model":"openai/gpt-4o","object":"chat.completion.chunk",'
    '"created":1,"choices":[{"index":0,"delta":{"role":"assistant","content":"',
    '","reasoning":null,"reasoning_details":[]},"finish_reason":null,"native_finish_reason":null,'
    '"logprobs":null}]}',
)
ENVELOPES = [
    OPENROUTER,
    ('{"id": "g", "model": "m", "choices": [{"delta": {"content" :\t"',
     '"}, "finish_reason": null}]} '),
    ('{"choices":[{"delta":{"content":"', '"}}],"model":"m","id":"x","provider":"p"}'),
    # The last of duplicate keys wins: the literal to learn is the second.
    ('{"model":"m","choices":[{"delta":{"content":"', '","content":"zz"}}]}'),
    ('{"model":"m","choices":[{"delta":{"content":"zz","content":"', '"}}]}'),
    # A key that merely ends in `content`, then the real one.
    ('{"model":"m","choices":[{"delta":{"\\"content":"', '","content":"q"}}]}'),
    ('{"model":"m","choices":[{"delta":{"content":"', '","\\"content":"q"}}]}'),
    # Plain until its content is read: these must not be learned (model unknown, or not plain).
    ('{"id":"n","choices":[{"delta":{"content":"', '"}}]}'),
    ('{"model":"m","choices":[{"delta":{"content":"', '","reasoning":"r"}}]}'),
    ('{"model":"m","choices":[{"delta":{"content":"', '"},"finish_reason":"stop"}]}'),
    ('{"model":"m","choices":[{"delta":{"content":"', '"}}],"usage":{"total_tokens":3}}'),
    ('{"model":"m","choices":[{"delta":{"content":"', '"}}],"error":{"message":"boom"}}'),
    ('{"model":"m","choices":[{"delta":{"content":"', '","reasoning_content":"r"}}]}'),
    ('{"model":"m","choices":[{"delta":{"content":"', '","reasoning_details":[{"type":"x"}]}}]}'),
    ('{"model":"m","choices":[{"delta":{"content":"', '","tool_calls":[{"index":0,'
     '"function":{"arguments":"1"}}]}}]}'),
]
ODD_TEXT = st.sampled_from([
    "", "tok ", '"', "\\", '\\"', "\n", "\x00", "\x1f", "\u2028", "é", "😀", "\ud83d", "\udca9",
    "\ud83d\ude00", '"}}]}', OPENROUTER[1], "s", "t", "content", '","content":"x',
])
TEXT = st.lists(st.one_of(ODD_TEXT, st.text(max_size=6)), max_size=4).map("".join)


def _escaped(text: str, choices: list[int]) -> str:
    """`text` as a JSON string body, each character written its own way (plain or \\uXXXX)."""
    out = []
    for i, char in enumerate(text):
        code = ord(char)
        how = choices[i % len(choices)] if choices else 0
        if code > 0xFFFF:
            high, low = divmod(code - 0x10000, 0x400)
            out.append(f"\\u{0xD800 + high:04x}\\u{0xDC00 + low:04X}" if how else char)
        elif how == 1 or char in '"\\' or code < 0x20:
            out.append(f"\\u{code:04x}" if how != 2 else json.dumps(char)[1:-1])
        else:
            out.append(char)
    return "".join(out)


@st.composite
def middles(draw: st.DrawFn) -> str:
    """A content literal's body: encoded text most of the time, anything at all sometimes."""
    kind = draw(st.integers(0, 5))
    text = draw(TEXT)
    if kind == 0:
        return json.dumps(text, ensure_ascii=draw(st.booleans()))[1:-1]
    if kind <= 2:
        return _escaped(text, draw(st.lists(st.integers(0, 2), max_size=3)))
    if kind == 3:
        return text  # raw: quotes, backslashes and controls unescaped
    return draw(st.sampled_from(["tok ", "a", "", "b c"]))


OTHER_EVENTS = st.sampled_from([
    "[DONE]", " [DONE] ", '{"model":"m","choices":[]}', '{"choices":[{"delta":{}}]}',
    '{"model":"m","choices":[{"delta":{"content":null,"role":"assistant"}}]}',
    '{"model":"m","choices":[{"delta":{"content":7}}]}',
    '{"model":"m","choices":[{"delta":{"reasoning":"think"}}]}',
    '{"model":"m","choices":[{"delta":{"reasoning_content":"think"}}]}',
    '{"model":"m","choices":[{"delta":{"content":"a","reasoning_details":[{"type":"reasoning.text","text":"x"}]}}]}',
    '{"model":"m","choices":[{"delta":{"tool_calls":[{"index":0,"id":"c","type":"function","function":{"name":"f","arguments":"{"}}]}}]}',
    '{"model":"m","choices":[{"delta":{"content":""},"finish_reason":"stop"}],"usage":{"total_tokens":5}}',
    '{"model":"m","choices":[{"delta":{"content":"x"},"finish_reason":"error"}]}',
    '{"error":{"message":"overloaded","code":502}}', '{"error":"text"}', "not json", "{} {}",
    '{"choices":"abc"}', '[1]', ' {"model":"m","choices":[{"delta":{"content":"lead"}}]}',
    '{"model":"m","choices":[{"delta":{"content":"trail"}}]}  ',
    '{"model":"m","n":' + "9" * 5000 + "}",
])


@st.composite
def streams(draw: st.DrawFn) -> list[str]:
    envelopes = draw(st.lists(st.sampled_from(ENVELOPES), min_size=1, max_size=3))
    events: list[str] = []
    for _ in range(draw(st.integers(1, 30))):
        if draw(st.integers(0, 9)) == 0:
            events.append(draw(OTHER_EVENTS))
        else:
            prefix, suffix = draw(st.sampled_from(envelopes))
            events.append(prefix + draw(middles()) + suffix)
    return events


class Recorder:
    """A stream with everything it hands on written down."""

    def __init__(self, max_chars: int) -> None:
        self.calls: list[Any] = []
        request = ChatRequest(
            url="http://x/", headers={}, body={}, base_url="http://x/",
            on_generation_id=lambda gid: self.calls.append(("id", gid)),
        )
        self.stream = _Stream(
            request, lambda c, r: self.calls.append(("delta", c, r)), max_chars,
            lambda calls: self.calls.append(("tools", calls)),
        )

    def read(self, reads: list[list[str]], templated: bool) -> Any:
        """What `_read_events` does with these reads (`_Stream.read`), or the same read event by
        event with full decodes; the observable result."""
        stream = self.stream
        error = None
        try:
            for events in reads:
                if templated:
                    stream.read(events)
                else:
                    for data in events:
                        first = not stream.has_text
                        stream.handle(data)
                        if stream.done:
                            break  # [DONE] ends the answer, within a read too
                        if first and stream.has_text:
                            stream.emit()  # the first text goes out at once
                    stream.emit()
                if stream.done:
                    break
        except UpstreamError as exc:
            stream.emit()
            error = (exc.detail.kind, exc.detail.message, exc.detail.partial_content)
        return (error, self.calls, stream.chars_left, stream.done, attrs.asdict(stream.outcome()))


def split(events: list[str], cuts: list[int]) -> list[list[str]]:
    bounds = sorted({0, len(events), *(c % (len(events) + 1) for c in cuts)})
    return [events[a:b] for a, b in itertools.pairwise(bounds)]


@settings(
    max_examples=1500, deadline=None, derandomize=True, database=None,
    phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
)
@given(streams(), st.lists(st.integers(0, 40), max_size=6), st.sampled_from([3, 40, 10**9]))
def test_templated_reading_equals_full_decoding(
    events: list[str], cuts: list[int], max_chars: int
) -> None:
    reads = split(events, cuts)
    full = Recorder(max_chars).read(reads, templated=False)
    fast = Recorder(max_chars).read(reads, templated=True)
    assert fast == full


def _learned(*events: str) -> EventTemplate:
    template = EventTemplate()
    decoder = json.JSONDecoder()
    for data in events:
        template.learn(data, decoder.raw_decode(data)[0])
    return template


def _take(template: EventTemplate, *events: str) -> tuple[list[str], int]:
    out: list[str] = []
    index, _ = template.take(list(events), 0, out)
    return out, index


def _event(body: str, envelope: tuple[str, str] = OPENROUTER) -> str:
    return envelope[0] + body + envelope[1]


def test_a_run_of_template_events_needs_no_decode() -> None:
    template = _learned(_event("Hello"))
    assert _take(template, _event(" wor"), _event(""), _event("ld")) == ([" wor", "ld"], 3)


@pytest.mark.parametrize(("body", "content"), [
    ('say \\"hi\\"', 'say "hi"'), ("\\u00e9\\n", "é\n"), ("\\ud83d\\ude00", "😀"),
    ("\\ud83d", "\ud83d"), ("a\\\\b", "a\\b"), ("\\/", "/"),
    ("\\u0022}],\\u0022x\\u0022:\\u0022", '"}],"x":"'),
])
def test_escapes_are_decoded_as_json_decodes_them(body: str, content: str) -> None:
    assert _take(_learned(_event("x")), _event(body)) == ([content], 1)
    assert json.loads(_event(body))["choices"][0]["delta"]["content"] == content


@pytest.mark.parametrize("body", [
    'a"b', "a\\", "a\\x", "a\\u12", "tab\there", "nl\nhere", 'x","finish_reason":"stop',
    'x"},"finish_reason":"stop"}],"usage":{"a":1},"z":[{"q":{"r":"',
])
def test_a_middle_that_is_not_one_string_token_goes_to_the_full_decode(body: str) -> None:
    assert _take(_learned(_event("x")), _event("ok"), _event(body)) == (["ok"], 1)


def test_a_content_holding_the_suffix_text_is_still_its_content() -> None:
    body = json.dumps(OPENROUTER[1])[1:-1]
    assert _take(_learned(_event("x")), _event(body)) == ([OPENROUTER[1]], 1)


def test_a_shadowed_duplicate_key_is_not_learned_as_the_content() -> None:
    first = ('{"model":"m","choices":[{"delta":{"content":"', '","content":"zz"}}]}')
    template = _learned(_event("zz", first))
    # The first literal equals the content here, but is not the one that counts.
    assert _take(template, _event("other", first)) == ([], 0)


def test_events_that_are_not_plain_teach_nothing() -> None:
    for envelope in ENVELOPES[8:]:
        assert _take(_learned(_event("x", envelope)), _event("y", envelope)) == ([], 0)
    assert plain_content({"choices": [{"delta": {"content": "a", "tool_calls": [{}]}}]}) is None
    assert plain_content({"choices": [{"delta": {"content": "a"}}]}) == "a"


def test_learning_stops_when_the_envelope_changes_every_event() -> None:
    template = EventTemplate()
    decoder = json.JSONDecoder()
    for created in range(10):
        data = f'{{"created":{created},"choices":[{{"delta":{{"content":"a"}}}}]}}'
        template.learn(data, decoder.raw_decode(data)[0])
    late = '{"created":9,"choices":[{"delta":{"content":"b"}}]}'
    assert _take(template, late) == ([], 0)  # learnt up to created=3, then gave up


def test_a_hit_renews_the_learning_budget() -> None:
    template = EventTemplate()
    decoder = json.JSONDecoder()
    for created in range(10):
        data = f'{{"created":{created},"choices":[{{"delta":{{"content":"a"}}}}]}}'
        template.learn(data, decoder.raw_decode(data)[0])
        assert _take(template, data.replace('"a"', '"b"')) == (["b"], 1)


def test_the_first_text_goes_out_before_the_rest_of_its_read() -> None:
    recorder = Recorder(10**9)
    recorder.stream.read([_event("Hello"), _event(" wor"), _event("ld")])
    deltas = [call for call in recorder.calls if call[0] == "delta"]
    assert deltas == [("delta", "Hello", None), ("delta", " world", None)]
