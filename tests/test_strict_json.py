"""`strict_json`: orjson where it gives the standard library's answer, the standard library else.

Every value here is encoded both ways and must give the same JSON value, or the same error:
`json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()` is
what httpx's `json=` sent upstream and what the server wrote to its client before orjson.
"""

from __future__ import annotations

import enum
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openrouter_lsp import strict_json
from openrouter_lsp.logging_setup import REDACTED, register_secret
from openrouter_lsp.lsp import outgoing


@pytest.fixture(autouse=True)
def orjson_loaded() -> None:
    """What the server does after `initialized` (context._preload_request_path)."""
    strict_json.load_orjson()
    assert strict_json.orjson_module() is not None, "orjson is a dependency (pyproject.toml)"


def stdlib(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


class Colour(str, enum.Enum):
    RED = "red"


SAME_VALUE = [
    {"model": "openai/gpt-4o", "messages": [{"role": "user", "content": 'a "q" \\ \t\n\x00\x1f'}]},
    {"unicode": "é 😀 \u2028 \u2029 \x7f /", "empty": "", "nested": [[[{}]], []]},
    {"ints": [0, -1, 2**53, 2**63 - 1, -(2**63), 2**64 - 1], "bools": [True, False, None]},
    {"floats": [0.0, -0.0, 1e-05, 1e16, 1.5e300, 0.1, 123456789.0, 5e-324]},
    {"tuple": (1, "two", (3.5,))},
    ["a list", {"at": "the top"}],
    "a string",
    1.25,
]
# Each of these goes to `json` (orjson would refuse it, or answer differently).
STDLIB_DECIDES = [
    {"big": 2**64},  # beyond orjson's integers
    {"negative big": -(2**63) - 1},
    {1: "an int key"},  # `json` makes it "1"
    {"enum": Colour.RED},
    {"deep": json.loads("[" * 300 + "]" * 300)},  # deeper than orjson's 255
]


@pytest.mark.parametrize("value", SAME_VALUE + STDLIB_DECIDES, ids=repr)
def test_the_same_json_value_as_the_standard_library(value: Any) -> None:
    assert json.loads(strict_json.dumps(value)) == json.loads(stdlib(value))


@pytest.mark.parametrize("value", SAME_VALUE, ids=repr)
def test_plain_finite_values_take_orjson(value: Any) -> None:
    assert strict_json.fast_dumps(value) is not None


@pytest.mark.parametrize("value", STDLIB_DECIDES, ids=repr)
def test_what_orjson_refuses_or_changes_takes_the_standard_library(value: Any) -> None:
    assert strict_json.fast_dumps(value) is None


@settings(max_examples=500, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",))), st.text(max_size=20))
def test_strings_go_upstream_byte_for_byte_as_before(text: str, key: str) -> None:
    """A request body's text (a prompt, a file) is sent as the very bytes `json=` sent; only a
    float may be spelled otherwise (`1e-7` for `1e-07`)."""
    value = {key: [text, {"content": text}], "n": [1, True, None]}
    assert strict_json.dumps(value) == stdlib(value)


@pytest.mark.parametrize(
    "value",
    [float("nan"), {"temperature": float("inf")}, [1, [2, [-float("inf")]]], (float("nan"),)],
    ids=repr,
)
def test_non_finite_numbers_raise_as_the_standard_library_does(value: Any) -> None:
    """orjson would write `null` and say nothing: a request body must not change silently."""
    assert not strict_json.plain_and_finite(value)
    with pytest.raises(ValueError, match="JSON compliant"):
        strict_json.dumps(value)


def test_a_lone_surrogate_raises_as_the_standard_library_does() -> None:
    with pytest.raises(UnicodeEncodeError):
        stdlib({"content": "a\ud800b"})
    with pytest.raises(UnicodeEncodeError):
        strict_json.dumps({"content": "a\ud800b"})


def test_without_orjson_the_standard_library_encodes_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(strict_json, "_orjson", None)  # the VSIX's bundle, or before the preload
    for value in SAME_VALUE:
        assert strict_json.fast_dumps(value) is None
        assert strict_json.dumps(value) == stdlib(value)


# -- outgoing messages ---------------------------------------------------------------------------


def old_body(message: Any) -> bytes:
    """What the server wrote before `encode_body`."""
    return outgoing.to_bytes(outgoing.encode(message))


def test_a_chat_result_goes_out_through_orjson_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    result = {"jsonrpc": "2.0", "id": 7, "result": {
        "content": "tok " * 20_000, "reasoning": "", "finishReason": "stop", "model": None,
        "usage": {"promptTokens": 10, "cachedTokens": None, "costUsd": 0.0001},
        "toolCalls": [], "reasoningDetails": [], "conversationId": None}}
    expected = old_body(result)

    def no_stdlib(*_args: Any, **_kwargs: Any) -> str:
        raise AssertionError("the standard library encoded a message orjson agrees on")

    monkeypatch.setattr(outgoing, "encode", no_stdlib)
    assert json.loads(outgoing.encode_body(result)) == json.loads(expected)


@pytest.mark.parametrize(
    "secret", ['ab"cd"ef-0123456789', "back\\slash\\key-0123", "plain.key.01234"]
)
def test_secrets_are_scrubbed_on_the_fast_path_too(secret: str) -> None:
    register_secret(secret)
    message = {"message": f"bad key {secret}!", secret: [secret, 1], "m": "\\" + secret}
    body = outgoing.encode_body(message)
    text = body.decode("utf-8")
    assert secret not in text and json.dumps(secret)[1:-1] not in text
    assert REDACTED in repr(json.loads(body))
    assert json.loads(body) == json.loads(old_body(message))


def test_non_finite_numbers_and_lone_surrogates_go_out_as_before(
    caplog: pytest.LogCaptureFixture,
) -> None:
    message = {"id": 1, "result": {"cost": float("nan"), "text": "a\ud800b", "n": [float("inf")]}}
    body = outgoing.encode_body(message)
    assert json.loads(body) == {"id": 1, "result": {"cost": None, "text": "a\ufffdb", "n": [None]}}
    assert "$.result.cost" in caplog.text and "$.result.n[0]" in caplog.text


def test_objects_go_through_the_default_as_before() -> None:
    class Envelope:
        def __init__(self) -> None:
            self.jsonrpc = "2.0"
            self.result = Colour.RED

    def default(value: Any) -> Any:
        return value.value if isinstance(value, enum.Enum) else vars(value)

    body = outgoing.encode_body(Envelope(), default=default)
    assert json.loads(body) == {"jsonrpc": "2.0", "result": "red"}
    assert json.loads(body) == json.loads(outgoing.to_bytes(outgoing.encode(Envelope(), default)))


def test_a_value_that_holds_itself_is_refused_as_before_not_walked_forever() -> None:
    looped: list[Any] = [1]
    looped.append(looped)
    forked: list[Any] = []
    forked.extend([forked, forked])  # each level doubles the paths: a walk must not follow them
    for value in (looped, forked, {"a": {"b": looped}}):
        assert not strict_json.plain_and_finite(value)
        with pytest.raises(ValueError, match="Circular reference"):
            strict_json.dumps(value)
    shared = ["the same list"]
    assert json.loads(strict_json.dumps({"a": shared, "b": shared})) == {
        "a": ["the same list"], "b": ["the same list"]}
