"""The lone-surrogate gate: params whose strings are all ASCII hold none (`inbound.ascii_only`);
else one regex pass over the raw body (`inbound.may_hold_surrogates`)
decides whether the parsed params are searched. It must never miss a body whose JSON decodes to a
lone surrogate, in either case of hex digits."""

from __future__ import annotations

import json

from openrouter_lsp.lsp.inbound import (
    ASCII_WALK_NODES,
    SCAN_FIRST_BYTES,
    ascii_only,
    find_lone_surrogate,
    may_hold_lone_surrogates,
    may_hold_surrogates,
)


def test_every_escape_that_decodes_to_a_lone_surrogate_opens_the_gate() -> None:
    for unit in range(0xD000, 0xE000):
        for escape in (f"\\u{unit:04x}", f"\\u{unit:04X}"):
            body = f'{{"content":"a{escape}b"}}'.encode()
            params = json.loads(body)
            if find_lone_surrogate(params) is not None:
                assert may_hold_surrogates(body), escape


def test_other_escapes_and_raw_text_keep_the_gate_shut() -> None:
    raw = json.dumps({"content": "한국어 ü 😀"}, ensure_ascii=False).encode()
    assert not may_hold_surrogates(raw)
    assert not may_hold_surrogates(b'{"content":"\\uD55C\\ud7ff\\u00e9"}')  # Hangul, e-acute
    assert may_hold_surrogates(json.dumps({"content": "😀"}).encode())  # a pair: searched, kept


FILLER = "x" * (SCAN_FIRST_BYTES + 1)  # past the size below which only the body is scanned


def test_params_whose_strings_are_all_ascii_skip_the_scan_of_the_body() -> None:
    prompt = 'def f(x):  # "quoted" \\ backslash\n' * 10_000
    params = {"messages": [{"role": "user", "content": prompt}], "maxTokens": 11}
    assert ascii_only(params)
    body = json.dumps(params).encode()
    assert not may_hold_lone_surrogates(params, body)


def test_a_lone_surrogate_is_never_missed_by_the_combined_gate() -> None:
    for text in ("a\ud800b", "\udfff", "😀 then \udc00"):
        for params in ({"messages": [{"content": text}], "filler": FILLER},
                       {text: 1, "filler": FILLER}, {"messages": [{"content": text}]}):
            body = json.dumps(params).encode()  # escaped, as a client that escapes sends it
            assert not ascii_only(params)
            assert may_hold_lone_surrogates(params, body)
            assert find_lone_surrogate(params) is not None


def test_a_walk_over_its_budget_falls_back_to_the_scan_of_the_body() -> None:
    many = {"numbers": list(range(ASCII_WALK_NODES + 1)), "filler": FILLER}
    assert not ascii_only(many)
    assert not may_hold_lone_surrogates(many, json.dumps(many).encode())
    escaped = {"numbers": [*range(ASCII_WALK_NODES + 1), "\ud800"], "filler": FILLER}
    assert may_hold_lone_surrogates(escaped, json.dumps(escaped).encode())
    non_ascii = {"content": "é", "more": "\udbff"}
    assert not ascii_only(non_ascii)
