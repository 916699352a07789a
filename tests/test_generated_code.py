"""`generated_code`: attrs' generated methods keep working on the slim globals, and lose the
per-class copy of their module's namespace; the generated source leaves `linecache`."""

from __future__ import annotations

import copy
import linecache
import pickle
import typing

import attrs
import pytest
from lsprotocol import types as lsp
from pygls.protocol import default_converter

from openrouter_lsp import generated_code

# A name only this module defines: attrs copies it into every class's generated globals.
MODULE_ONLY_NAME = "present in the copied namespace"


def _non_negative(_instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if value < 0:
        raise ValueError(f"{attribute.name} must not be negative")


@attrs.define
class Sample:
    """Every kind of generated code that reads a global: a validator, a converter, a factory,
    `__eq__`, `__repr__`, `__hash__` of a frozen sibling below."""

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


ATTRS_CLASSES = (Sample, FrozenSample, SampleChild, lsp.Position, lsp.FoldingRange, lsp.Location)


@pytest.fixture(scope="module", autouse=True)
def slimmed() -> None:
    generated_code.slim_attrs_globals()


@pytest.mark.parametrize("cls", ATTRS_CLASSES, ids=lambda cls: cls.__name__)
def test_generated_methods_no_longer_hold_their_module_namespace(cls: type) -> None:
    init = typing.cast(typing.Any, cls).__init__
    assert "MODULE_ONLY_NAME" not in init.__globals__
    assert "__file__" not in init.__globals__
    assert len(init.__globals__) < 30
    assert init.__globals__["__builtins__"]  # builtins still resolve (`len`, `isinstance`...)


def test_slimmed_methods_behave_as_generated() -> None:
    sample = Sample(3, label=7)  # type: ignore[arg-type]  # the converter runs
    assert sample.label == "7"
    assert sample.items == [] and Sample(1).items is not Sample(1).items  # the factory runs
    assert sample == Sample(3, "7", [])
    assert sample != Sample(4, "7", [])
    assert repr(sample) == "Sample(count=3, label='7', items=[])"
    with pytest.raises(ValueError, match="count must not be negative"):
        Sample(-1)
    assert hash(FrozenSample("a", 1)) == hash(FrozenSample("a", 1))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        FrozenSample("a").size = 2  # type: ignore[misc]
    child = SampleChild(2, extra=True)
    assert repr(child) == "SampleChild(count=2, label='none', items=[], extra=True)"
    with pytest.raises(ValueError, match="count must not be negative"):
        SampleChild(-5)


def test_lsprotocol_types_structure_validate_and_compare_after_slimming() -> None:
    converter = default_converter()
    raw = {"uri": "file:///a", "range": {"start": {"line": 1, "character": 2},
                                         "end": {"line": 1, "character": 3}}}
    location = converter.structure(raw, lsp.Location)
    assert location == lsp.Location("file:///a", lsp.Range(lsp.Position(1, 2), lsp.Position(1, 3)))
    assert converter.unstructure(location) == raw
    with pytest.raises(ValueError, match="start_line should be in range"):
        lsp.FoldingRange(start_line=-1, end_line=2)
    assert pickle.loads(pickle.dumps(location)) == location  # `__getstate__`/`__setstate__`
    assert copy.deepcopy(location) == location
    assert attrs.evolve(location, uri="file:///b").uri == "file:///b"
    # Annotations made of objects still resolve from the generated `__init__`.
    assert typing.get_type_hints(lsp.FoldingRange.__init__)["start_line"] is int


def test_slimming_twice_changes_nothing() -> None:
    before = Sample.__init__.__globals__
    generated_code.slim_attrs_globals()
    assert Sample.__init__.__globals__ == before
    assert Sample(1, "x") == Sample(1, "x")


def test_generated_sources_leave_linecache() -> None:
    @attrs.define
    class Local:
        value: int

    assert any(name.startswith("<attrs generated") for name in linecache.cache)
    generated_code.drop_generated_sources()
    assert not any(name.startswith("<attrs generated") for name in linecache.cache)
    assert Local(1) == Local(1)


def test_names_read_include_those_of_nested_code() -> None:
    # attrs 26 generates no nested code; a later attrs may (a generator expression in `__repr__`).
    source = "def method(self):\n    return all(check(x) for x in self.items)\n"
    code = compile(source, "<t>", "exec")
    method_code = next(c for c in code.co_consts if hasattr(c, "co_names"))
    assert {"all", "check"} <= generated_code._names_read(method_code)
