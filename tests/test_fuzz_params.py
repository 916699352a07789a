"""Hypothesis fuzzing of every custom method, command and code action, through the real server.

One server process serves the module (restarted only when an example kills or wedges it),
pointed at the real emulator, with a unique marker as its API key. Each example sends one
request as exact bytes (odd numbers, surrogates, deep nesting, JSON-RPC members inside params,
odd workDoneTokens) and checks what the server owes any input:

- exactly one answer within a bounded time: a result, or -32602 whose `data.errors[*]` name the
  field (or -32001 for a real upstream failure) — never -32603, never silence;
- every frame it writes is strict JSON (no NaN/Infinity) and never holds the key (nor does
  stderr);
- an error changes nothing: `openrouter/settings/get`, `settings.json` and the key file are as
  before, and no `settings/didChange` is announced;
- the process stays alive.

The normal run is bounded and deterministic (derandomized, no example database, no shrinking:
the first failing example is printed as generated); `OPENROUTER_LSP_LONG_TESTS=1` runs many more
random examples and shrinks failures.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from tests.support.hostile_json import (
    ENVELOPE_MEMBERS,
    LONE_SURROGATES,
    ODD_NUMBERS,
    ODD_VALUES,
    PARSABLE_ODD_NUMBERS,
    UNPARSABLE,
    Attack,
    Raw,
    beyond_parser,
    encode,
    nested,
    plain_text,
    plain_values,
)
from tests.support.lsp import result_validator, secret_marker, server_env, write_settings
from tests.support.raw_lsp import Answer, Frame, RawLspClient, Unanswered
from tests.support.views import as_state

from openrouter_emulator import run_in_thread
from openrouter_lsp import protocol

MARKER = secret_marker()
LONG = os.environ.get("OPENROUTER_LSP_LONG_TESTS") == "1"
LONG_FACTOR = 25
EXAMPLES_PER_TARGET = 30
pytestmark = pytest.mark.timeout(3600 if LONG else 600)

QUICK_TIMEOUT_S = 3.0  # nothing but local work
NETWORK_TIMEOUT_S = 8.0  # the emulator on loopback answers in milliseconds
MODEL_TIMEOUT_S = 12.0  # a model run (64 tokens, unpaced) or a 4 MB prompt

EXECUTE_COMMAND = "workspace/executeCommand"
CODE_ACTION = "textDocument/codeAction"
DID_CHANGE = protocol.SETTINGS_DID_CHANGE
DOCUMENT_URI = "file:///fuzz/sample.py"
DOCUMENT_TEXT = "def add(a, b):\n    return a + b\n\n\nprint(add(1, 2))\n"
FIRST_LINES = {"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 5}}
# Strategies are built before the emulator runs: this string stands for its base URL.
EMULATOR_URL = "@emulator-base-url@"
NO_PARAMS = Raw("", "no params member")  # `params` left out of the request


def budget(examples: int) -> settings:
    if LONG:
        return settings(
            max_examples=examples * LONG_FACTOR,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )


# --- the harness -------------------------------------------------------------------------------


@dataclass(frozen=True)
class State:
    view: Any
    settings_file: bytes | None
    key_file: bytes | None


def read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


class Harness:
    """The long-lived server, and the checks every fuzzed request goes through."""

    def __init__(self, client: RawLspClient, home: Path, emulator_url: str) -> None:
        self.client = client
        self.home = home
        self.emulator_url = emulator_url
        self.baseline = as_state(client.call(protocol.SETTINGS_GET))
        view = self.baseline
        self.baseline_patch = {
            "provider": view["provider"],
            "modelId": view["modelId"],
            "useCustomBaseUrl": view["useCustomBaseUrl"],
            "customBaseUrl": view["customBaseUrl"],
            "middleOutTransform": view["middleOutTransform"],
            "routing": view["routing"],
            "promptCaching": view["promptCaching"],
            "reasoningEffort": view["reasoningEffort"],
        }

    @property
    def commands(self) -> list[str]:
        options = self.client.initialize_result["capabilities"].get("executeCommandProvider")
        return list((options or {}).get("commands", []))

    def open_document(self) -> None:
        self.client.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": DOCUMENT_URI,
                    "languageId": "python",
                    "version": 1,
                    "text": DOCUMENT_TEXT,
                }
            },
        )

    def state(self) -> State:
        return State(
            as_state(self.client.call(protocol.SETTINGS_GET, timeout=QUICK_TIMEOUT_S)),
            read_bytes(self.home / "settings.json"),
            read_bytes(self.home / "api-key"),
        )

    def healthy_state(self) -> State:
        """The state before an example; a server that died or stopped answering is replaced,
        so one bad example does not fail every later one."""
        if self.client.alive:
            try:
                return self.state()
            except Exception:
                pass
        self.client.restart()
        self.open_document()
        return self.state()

    def request_text(self, msg_id: str, method: str, params: Any) -> str:
        members = ['"jsonrpc":"2.0"', f'"id":{msg_id}', f'"method":{json.dumps(method)}']
        if params is not NO_PARAMS:
            members.append(f'"params":{encode(params)}')
        text = "{" + ",".join(members) + "}"
        return text.replace(EMULATOR_URL, self.emulator_url)

    def exercise(self, method: str, params: Any, timeout: float, msg_id: Any = None) -> Answer:
        """Send one request and check everything the server owes it; returns its answer."""
        before = self.healthy_state()
        client = self.client
        mark = client.mark()
        nulls = len(client.answers_to(None))
        msg_id = client.next_id() if msg_id is None else msg_id
        id_text = msg_id.text if isinstance(msg_id, Raw) else json.dumps(msg_id)
        expected_id = lenient_value(id_text)  # what the server makes of it, and echoes
        earlier = len(client.answers_to(expected_id))  # fuzzed ids may repeat across examples
        # An id the server cannot echo as valid Unicode (a lone surrogate) is answered like an
        # unreadable one: -32600 with id null.
        unreadable = (
            beyond_parser(params)
            or isinstance(msg_id, Raw)
            or (isinstance(msg_id, str) and not is_valid_unicode(msg_id))
        )
        client.send_text(self.request_text(id_text, method, params))
        answer: Answer | None = None
        silence = ""
        try:
            answer = client.wait_answer(
                expected_id, timeout, after=earlier, null_after=nulls if unreadable else None
            )
        except Unanswered as exc:
            silence = str(exc)
        assert client.alive, f"the server died (exit {client.returncode}): {self.stderr_tail()}"
        try:
            after = self.state()
        except Exception as exc:
            raise AssertionError(f"the server stopped answering ({exc})") from None
        frames, stderr = client.written_since(mark)
        check_written(frames, stderr)
        assert answer is not None, f"{method}: {silence}"
        check_answer(method, answer, unreadable)
        if answer.id is not None:
            count = len(client.answers_to(answer.id)) - earlier
            assert count == 1, f"{count} answers to one request"
        if answer.error is not None:
            assert after == before, f"{method} failed but changed the state"
            # A verdict on the key learnt meanwhile (in the background) is not this request's.
            announced = [f for f in frames if message_method(f) == DID_CHANGE
                         and as_state(f.message.get("params")) != before.view]
            assert not announced, f"{method} failed but announced a settings change"
        self.restore(after.view)
        return answer

    def restore(self, view: Any) -> None:
        """Back to the baseline settings after an example that changed them (a valid update)."""
        if view == self.baseline:
            return
        self.client.call(protocol.SETTINGS_UPDATE, {"patch": self.baseline_patch})
        restored = as_state(self.client.call(protocol.SETTINGS_GET))
        assert restored == self.baseline, "could not restore"

    def stderr_tail(self) -> str:
        return bytes(self.client.transcript.stderr[-2000:]).decode(errors="replace")


def is_valid_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def lenient_value(text: str) -> Any:
    """What the server makes of a JSON text and echoes: Python's reading of it, an integral
    number as an integer (JSON does not tell 1.0 from 1); None if nothing."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def message_method(frame: Frame) -> Any:
    return frame.message.get("method") if isinstance(frame.message, dict) else None


def check_written(frames: list[Frame], stderr: bytes) -> None:
    """Strict JSON-RPC frames only, and the key in none of them nor in stderr."""
    marker = MARKER.encode()
    for frame in frames:
        assert frame.problem is None, f"frame {frame.seq}: {frame.problem}: {frame.body[:300]!r}"
        assert marker not in frame.header + frame.body, f"the key in frame {frame.seq}"
        decoded = json.dumps(frame.message, ensure_ascii=False)
        assert MARKER not in decoded, f"the key (escaped) in frame {frame.seq}"
        assert isinstance(frame.message, dict), f"frame {frame.seq} is not an object"
        assert frame.message.get("jsonrpc") == "2.0", f"frame {frame.seq} is not JSON-RPC 2.0"
    assert marker not in stderr, "the key in stderr"


def check_answer(method: str, answer: Answer, unreadable: bool) -> None:
    message = answer.message
    error = answer.error
    if error is None:
        assert "result" in message, f"{method}: an answer with neither result nor error"
        if (validator := result_validator(method)) is not None:
            validator.validate(answer.result)
        return
    assert "result" not in message, f"{method}: an answer with both result and error"
    code, text = error.get("code"), error.get("message")
    assert isinstance(text, str), f"{method}: error without a message: {error}"
    if unreadable and (answer.id is None or code == -32600):
        # A request whose id or params Python cannot read: a parse error or an invalid
        # request is what the server can owe it.
        assert code in (-32700, -32600), f"{method}: {code} {text}"
        return
    assert code in (-32602, -32001), f"{method}: error {code} ({text})"
    data = error.get("data")
    if code == -32602:
        errors = data.get("errors") if isinstance(data, dict) else None
        assert isinstance(errors, list) and errors, f"{method}: -32602 naming no field: {error}"
        for item in errors:
            assert isinstance(item, dict), f"{method}: {item!r}"
            assert isinstance(item.get("path"), str), f"{method}: a path that is not a string"
            assert isinstance(item.get("message"), str) and item["message"], f"{method}: {item}"
    else:
        assert isinstance(data, dict), f"{method}: -32001 without data"
        assert isinstance(data.get("kind"), str) and isinstance(data.get("message"), str), data


@pytest.fixture(scope="module")
def fuzz_emulator() -> Iterator[Any]:
    with run_in_thread(api_keys=[MARKER], tokens_per_second=0, chunk_tokens=8) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory, fuzz_emulator: Any) -> Iterator[Harness]:
    home = tmp_path_factory.mktemp("fuzz") / "state"
    write_settings(home, useCustomBaseUrl=True, customBaseUrl=fuzz_emulator.base_url)
    client = RawLspClient(server_env(home, OPENROUTER_API_KEY=MARKER))
    try:
        client.start()
        harness = Harness(client, home, fuzz_emulator.base_url)
        harness.open_document()
        yield harness
        client.stop()
    finally:
        client.close()


# --- strategies --------------------------------------------------------------------------------

KNOWN_MODELS = ["openai/gpt-4o", "anthropic/claude-sonnet-4.5", "openai/gpt-4o-mini"]
BAD_MODEL_IDS = [
    "nobody/unknown-model",
    "openai/gpt-4o ",
    "",
    " ",
    "openai/gpt-4o\u0000",
    "x" * 257,
]
BASE_URLS = [
    EMULATOR_URL,
    "http://127.0.0.1:9/api/v1",  # loopback, nothing listening: never reached in one example
    "https://example.invalid/api/v1",
    "http://example.com/api/v1",
    "ftp://127.0.0.1/",
    "http://user:secret@127.0.0.1:9/",
    "https://example.invalid/?q=1",
    "http://127.0.0.1:99999/",
    "http://[::1/",
    "",
    " ",
    "h" * 2049,
]
booleans = st.booleans()
small_max_tokens = st.integers(1, 48)  # a valid chat stays fast
bad_max_tokens = st.sampled_from(
    [0, -1, 2_000_001, 10**30, 1.5, 2.0, True, "10", *PARSABLE_ODD_NUMBERS]
)
temperatures = st.one_of(
    st.floats(0, 2), st.sampled_from([-0.0, 2.0000001, -1, 3, "hot", *PARSABLE_ODD_NUMBERS])
)
# Progress tokens the LSP allows (string or integer).
valid_tokens = st.one_of(st.text(max_size=16), st.integers(-(2**31), 2**31))
odd_tokens = st.one_of(
    valid_tokens,
    st.integers(-(2**70), 2**70),
    st.sampled_from([None, True, 1.5, [], [1], {}, {"a": 1}, "t" * 257, *PARSABLE_ODD_NUMBERS]),
)
no_params = st.sampled_from([NO_PARAMS, None, [], {}])
code_action_kinds = st.sampled_from(
    ["", "refactor", "refactor.rewrite", "refactor.openrouter", "quickfix", "refactor.rewrite.x"]
)


class Target:
    """One thing to fuzz: a method (or a command through executeCommand) and its params.

    A plain class: hypothesis prints dataclasses field by field, strategy included."""

    __slots__ = ("method", "name", "params", "timeout")

    def __init__(
        self, name: str, method: str, timeout: float, params: st.SearchStrategy[Any]
    ) -> None:
        self.name = name
        self.method = method
        self.timeout = timeout
        self.params = params

    def __repr__(self) -> str:
        return f"Target({self.name!r})"


def targets(attack: Attack) -> list[Target]:
    """Params for every custom method, every command and codeAction, under one attack."""
    a = attack
    model_ids = st.one_of(st.sampled_from(KNOWN_MODELS), st.sampled_from(BAD_MODEL_IDS), a.text)
    routing = a.objects(
        {},
        {
            "sort": st.sampled_from(["default", "price", "throughput", "latency", "cheapest"]),
            "provider": st.sampled_from(["openai", "azure", "nobody", "", " openai"]),
            "allowFallbacks": booleans,
            "dataPolicy": st.sampled_from(["default", "allow", "deny", "zdr", "never"]),
        },
    )
    patches = a.objects(
        {},
        {
            "provider": st.sampled_from(["openrouter", "openai-compatible", "anthropic"]),
            "modelId": model_ids,
            "useCustomBaseUrl": booleans,
            "customBaseUrl": st.sampled_from(BASE_URLS),
            "middleOutTransform": booleans,
            "promptCaching": booleans,
            "routing": routing,
        },
    )
    keys = st.one_of(
        st.builds("sk-or-v1-fuzz-{}".format, st.text("0123456789abcdef", min_size=4, max_size=9)),
        st.sampled_from(["sk-or with a space", "  sk-or-v1-padded  ", "cl\u00e9", "k" * 1025]),
        a.text,
    )
    messages = a.objects(
        {
            "role": st.sampled_from(["system", "user", "assistant", "tool", "robot"]),
            "content": a.text,
        },
        {},
    )
    too_many = Raw(
        "[" + ",".join(['{"role":"user","content":"x"}'] * (protocol.MAX_MESSAGES + 1)) + "]",
        f"{protocol.MAX_MESSAGES + 1:,} messages",
    )
    message_lists = st.one_of(
        st.lists(messages, min_size=1, max_size=3), st.just([]), st.just(too_many)
    )
    empty = st.one_of(no_params, a.objects({}, {}))
    conversation_ids = st.one_of(
        st.sampled_from(["fuzz-conversation", "", "   ", "x" * 257]), a.text
    )
    conversation = a.objects({"conversationId": conversation_ids}, {})
    rename = a.objects(
        {"conversationId": conversation_ids, "title": st.one_of(st.just("A title"), a.text)}, {}
    )
    truncate = a.objects(
        {
            "conversationId": conversation_ids,
            "keepMessages": st.one_of(st.integers(-1, 3), st.sampled_from([2**31, 2**63])),
        },
        {},
    )
    methods = {
        protocol.SETTINGS_GET: empty,
        protocol.SETTINGS_UPDATE: a.objects({"patch": patches}, {}),
        protocol.API_KEY_SET: a.objects({"apiKey": keys}, {}),
        protocol.API_KEY_CLEAR: empty,
        protocol.ACCOUNT_GET: empty,
        protocol.MODELS_LIST: st.one_of(
            no_params,
            a.objects({}, {"refresh": booleans, "query": st.one_of(st.just("gpt"), a.text)}),
        ),
        protocol.MODELS_ENDPOINTS: a.objects({"modelId": model_ids}, {}),
        protocol.SIGN_IN_START: st.one_of(
            no_params,
            a.objects({}, {
                "callbackPort": st.one_of(st.just(0), st.integers(-1, 70000)),
                "callbackUrl": st.one_of(
                    st.sampled_from(["vscode://openrouter.openrouter-lsp/signin", "not a url"]),
                    a.text,
                ),
                "timeoutSeconds": st.one_of(st.sampled_from([0, 1, 5, 1800, 1801]), a.text),
            }),
        ),
        protocol.SIGN_IN_COMPLETE: a.objects(
            {"code": st.one_of(st.just("emu_auth_fuzz-code-0123"), a.text)},
            {"state": st.one_of(st.just("fuzz-state"), a.text)},
        ),
        protocol.SIGN_IN_CANCEL: empty,
        protocol.CHAT: a.objects(
            {"messages": message_lists},
            {
                "modelId": model_ids,
                "maxTokens": st.one_of(small_max_tokens, bad_max_tokens),
                "temperature": temperatures,
                "conversationId": a.text,
                "partialResultToken": valid_tokens,
            },
        ),
        protocol.CONVERSATIONS_LIST: empty,
        protocol.CONVERSATIONS_GET: conversation,
        protocol.CONVERSATIONS_RENAME: rename,
        protocol.CONVERSATIONS_DELETE: conversation,
        protocol.CONVERSATIONS_TRUNCATE: truncate,
        protocol.CONVERSATIONS_EXPORT: conversation,
    }
    found = [
        Target(method, method, METHOD_TIMEOUTS.get(method, QUICK_TIMEOUT_S), params)
        for method, params in methods.items()
    ]
    assert set(methods) == set(protocol.METHODS), "a custom method without a params strategy"

    position = a.objects(
        {
            "line": st.one_of(st.integers(0, 6), st.sampled_from([-1, 2**31, 2**63])),
            "character": st.integers(0, 20),
        },
        {},
    )
    selection_range = a.objects({"start": position, "end": position}, {})
    uris = st.one_of(
        st.just(DOCUMENT_URI),
        st.sampled_from(["file:///fuzz/not-open.py", "untitled:1", "", "x" * 2049]),
        a.text,
    )
    selections = a.objects(
        {"uri": uris, "range": selection_range},
        {
            "mode": st.sampled_from(["comment", "rewrite", "delete"]),
            "instruction": st.one_of(st.sampled_from(["be brief", "i" * 2001]), a.text),
        },
    )

    def arguments(*valid: st.SearchStrategy[Any]) -> st.SearchStrategy[list[Any]]:
        """Positional arguments: the expected ones (each valid or not), fewer, or more."""
        exact = st.tuples(*(a.field(v) for v in valid)).map(list)
        extra = st.lists(a.value, min_size=1, max_size=2)
        return st.one_of(exact, exact, st.builds(lambda x, y: [*x, *y], exact, extra), st.just([]))

    commands = {
        "openrouter.setApiKey": arguments(keys),
        "openrouter.clearApiKey": arguments(),
        "openrouter.chooseModel": arguments(model_ids),
        "openrouter.refreshModels": arguments(),
        "openrouter.ask": arguments(a.text),
        "openrouter.showSettings": arguments(),
        "openrouter.updateSettings": arguments(patches),
        "openrouter.signIn": arguments(),
        "openrouter.chooseEffort": arguments(st.sampled_from(["default", "low", "high", "max"])),
        "openrouter.explainSelection": arguments(selections),
        "openrouter.rewriteSelection": arguments(selections),
        "openrouter.listConversations": arguments(),
        "openrouter.getConversation": arguments(st.one_of(conversation_ids, conversation)),
        "openrouter.renameConversation": arguments(rename),
        "openrouter.deleteConversation": arguments(st.one_of(conversation_ids, conversation)),
        "openrouter.truncateConversation": arguments(truncate),
        "openrouter.exportConversation": arguments(st.one_of(conversation_ids, conversation)),
    }
    for command, args in commands.items():
        envelope = st.fixed_dictionaries(
            {"command": st.just(command), "arguments": args},
            optional={"workDoneToken": valid_tokens},
        )
        extras = st.one_of(st.just({}), a.extra)
        params = st.builds(lambda e, x: {**x, **e}, envelope, extras)
        found.append(
            Target(command, EXECUTE_COMMAND, COMMAND_TIMEOUTS.get(command, QUICK_TIMEOUT_S), params)
        )

    diagnostics = st.lists(
        a.objects({"range": selection_range, "message": a.text}, {"severity": st.integers(1, 4)}),
        max_size=2,
    )
    code_action = a.objects(
        {
            "textDocument": a.objects({"uri": uris}, {}),
            "range": selection_range,
            "context": a.objects(
                {"diagnostics": diagnostics},
                {"only": st.lists(code_action_kinds, max_size=3), "triggerKind": st.integers(1, 2)},
            ),
        },
        {"workDoneToken": valid_tokens, "partialResultToken": valid_tokens},
    )
    found.append(Target(CODE_ACTION, CODE_ACTION, QUICK_TIMEOUT_S, code_action))
    return found


METHOD_TIMEOUTS = {
    protocol.CHAT: MODEL_TIMEOUT_S,
    protocol.MODELS_LIST: NETWORK_TIMEOUT_S,
    protocol.MODELS_ENDPOINTS: NETWORK_TIMEOUT_S,
    protocol.ACCOUNT_GET: NETWORK_TIMEOUT_S,
}
COMMAND_TIMEOUTS = {
    "openrouter.chooseModel": NETWORK_TIMEOUT_S,
    "openrouter.chooseEffort": NETWORK_TIMEOUT_S,
    "openrouter.refreshModels": NETWORK_TIMEOUT_S,
    "openrouter.ask": MODEL_TIMEOUT_S,
    "openrouter.explainSelection": MODEL_TIMEOUT_S,
    "openrouter.rewriteSelection": MODEL_TIMEOUT_S,
}
ODD_VALUE_TARGETS = {target.name: target for target in targets(ODD_VALUES)}
COMMANDS = [name for name, target in ODD_VALUE_TARGETS.items() if target.method == EXECUTE_COMMAND]


def any_target(attack: Attack) -> st.SearchStrategy[tuple[Target, Any]]:
    """A target and its params under `attack`, across every method, command and codeAction."""
    return st.one_of([st.tuples(st.just(t), t.params) for t in targets(attack)])


# --- properties --------------------------------------------------------------------------------


def run_examples(
    strategy: st.SearchStrategy[Any], examples: int, explicit: list[Any], check: Callable[..., None]
) -> None:
    """Run `check` on `explicit` examples first (known attacks), then on `examples` generated."""
    test = given(strategy)(check)
    for value in reversed(explicit):
        test = example(value)(test)
    budget(examples)(test)()


def test_every_advertised_command_has_a_params_strategy(harness: Harness) -> None:
    assert set(harness.commands) == set(COMMANDS)


@pytest.mark.parametrize("name", list(ODD_VALUE_TARGETS))
def test_any_params_get_one_answer_and_change_nothing_when_invalid(
    harness: Harness, name: str
) -> None:
    """Per method, command and codeAction: wrong types, odd numbers, huge strings, unknown
    members, missing fields."""
    target = ODD_VALUE_TARGETS[name]
    if target.method == EXECUTE_COMMAND:
        assert name in harness.commands, f"{name} is not advertised"

    def check(params: Any) -> None:
        harness.exercise(target.method, params, target.timeout)

    run_examples(target.params, EXAMPLES_PER_TARGET, KNOWN_ATTACKS.get(name, []), check)


def selection_to_line(line: int) -> dict[str, Any]:
    return {
        "uri": DOCUMENT_URI,
        "range": {"start": {"line": 0, "character": 0}, "end": {"line": line, "character": 0}},
    }


# Attacks found by earlier runs that random generation reaches only rarely: always tried first.
KNOWN_ATTACKS: dict[str, list[Any]] = {
    "openrouter.explainSelection": [
        {"command": "openrouter.explainSelection", "arguments": [selection_to_line(2**63)]}
    ],
    "openrouter.rewriteSelection": [
        {"command": "openrouter.rewriteSelection", "arguments": [selection_to_line(2**63)]}
    ],
    CODE_ACTION: [
        None,
        {"textDocument": {"uri": DOCUMENT_URI}, "range": FIRST_LINES, "context": {}},
        {
            "textDocument": {"uri": DOCUMENT_URI},
            "range": {"start": {"line": -1, "character": 0}, "end": {"line": 1, "character": 3}},
            "context": {"diagnostics": []},
        },
    ],
}


def exercise_target(harness: Harness, drawn: tuple[Target, Any]) -> None:
    target, params = drawn
    harness.exercise(target.method, params, target.timeout)


def known(method_or_command: str, params: Any) -> tuple[Target, Any]:
    """An explicit example for `any_target` strategies."""
    target = ODD_VALUE_TARGETS[method_or_command]
    return target, params


def test_params_members_named_like_the_envelope_are_ordinary_members(harness: Harness) -> None:
    """`jsonrpc`, `id`, `method`… inside params are params: the request is still answered."""
    run_examples(
        any_target(ENVELOPE_MEMBERS),
        45,
        [known(protocol.SETTINGS_GET, {"jsonrpc": "2.0"})],
        lambda drawn: exercise_target(harness, drawn),
    )


def test_lone_surrogates_in_any_string_are_answered_as_invalid_or_served(
    harness: Harness,
) -> None:
    """`"\\ud800"` is a valid JSON escape but no UTF-8: a result or -32602, never -32603."""
    chat = {"messages": [{"role": "user", "content": "\ud800"}], "maxTokens": 8}
    run_examples(
        any_target(LONE_SURROGATES),
        45,
        [known(protocol.CHAT, chat)],
        lambda drawn: exercise_target(harness, drawn),
    )


def test_json_beyond_the_parser_gets_an_answer(harness: Harness) -> None:
    """Nesting past Python's recursion limit and integers over 4,300 digits are valid JSON:
    the request is answered (or, when its id cannot be read, a parse error with id null)."""
    run_examples(
        any_target(UNPARSABLE),
        30,
        [known(protocol.SETTINGS_GET, {"x": nested(100_000, "array")})],
        lambda drawn: exercise_target(harness, drawn),
    )


def test_commands_with_arguments_that_are_not_an_array_are_invalid_params(
    harness: Harness,
) -> None:
    not_arrays = st.sampled_from([False, True, 0, 1.5, "x", {}, {"0": "a"}, *PARSABLE_ODD_NUMBERS])

    def check(command: str, arguments: Any) -> None:
        params = {"command": command, "arguments": arguments}
        harness.exercise(EXECUTE_COMMAND, params, COMMAND_TIMEOUTS.get(command, QUICK_TIMEOUT_S))

    test = example("openrouter.showSettings", False)(
        given(st.sampled_from(COMMANDS), not_arrays)(check)
    )
    budget(20)(test)()


def test_commands_take_a_work_done_token_of_any_shape(harness: Harness) -> None:
    def check(command: str, token: Any) -> None:
        params = {"command": command, "arguments": [], "workDoneToken": token}
        harness.exercise(EXECUTE_COMMAND, params, COMMAND_TIMEOUTS.get(command, QUICK_TIMEOUT_S))

    test = example("openrouter.refreshModels", [1])(
        given(st.sampled_from(COMMANDS), odd_tokens)(check)
    )
    budget(30)(test)()


def test_execute_command_answers_any_command_member(harness: Harness) -> None:
    envelopes = ODD_VALUES.objects(
        {"command": st.one_of(st.sampled_from(COMMANDS), plain_text)},
        {"arguments": st.lists(plain_values, max_size=2)},
    )

    def check(params: Any) -> None:
        harness.exercise(EXECUTE_COMMAND, params, MODEL_TIMEOUT_S)

    run_examples(envelopes, 30, [None, {"command": 5}], check)


def test_offered_code_actions_run_as_commands(harness: Harness) -> None:
    """Valid selections only: every action offered is advertised, runs (a model call) and
    answers once."""

    def check(start_line: int, end_line: int, only: list[str]) -> None:
        selection = {
            "start": {"line": start_line, "character": 0},
            "end": {"line": end_line, "character": 3},
        }
        params = {
            "textDocument": {"uri": DOCUMENT_URI},
            "range": selection,
            "context": {"diagnostics": [], **({"only": only} if only else {})},
        }
        answer = harness.exercise(CODE_ACTION, params, QUICK_TIMEOUT_S)
        assert answer.error is None, answer.error
        for action in answer.result or []:
            assert action["command"]["command"] in harness.commands, action
            run = harness.exercise(EXECUTE_COMMAND, action["command"], MODEL_TIMEOUT_S)
            assert run.error is None, (action["title"], run.error)

    test = given(st.integers(0, 2), st.integers(3, 5), st.lists(code_action_kinds, max_size=2))(
        check
    )
    budget(6)(test)()


request_ids = st.one_of(
    st.integers(-(2**63), 2**63),
    st.sampled_from([0, -1, 2**64, 10**30]),
    st.text(max_size=20),
    st.sampled_from(["\ud800", "", " ", "1"]),
    st.sampled_from([*ODD_NUMBERS, Raw("1.5"), Raw("[1]"), Raw('{"a":1}'), Raw("true")]),
)


def test_any_request_id_gets_one_answer_in_strict_json(harness: Harness) -> None:
    def check(msg_id: Any) -> None:
        harness.exercise(protocol.SETTINGS_GET, {}, QUICK_TIMEOUT_S, msg_id=msg_id)

    run_examples(request_ids, 30, [Raw("1e999")], check)


REFLECTIONS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "routing.sort": (
        protocol.SETTINGS_UPDATE,
        lambda key: {"patch": {"routing": {"sort": key}}},
    ),
    "provider": (protocol.SETTINGS_UPDATE, lambda key: {"patch": {"provider": key}}),
    "modelId (unknown)": (
        protocol.MODELS_ENDPOINTS,
        lambda key: {"modelId": key},
    ),
    "chat modelId (unknown)": (
        protocol.CHAT,
        lambda key: {"messages": [{"role": "user", "content": "hi"}], "modelId": key},
    ),
    "apiKey with a space": (protocol.API_KEY_SET, lambda key: {"apiKey": key + " x"}),
    "unknown command": (EXECUTE_COMMAND, lambda key: {"command": key}),
    "chooseModel": (
        EXECUTE_COMMAND,
        lambda key: {"command": "openrouter.chooseModel", "arguments": [key]},
    ),
    "updateSettings routing.sort": (
        EXECUTE_COMMAND,
        lambda key: {
            "command": "openrouter.updateSettings",
            "arguments": [{"routing": {"sort": key}}],
        },
    ),
    "role": (protocol.CHAT, lambda key: {"messages": [{"role": key, "content": "hi"}]}),
}


@pytest.mark.parametrize("field", list(REFLECTIONS))
def test_the_key_sent_in_a_rejected_field_is_never_echoed(harness: Harness, field: str) -> None:
    """An editor that puts the key in the wrong field must not get it back in an error (which
    it may show or log): every outgoing message is scrubbed of the key."""
    method, build = REFLECTIONS[field]
    answer = harness.exercise(method, build(MARKER), NETWORK_TIMEOUT_S)
    assert answer.error is not None and answer.error["code"] == -32602, answer.message


KEY_SHAPES = {
    "dotted": "orkey.SECRETMARKER.{hex}.zz",
    "openai project": "sk-proj-SECRETMARKER{hex}zz",
    "bare hex": "{hex}{hex}",
}


@pytest.mark.parametrize("shape", list(KEY_SHAPES))
def test_a_key_of_any_shape_sent_back_in_a_rejected_field_is_never_echoed(
    tmp_path: Path, shape: str
) -> None:
    """Keys that do not look like `sk-or-…` (OpenAI-compatible servers, other vendors) are
    scrubbed too, from the very first request on: a fresh server per shape, the key in the
    environment, and the rejected fields tried before anything else touched the key."""
    key = KEY_SHAPES[shape].format(hex=uuid.uuid4().hex[:12])
    home = tmp_path / "state"
    # Nothing listens on port 9: these requests never leave the machine.
    write_settings(home, useCustomBaseUrl=True, customBaseUrl="http://127.0.0.1:9/api/v1")
    client = RawLspClient(server_env(home, OPENROUTER_API_KEY=key))
    try:
        client.start()
        mark = client.mark()
        requests = [
            (protocol.SETTINGS_UPDATE, {"patch": {"routing": {"sort": key}}}),
            (EXECUTE_COMMAND, {"command": key}),
            (
                EXECUTE_COMMAND,
                {"command": "openrouter.updateSettings", "arguments": [{"provider": key}]},
            ),
        ]
        for method, params in requests:
            msg_id = client.next_id()
            client.send_text(
                json.dumps({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
            )
            answer = client.wait_answer(msg_id, QUICK_TIMEOUT_S)
            assert answer.error is not None and answer.error["code"] == -32602, answer.message
        frames, stderr = client.written_since(mark)
        for frame in frames:
            assert key.encode() not in frame.body, f"the key in frame {frame.seq}: {frame.body!r}"
        assert key.encode() not in stderr, "the key in stderr"
        client.stop()
    finally:
        client.close()


def test_nothing_in_the_state_folder_holds_the_key(harness: Harness) -> None:
    """Run last: after every example above, no file the server wrote holds the key."""
    harness.healthy_state()
    for path in sorted(harness.home.rglob("*")):
        if path.is_file():
            assert MARKER.encode() not in path.read_bytes(), path.name
