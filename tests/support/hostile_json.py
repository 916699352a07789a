"""Hypothesis strategies for hostile JSON, and the encoder that writes it byte for byte.

Python's `json.dumps` cannot write what an attacker sends: `1e999`, `-0`, a 5,000-digit integer,
arrays nested 100,000 deep, or a 4 MB string without building it in the strategy. Values here
may hold `Raw` (JSON text written verbatim) and `Big` (a long string described by its character
and length, so failing examples print short); `encode` writes the whole value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st


class Raw:
    """JSON text written verbatim (numbers Python cannot write, nesting it cannot recurse).

    Plain classes (not dataclasses), so that hypothesis prints failing examples with the
    short `__repr__`, not a 100,000-character field.
    """

    __slots__ = ("label", "text")

    def __init__(self, text: str, label: str = "") -> None:
        self.text = text
        self.label = label

    def __repr__(self) -> str:
        return f"Raw({self.label or self.text!r})"

    @property
    def beyond_parser(self) -> bool:
        """Text a strict JSON reader refuses as a whole message: valid JSON too deep or with an
        int over 4,300 digits (Python's parser refuses them), or the non-JSON NaN/Infinity
        tokens (Python's parser accepts them; JSON does not)."""
        return self.label.startswith(("depth ", "digits ")) or self.text.lstrip("-") in (
            "NaN",
            "Infinity",
        )


class Big:
    """A string of `length` copies of `char`."""

    __slots__ = ("char", "length")

    def __init__(self, char: str, length: int) -> None:
        self.char = char
        self.length = length

    def __repr__(self) -> str:
        return f"Big({self.char!r}, {self.length:,})"


def encode(value: Any) -> str:
    """JSON text of `value` (ASCII, so lone surrogates travel as `\\udXXX` escapes)."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, Big):
        return json.dumps(value.char * value.length)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{encode(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(encode(v) for v in value) + "]"
    return json.dumps(value, allow_nan=False)


def beyond_parser(value: Any) -> bool:
    """Whether `value` holds valid JSON that Python's own parser cannot read."""
    if isinstance(value, Raw):
        return value.beyond_parser
    if isinstance(value, dict):
        return any(beyond_parser(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(beyond_parser(v) for v in value)
    return False


def nested(depth: int, kind: str) -> Raw:
    if kind == "array":
        return Raw("[" * depth + "]" * depth, f"depth {depth} arrays")
    return Raw('{"a":' * depth + "1" + "}" * depth, f"depth {depth} objects")


# Numbers a JSON text can hold that are odd for Python: non-finite after parsing, negative
# zero, beyond float range, beyond int64, beyond Python's 4,300-digit limit, and the
# non-JSON NaN/Infinity tokens Python's parser nevertheless accepts.
ODD_NUMBERS = [
    Raw("1e999"),
    Raw("-1e999"),
    Raw("1E400"),
    Raw("-0"),
    Raw("-0.0"),
    Raw("1e-400"),
    Raw("0.1e1"),
    Raw("5e-324"),
    Raw("1.0"),
    Raw("9223372036854775808"),
    Raw("-9223372036854775809"),
    Raw("18446744073709551616"),
    Raw("1" + "0" * 400, "400 zeros"),
    Raw("1" + "0" * 5000, "digits 5001"),
    Raw("NaN"),
    Raw("Infinity"),
    Raw("-Infinity"),
]

PARSABLE_ODD_NUMBERS = [n for n in ODD_NUMBERS if not n.beyond_parser]

SURROGATE_STRINGS = ["\ud800", "\udfff", "a\ud83d", "\udc00b", "x\ud83d\ude00\udc00"]
SPECIAL_STRINGS = [
    "",
    " ",
    "\u0000",
    "\t\n\r",
    "\u202e\u2066",  # bidi overrides
    "\ufeff",
    "\U0001f600",
    "null",
    "true",
    "0",
    "-1",
    "NaN",
    "Infinity",
    "../../etc/passwd",
    "%s%n%x",
    "Content-Length: 5\r\n\r\n{}",
]
# Member names that the JSON-RPC layer (rather than the method) might act on.
ENVELOPE_KEYS = ["jsonrpc", "id", "method", "params", "result", "error"]
ENVELOPE_VALUES: list[Any] = [
    "2.0",
    "1.0",
    2,
    None,
    "openrouter/apiKey/clear",
    "openrouter/settings/update",
    "shutdown",
    "exit",
]

plain_text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(SPECIAL_STRINGS),
    st.builds(
        Big,
        st.sampled_from(["x", "\u00e9", "\U0001f600", "\\", '"']),
        st.sampled_from([1_000, 65_537, 1_000_000]),
    ),
)
surrogate_text = st.one_of(
    st.sampled_from(SURROGATE_STRINGS),
    st.builds(
        lambda a, s, b: a + s + b,
        st.text(max_size=5),
        st.sampled_from(SURROGATE_STRINGS),
        st.text(max_size=5),
    ),
    st.builds(Big, st.just("\ud800"), st.sampled_from([2, 65_537])),
)
plain_numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(PARSABLE_ODD_NUMBERS),
)
plain_names = st.one_of(st.text(max_size=12), st.sampled_from(["__proto__", "", "constructor"]))
plain_values = st.recursive(
    st.one_of(st.none(), st.booleans(), plain_numbers, plain_text),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(plain_names, children, max_size=4)
    ),
    max_leaves=12,
)
envelope_members = st.dictionaries(
    st.sampled_from(ENVELOPE_KEYS), st.sampled_from(ENVELOPE_VALUES), min_size=1, max_size=3
)
unparsable_values = st.one_of(
    st.builds(
        nested, st.sampled_from([1_000, 5_000, 100_000]), st.sampled_from(["array", "object"])
    ),
    st.just(Raw("1" + "0" * 5000, "digits 5001")),
    st.just(Raw("-" + "9" * 4301, "digits 4301")),
)


@dataclass(frozen=True)
class Attack:
    """What replaces a field's valid value, what is added as extra members, and what fills
    text fields, for one kind of attack."""

    name: str
    value: st.SearchStrategy[Any]
    extra: st.SearchStrategy[dict[str, Any]]
    text: st.SearchStrategy[str | Big]

    def __repr__(self) -> str:
        return f"Attack({self.name!r})"

    def field(self, valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        """Mostly a valid value for the field, sometimes the attack's."""
        return st.one_of(valid, valid, self.value)

    def objects(
        self,
        required: dict[str, st.SearchStrategy[Any]],
        optional: dict[str, st.SearchStrategy[Any]],
    ) -> st.SearchStrategy[Any]:
        """An object with these fields (each valid or the attack's), a required one sometimes
        missing, extra members at times; or, sometimes, the attack's value instead."""
        everything = {**required, **optional}
        complete = st.fixed_dictionaries(
            {k: self.field(v) for k, v in required.items()},
            optional={k: self.field(v) for k, v in optional.items()},
        )
        partial = st.fixed_dictionaries(
            {}, optional={k: self.field(v) for k, v in everything.items()}
        )
        extras = st.one_of(st.just({}), self.extra)
        add = st.builds(lambda obj, extra: {**obj, **extra}, st.one_of(complete, partial), extras)
        return st.one_of(add, add, add, self.value)


# Wrong types, odd numbers, huge strings, unknown members: what every field must reject cleanly.
ODD_VALUES = Attack(
    "odd values",
    plain_values,
    st.dictionaries(plain_names, plain_values, min_size=1, max_size=2),
    plain_text,
)
# Members named like the JSON-RPC envelope, at the top of params and nested inside it.
ENVELOPE_MEMBERS = Attack(
    "JSON-RPC members inside params", envelope_members, envelope_members, plain_text
)
# Lone surrogates: valid JSON escapes, but not encodable as UTF-8.
LONE_SURROGATES = Attack(
    "lone surrogates",
    surrogate_text,
    st.dictionaries(st.sampled_from(SURROGATE_STRINGS), surrogate_text, min_size=1, max_size=1),
    st.one_of(plain_text, surrogate_text),
)
# Valid JSON that Python's own parser refuses: nesting past its recursion limit, integers past
# its 4,300-digit limit.
UNPARSABLE = Attack(
    "JSON Python cannot parse",
    unparsable_values,
    st.dictionaries(st.just("x"), unparsable_values, min_size=1, max_size=1),
    plain_text,
)
