"""The pygls internals `pygls_adapter` relies on still exist, with the same shape, and are still
on pygls' path: this fails on a pygls release that renames, reshapes or bypasses one of them."""

from __future__ import annotations

import inspect
import json
import re
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.protocol import JsonRPCProtocol

from openrouter_lsp.lsp import pygls_adapter
from openrouter_lsp.lsp.pygls_adapter import (
    RELIED_ON,
    RELIED_ON_INSTANCE,
    AdapterProtocol,
    replace_builtin_feature,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PYPROJECT = Path(__file__).parent.parent / "pyproject.toml"


@pytest.mark.parametrize(("owner", "name", "params"), RELIED_ON, ids=lambda v: str(v))
def test_relied_on_attributes_keep_their_names_and_parameters(
    owner: type, name: str, params: tuple[str, ...] | None
) -> None:
    attribute = inspect.getattr_static(owner, name)
    if params is None:
        assert isinstance(attribute, property), f"{owner.__name__}.{name} is no longer a property"
        return
    signature = inspect.signature(getattr(owner, name))
    names = [p for p in signature.parameters if p != "self"]
    assert names == list(params), f"{owner.__name__}.{name}{signature} changed"


def test_overrides_match_what_they_override() -> None:
    for name in ("_send_data", "_send_response", "structure_message"):
        ours = inspect.signature(getattr(AdapterProtocol, name))
        theirs = inspect.signature(getattr(JsonRPCProtocol, name))
        assert list(ours.parameters) == list(theirs.parameters), name


def test_instance_attributes_exist() -> None:
    protocol = _server().protocol
    for name in RELIED_ON_INSTANCE:
        assert hasattr(protocol, name), name
    assert isinstance(protocol._result_types, dict)
    assert isinstance(protocol.fm.builtin_features, dict)
    assert lsp.WORKSPACE_EXECUTE_COMMAND in protocol.fm.builtin_features


class ListWriter:
    def __init__(self) -> None:
        self.frames: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.frames.append(data)

    def close(self) -> None:
        return None

    def messages(self) -> list[Any]:
        out = []
        for data in self.frames:
            header, _, body = data.partition(b"\r\n\r\n")
            assert int(re.sub(rb"\D", b"", header)) == len(body)  # bytes, not characters
            out.append(json.loads(body))
        return out


def _server() -> LanguageServer:
    return LanguageServer("adapter-test", "0", protocol_cls=AdapterProtocol)


def test_pygls_answers_through_our_writer_and_our_builtin_replacement() -> None:
    server = _server()
    writer = ListWriter()
    pygls_adapter.set_writer(server, writer)
    answered: list[tuple[Any, bool]] = []
    pygls_adapter.watch_answers(server, lambda msg_id, ok: answered.append((msg_id, ok)))

    @server.feature("test/echo")
    def echo(params: Any) -> Any:
        return lsp.Position(line=1, character=2) if params else {"nan": float("nan"), "é": "ü"}

    def execute(params: lsp.ExecuteCommandParams) -> Any:
        return {"ran": params.command}

    replace_builtin_feature(server, lsp.WORKSPACE_EXECUTE_COMMAND, execute)
    for message in (
        {"jsonrpc": "2.0", "id": 1, "method": "test/echo", "params": None},
        {"jsonrpc": "2.0", "id": 2, "method": "test/echo", "params": {"x": 1}},
        {
            "jsonrpc": "2.0",
            "id": 3,
            "method": lsp.WORKSPACE_EXECUTE_COMMAND,
            "params": {"command": "c"},
        },
    ):
        pygls_adapter.dispatch(server, pygls_adapter.structure(server, message))
    results = {m["id"]: m["result"] for m in writer.messages()}
    assert results == {
        1: {"nan": None, "é": "ü"},  # strict JSON from our _send_data
        2: {"line": 1, "character": 2},  # attrs results still unstructured by pygls
        3: {"ran": "c"},
    }
    assert answered == [(1, True), (2, True), (3, True)]  # our _send_response is on the path


def test_pygls_is_pinned_to_the_tested_minor_range() -> None:
    dependencies = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    assert "pygls>=2.1.1,<2.2" in dependencies
    assert version("pygls").startswith("2.1.")


def test_pygls_structuring_failures_still_name_the_field() -> None:
    # pygls raises JsonRpcInvalidParams from cattrs' validation error; the adapter reads the cause.
    server = _server()
    bad = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": lsp.TEXT_DOCUMENT_CODE_ACTION,
        "params": {
            "textDocument": {"uri": "file:///a"},
            "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
            "context": {},
        },
    }
    with pytest.raises(pygls_adapter.MalformedMessage) as info:
        pygls_adapter.structure(server, bad)
    assert [e.path for e in info.value.errors] == ["context.diagnostics"]


def test_a_malformed_client_answer_fails_the_waiting_request() -> None:
    server = _server()
    pygls_adapter.set_writer(server, ListWriter())
    future = server.protocol.send_request("workspace/configuration", {"items": []}, msg_id="q1")
    pygls_adapter.fail_pending_request(server, "q1", "malformed")
    assert future.done() and "malformed" in str(future.exception())
