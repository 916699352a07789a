"""`json_decode.decode_body` (orjson when it agrees, else the standard library) gives exactly what
the server's old decoder gave: the same value with the same types (int or float, the sign of
-0.0, the order of keys), or the same error with the same message; and through the real server,
the answers that depend on it (lone surrogates, NaN, integers beyond 64 bits) are unchanged."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.support.hostile_json import (
    ODD_NUMBERS,
    SPECIAL_STRINGS,
    SURROGATE_STRINGS,
    Raw,
    encode,
    nested,
    plain_text,
    surrogate_text,
)
from tests.support.raw_client import ServerProcess, frame, request

from openrouter_lsp import strict_json
from openrouter_lsp.lsp import json_decode
from openrouter_lsp.lsp.inbound import find_lone_surrogate
from openrouter_lsp.lsp.json_decode import MAX_FAST_DEPTH, decode_body


@pytest.fixture(autouse=True)
def fast_path() -> None:
    """What the server does after `initialized` (context._preload_request_path)."""
    strict_json.load_orjson()


def _reject(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def old_decode(body: bytes) -> Any:
    """The server's decoder before orjson (session.py), written out again here."""
    return json.JSONDecoder(parse_constant=_reject).decode(body.decode("utf-8"))


def typed(value: Any) -> Any:
    """`value` with every type spelt out, so 1 != 1.0 != True and -0.0 != 0.0; keys in order."""
    if isinstance(value, dict):
        return ("object", [(typed(k), typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("array", [typed(v) for v in value])
    if isinstance(value, float):
        return ("float", repr(value))  # repr tells -0.0 from 0.0 and keeps inf
    return (type(value).__name__, value)


def outcome(decode: Callable[[bytes], Any], body: bytes) -> Any:
    try:
        return ("value", typed(decode(body)))
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        return ("error", type(exc).__name__, str(exc))


def new_decode(body: bytes) -> Any:
    """`decode_body`'s value; checking its claim that what orjson decoded has no lone surrogate
    (the session then skips its scan for one)."""
    value, surrogate_free = decode_body(body)
    if surrogate_free:
        assert find_lone_surrogate(value) is None, body[:200]
    return value


def assert_same(body: bytes) -> None:
    assert outcome(new_decode, body) == outcome(old_decode, body), body[:200]


# Each case where orjson might differ from `json` (json_decode's docstring lists the findings).
EDGE_CASES = [
    # duplicate keys: the last value, at the first key's place
    b'{"a":1,"a":2,"b":3}', b'{"a":1,"b":2,"a":3}', b'{"a":{"x":1},"a":[2]}',
    # numbers: overflow, underflow, signed zeros, int vs float, 64-bit edges and past them
    b"1e400", b"-1e400", b"1e-400", b"-1e-400", b"-0", b"-0.0", b"0e0", b"-0e0", b"-0E+0",
    b"1.0", b"1e2", b"1E2", b"1.5e+3", b"-1E-0", b"[1e400]", b'{"x":-1e999}',
    b"1.7976931348623157e308", b"1.7976931348623159e308", b"4.9e-324", b"2e-324", b"3e-324",
    b"2.2250738585072011e-308", b"0.1000000000000000055511151231257827", b"9007199254740993",
    b"9007199254740993.0", b"1e23", b"0." + b"1" * 5000, b"1" + b"0" * 400 + b".0",
    b"9223372036854775807", b"9223372036854775808", b"-9223372036854775808",
    b"-9223372036854775809", b"18446744073709551615", b"18446744073709551616",
    b"18446744073709551617", b"-18446744073709551617", b"123456789012345678901234567890",
    b"1" + b"0" * 400, b"1" + b"0" * 4299, b"1" + b"0" * 4300, b"-" + b"9" * 4301,
    b'{"id":18446744073709551617}', b'[9223372036854775808.0]', b"9.3e18", b"-9.3e18",
    b'{"id":1e0}', b"1e0",
    # the non-JSON constants
    b"NaN", b"Infinity", b"-Infinity", b"[NaN]", b'{"a":Infinity}', b"nan", b"inf",
    # lone surrogates escaped, in strings and in keys; a pair; raw (invalid UTF-8)
    b'"\\ud800"', b'"\\udc00"', b'"\\uDFFF"', b'"\\ud83d"', b'"\\ud800\\u0041"',
    b'"\\ud83d\\ude00"', b'"\\udc00\\ud800"', b'{"\\ud800":1}', b'{"a\\udfffb":"\\ud800"}',
    b'"\xed\xa0\x80"', b'"\xff"', b'"\xe9"', b'"\xc3"', b'"\xf0\x9f\x98\x80"',
    # BOM, whitespace JSON allows and some it does not
    b"\xef\xbb\xbf{}", b'\xef\xbb\xbf"a"', b" \t\r\n{} \n", b"\x0c{}", b"{}\x0c",
    b"\xc2\xa0{}", b"\x0b1", b"1\x00", b"{\n\t\"a\" :\r 1 }",
    # control characters in strings, raw and escaped
    b'"a\x01b"', b'"\x00"', b'"\t"', b'"\n"', b'"a\x7fb"', b'"\\u0000"', b'"\\u001f"',
    # escapes
    b'"\\/"', b'"\\x"', b'"\\U0041"', b'"\\u00e9"', b'"\\u00E9"', b'"\\u12"', b'"\\"',
    # top-level scalars, empty and blank bodies, trailing data, malformed containers
    b"1", b'"s"', b"null", b"true", b"false", b"", b" ", b"\n", b"01", b"1.", b".1", b"+1",
    b"-", b"[1,]", b'{"a":1,}', b"[1] x", b"true false", b"[]  ", b"\x00", b"[1 2]",
    b'{"a" 1}', b"{'a':1}", b"[", b"]", b"{", b'{"a"}', b"[,1]", b'{"a":1 "b":2}',
    # nesting: within the fast path's depth, past it, past json's limit, past orjson's
    nested(MAX_FAST_DEPTH, "array").text.encode(),
    nested(MAX_FAST_DEPTH + 1, "array").text.encode(),
    nested(MAX_FAST_DEPTH + 1, "object").text.encode(),
    nested(600, "array").text.encode(),
    nested(1000, "array").text.encode(),
    nested(1020, "object").text.encode(),
    nested(1024, "array").text.encode(),
    nested(1025, "array").text.encode(),
    nested(100_000, "array").text.encode(),
]


@pytest.mark.parametrize("body", EDGE_CASES, ids=lambda b: repr(b[:30]))
def test_each_edge_case_decodes_as_the_old_decoder_did(body: bytes) -> None:
    assert_same(body)


def test_a_big_prompt_takes_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The point of the module: a body orjson agrees on never reaches `json`."""
    assert strict_json.orjson_module() is not None, "orjson is a dependency (pyproject.toml)"
    prompt = 'def f(x):  # "quoted" \\ backslash\t\n' * 10_000 + "é 😀"
    body = json.dumps(request(1, "openrouter/chat", {
        "messages": [{"role": "user", "content": prompt}], "maxTokens": 11,
        "temperature": 0.5, "topP": -0.0})).encode()
    expected = old_decode(body)

    class Refuse:
        def decode(self, text: str) -> Any:
            raise AssertionError("the standard library decoded a body orjson agreed on")

    monkeypatch.setattr(json_decode, "_STDLIB", Refuse())
    value, surrogate_free = decode_body(body)
    assert typed(value) == typed(expected)
    assert surrogate_free


@pytest.mark.parametrize("body", [
    b"18446744073709551617", b'{"a":[1,{"b":-9223372036854775809}]}', b"1e400", b'"\\ud800"',
    nested(MAX_FAST_DEPTH + 1, "array").text.encode(), b"[NaN]",
])
def test_what_orjson_refuses_or_changes_goes_to_the_standard_library(
    body: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    stdlib = json_decode._STDLIB

    class Spy:
        def decode(self, text: str) -> Any:
            calls.append(text)
            return stdlib.decode(text)

    monkeypatch.setattr(json_decode, "_STDLIB", Spy())
    try:
        _, surrogate_free = decode_body(body)
    except (ValueError, RecursionError):
        surrogate_free = False
    assert calls, body[:40]
    assert not surrogate_free  # the session scans such a body for lone surrogates, as before


def test_without_orjson_the_standard_library_decodes_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(strict_json, "_orjson", None)  # the VSIX's bundle, or before the preload
    for body in (b'{"a":[1,2.5,"x"]}', b"NaN", b"18446744073709551617", b'"\\ud800"'):
        assert_same(body)


def test_orjson_is_not_imported_before_initialized() -> None:
    """Start-up (to the `initialize` result) does not pay orjson's import (~2 ms)."""
    code = (
        "import sys\n"
        "from openrouter_lsp.lsp.transport import serve_stdio\n"
        "from openrouter_lsp.server import build_server\n"
        "from openrouter_lsp.lsp import session\n"
        "build_server()\n"
        "print('orjson' in sys.modules)\n"
    )
    server_path = str(Path(json_decode.__file__).resolve().parents[2])
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "PYTHONPATH": server_path})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_json_decodes_the_fast_paths_deepest_nesting_from_a_deep_stack() -> None:
    """`MAX_FAST_DEPTH` is safe: `json` reads that deep even called 500 frames down (the
    server calls it ~30 down), so a value the fast path returns is one `json` returns too."""
    body = nested(MAX_FAST_DEPTH, "object").text

    def down(frames: int) -> Any:
        return down(frames - 1) if frames else json.loads(body)

    assert sys.getrecursionlimit() >= 1000
    assert down(500) is not None


# -- generated JSON texts -------------------------------------------------------------------

EDGES_OF_64_BITS = [-(2**64), -(2**63), 2**63, 2**64]
numbers = st.one_of(
    st.integers(),  # hypothesis goes well past 64 bits
    st.integers(min_value=-(2**64) - 2, max_value=2**64 + 2),
    st.builds(lambda edge, offset: edge + offset,
              st.sampled_from(EDGES_OF_64_BITS), st.integers(min_value=-3, max_value=3)),
    st.integers(min_value=2**64, max_value=10**40),
    st.integers(min_value=-(10**40), max_value=-(2**63)),
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(min_value=-1e-300, max_value=1e-300),
    st.sampled_from(ODD_NUMBERS),
    st.builds(lambda digits, exp: Raw(f"{digits}e{exp}"),
              st.integers(min_value=-(10**25), max_value=10**25),
              st.integers(min_value=-400, max_value=400)),
)
strings = st.one_of(
    st.text(max_size=20), plain_text, surrogate_text, st.sampled_from(SPECIAL_STRINGS)
)
keys = st.one_of(st.text(max_size=8), st.sampled_from(SURROGATE_STRINGS), st.just("a"))


def _object_with_duplicates(pairs: list[tuple[str, Any]]) -> Raw:
    return Raw("{" + ",".join(f"{json.dumps(k)}:{encode(v)}" for k, v in pairs) + "}")


values = st.recursive(
    st.one_of(st.none(), st.booleans(), numbers, strings),
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(keys, children, max_size=5),
        st.builds(_object_with_duplicates, st.lists(st.tuples(keys, children), max_size=5)),
    ),
    max_leaves=20,
)
WHITESPACE = [b"", b" ", b"\n", b"\r\n\t ", b"\x0c", b"\xef\xbb\xbf", b"\xc2\xa0", b"\x00"]


def _text(value: Any) -> bytes:
    return encode(value).encode()


bodies = st.one_of(
    st.builds(_text, values),
    st.builds(
        lambda before, text, after: before + text + after,
        st.sampled_from(WHITESPACE), st.builds(_text, values), st.sampled_from(WHITESPACE),
    ),
    st.builds(lambda s: json.dumps(s, ensure_ascii=False).encode("utf-8", "surrogatepass"),
              strings.filter(lambda s: isinstance(s, str))),
    st.binary(max_size=40),
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bodies)
def test_generated_bodies_decode_as_the_old_decoder_did(body: bytes) -> None:
    assert_same(body)


@settings(max_examples=300, deadline=None)
@given(numbers, st.sampled_from(["{}", "[{}]", '{{"id":{}}}', '{{"a":[1,{{"b":{}}}]}}']))
def test_generated_numbers_decode_as_the_old_decoder_did(number: Any, template: str) -> None:
    """Numbers alone and inside containers: orjson reads an integer beyond 64 bits as a float."""
    assert_same(template.format(encode(number)).encode())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.builds(_text, values), st.data())
def test_broken_bodies_fail_or_decode_as_the_old_decoder_did(body: bytes, data: Any) -> None:
    """One byte changed, dropped or added: mostly not JSON, and the same error either way."""
    at = data.draw(st.integers(min_value=0, max_value=len(body)))
    byte = bytes([data.draw(st.integers(min_value=0, max_value=255))])
    edit = data.draw(st.sampled_from(["replace", "drop", "insert"]))
    if edit == "replace":
        body = body[:at] + byte + body[at + 1:]
    elif edit == "drop":
        body = body[:at] + body[at + 1:]
    else:
        body = body[:at] + byte + body[at:]
    assert_same(body)


# -- through the real server ----------------------------------------------------------------


async def orjson_loaded(pid: int) -> bool:
    """Whether the process has mapped orjson's library (the preload after `initialized`), so
    that these tests go through the fast path; Linux only."""
    maps = Path(f"/proc/{pid}/maps")
    for _ in range(200):
        if "orjson" in maps.read_text():
            await asyncio.sleep(0.05)  # the import has returned; `_orjson` is set right after
            return True
        await asyncio.sleep(0.05)
    return False


@pytest_asyncio.fixture
async def server(tmp_path: Path) -> AsyncIterator[ServerProcess]:
    process = await ServerProcess.start(tmp_path / "state")
    await process.client.initialize()
    if sys.platform.startswith("linux"):
        assert await orjson_loaded(process.process.pid)
    yield process
    await process.stop()


@pytest.mark.parametrize("filler", ["", "x" * 100_000, "é 😀" * 30_000],
                         ids=["small", "big", "big non-ASCII"])
async def test_a_lone_surrogate_in_a_chat_message_is_still_invalid_params(
    server: ServerProcess, filler: str
) -> None:
    content = filler + "hi \ud800"
    answer = await server.client.call(5, "openrouter/chat", {
        "messages": [{"role": "user", "content": content}], "maxTokens": 5})
    assert answer.get("error", {}).get("code") == -32602, answer
    paths = [e["path"] for e in answer["error"]["data"]["errors"]]
    assert paths == ["messages[0].content"], paths
    await server.client.assert_alive()


async def test_nan_is_still_a_parse_error(server: ServerProcess) -> None:
    body = b'{"jsonrpc":"2.0","id":7,"method":"openrouter/settings/get","params":{"x":NaN}}'
    await server.client.write(frame(body))
    answer = await server.client.answer(None)
    assert answer["error"] == {
        "code": -32700,
        "message": "Parse error: the message is not valid JSON (NaN is not JSON).",
    }, answer
    await server.client.assert_alive()


@pytest.mark.parametrize("msg_id", [2**64 + 1, -(2**63) - 1, 2**64, 10**30])
async def test_an_id_beyond_64_bits_is_answered_with_that_very_id(
    server: ServerProcess, msg_id: int
) -> None:
    """orjson would read 2**64 + 1 as the float 1.8446744073709552e19 (id 2**64)."""
    answer = await server.client.call(msg_id, "openrouter/settings/get", {})
    assert "result" in answer, answer
    raw = server.client.raw_frames[-1]
    assert b'"id":%d' % msg_id in raw.replace(b" ", b""), raw[:200]


async def test_a_param_beyond_64_bits_is_refused_as_an_integer(server: ServerProcess) -> None:
    answer = await server.client.call(8, "openrouter/chat", {
        "messages": [{"role": "user", "content": "hi"}], "maxTokens": 2**64 + 1})
    assert answer.get("error", {}).get("code") == -32602, answer
    errors = answer["error"]["data"]["errors"]
    assert errors == [{  # the integer the client sent, not a float near it
        "path": "maxTokens", "message": "must be between 1 and 2,000,000, got 18446744073709551617"
    }], errors
