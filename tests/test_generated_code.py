"""`generated_code`: attrs' generated methods run in globals of the names they read (not a copy
of their module's namespace per class) and behave as before; the generated source leaves
`linecache`."""

from __future__ import annotations

import copy
import linecache
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attr._make
import attrs
import pytest

from openrouter_lsp import generated_code

SERVER = Path(__file__).resolve().parents[1] / "server"
# A name only this module defines: attrs copies it into every class's generated globals.
MODULE_ONLY_NAME = "present in the copied namespace"


@pytest.fixture
def slim_eval_installed() -> Iterator[None]:
    assert generated_code.install()
    try:
        yield
    finally:
        del attr._make.eval  # type: ignore[attr-defined]  # the builtin again


def _non_negative(_instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if value < 0:
        raise ValueError(f"{attribute.name} must not be negative")


def define_classes() -> tuple[Any, Any, Any]:
    """Every kind of generated code that reads a global: a validator, a converter, a factory,
    `__eq__`, `__repr__`, a frozen class's `__hash__` and `__setattr__`, a subclass."""

    @attrs.define
    class Sample:
        count: int = attrs.field(validator=_non_negative)
        label: str = attrs.field(converter=str, default="none")
        items: list[int] = attrs.field(factory=list)

    @attrs.frozen
    class FrozenSample:
        name: str
        size: int = 0

    @attrs.define
    class SampleChild(Sample):
        extra: bool = False

    return Sample, FrozenSample, SampleChild


def test_attrs_evaluates_its_code_through_the_installed_eval(slim_eval_installed: None) -> None:
    """Fails if attrs stops calling `eval` by its global name (the slimming would then stop)."""
    for cls in define_classes():
        methods = [cls.__init__, cls.__repr__, cls.__eq__]
        for method in methods:
            assert "MODULE_ONLY_NAME" not in method.__globals__
            assert "__file__" not in method.__globals__
            assert len(method.__globals__) < 30
            assert method.__globals__["__builtins__"]  # `len`, `isinstance`... still resolve


def test_slim_globals_behave_as_generated(slim_eval_installed: None) -> None:
    sample_cls, frozen_cls, child_cls = define_classes()
    sample = sample_cls(3, label=7)  # the converter runs
    assert sample.label == "7"
    assert sample.items == [] and sample_cls(1).items is not sample_cls(1).items  # the factory
    assert sample == sample_cls(3, "7", [])
    assert sample != sample_cls(4, "7", [])
    assert repr(sample).endswith("Sample(count=3, label='7', items=[])")
    with pytest.raises(ValueError, match="count must not be negative"):
        sample_cls(-1)
    assert hash(frozen_cls("a", 1)) == hash(frozen_cls("a", 1))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        frozen_cls("a").size = 2
    assert attrs.evolve(frozen_cls("a"), size=3).size == 3
    assert copy.deepcopy(child_cls(1)) == child_cls(1)
    child = child_cls(2, extra=True)
    assert repr(child).endswith("SampleChild(count=2, label='none', items=[], extra=True)")
    with pytest.raises(ValueError, match="count must not be negative"):
        child_cls(-5)


def test_code_run_without_locals_hands_its_definitions_back() -> None:
    """attrs' `_add_hash`/`_add_eq`/`_add_repr` read the new method back from the globals."""
    globs: dict[str, Any] = {"offset": 1, "unused": "x" * 100}
    code = compile("def shifted(value):\n    return value + offset\n", "<test>", "exec")
    generated_code.slim_eval(code, globs)
    shifted = globs["shifted"]
    assert shifted(1) == 2
    assert "unused" not in shifted.__globals__ and shifted.__globals__["offset"] == 1
    assert generated_code.slim_eval("1 + offset", globs) == 2  # text: evaluated as it is


def test_names_read_include_those_of_nested_code() -> None:
    source = "def method(self):\n    return all(check(x) for x in self.items)\n"
    code = compile(source, "<t>", "exec")
    assert {"all", "check"} <= generated_code._names_read(code)


def test_lsprotocol_types_built_with_slim_globals_still_work() -> None:
    """In a fresh interpreter, as the server starts: the hook, then pygls and lsprotocol."""
    script = (
        "import copy, pickle, typing\n"
        "from openrouter_lsp import generated_code\n"
        "assert generated_code.install()\n"
        "from pygls.protocol import default_converter\n"
        "from lsprotocol import types as lsp\n"
        "assert len(lsp.Location.__init__.__globals__) < 30\n"
        "converter = default_converter()\n"
        "raw = {'uri': 'file:///a', 'range': {'start': {'line': 1, 'character': 2},"
        " 'end': {'line': 1, 'character': 3}}}\n"
        "location = converter.structure(raw, lsp.Location)\n"
        "assert location == lsp.Location('file:///a', lsp.Range(lsp.Position(1, 2),"
        " lsp.Position(1, 3)))\n"
        "assert converter.unstructure(location) == raw\n"
        "assert pickle.loads(pickle.dumps(location)) == location == copy.deepcopy(location)\n"
        "assert typing.get_type_hints(lsp.FoldingRange.__init__)['start_line'] is int\n"
        "try:\n"
        "    lsp.FoldingRange(start_line=-1, end_line=2)\n"
        "except ValueError as exc:\n"
        "    print('refused:', exc)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(SERVER)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "refused: FoldingRange.start_line should be in range" in done.stdout


def test_generated_sources_leave_linecache() -> None:
    @attrs.define
    class Local:
        value: int

    assert any(name.startswith("<attrs generated") for name in linecache.cache)
    generated_code.drop_generated_sources()
    assert not any(name.startswith("<attrs generated") for name in linecache.cache)
    assert Local(1) == Local(1)

