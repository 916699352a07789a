"""The lone-surrogate gate (`inbound.may_hold_surrogates`): one regex pass over the raw body
decides whether the parsed params are searched. It must never miss a body whose JSON decodes to a
lone surrogate, in either case of hex digits."""

from __future__ import annotations

import json

from openrouter_lsp.lsp.inbound import find_lone_surrogate, may_hold_surrogates


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
