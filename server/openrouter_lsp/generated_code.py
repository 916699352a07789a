"""What attrs keeps of the code it generates, trimmed at start-up (-6 MB resident).

attrs (26.1) writes each class's `__init__`, `__eq__`, `__repr__`... as source text and compiles
it. Two things outlive that, neither needed to run the code:

- **A copy of the module's namespace per class.** The generated methods' globals are a new dict
  per class into which attrs copies the defining module's whole namespace, "so that
  `typing.get_type_hints(C.__init__)` resolves string types" (python-attrs/attrs#1596).
  `lsprotocol.types` defines 554 classes in one module, so the copies grow with it: 554 dicts of
  up to 690 names, 5.5 MB, where the code reads ~5 names each. `slim_attrs_globals` gives each
  class's methods a dict of the names their code reads (`co_names`, which also lists attribute
  names: a superset), 240 bytes on average. Nothing here calls `get_type_hints` on a generated
  method (pygls reads its handlers', cattrs the classes'), and lsprotocol's annotations are
  objects, not strings.
- **The source text, in `linecache`**, so that tracebacks and debuggers can show it: ~680
  entries, 1.9 MB. `drop_generated_sources` clears the cache; a traceback through a generated
  method then shows no source line, and lines of real files are read again when needed.

`__main__` runs both once pygls is imported, before `gc.freeze` and the server's own imports
(~9 ms of start-up, `bench_startup_ab.py`: 351 -> 360 ms). Run after `initialize` instead, the
freed memory stayed as holes in the heap that the chat path then allocated from: the relay ratio
measured 0.7-2.0 % lower in four `bench_latency_ab.py` pairs, against 0.1-0.8 % this way.
Measured by `bench/bench_floor.py`'s RSS rows (see the README).
"""

from __future__ import annotations

import builtins
import linecache
import sys
import types
from collections.abc import Iterator

# attrs names the code it compiles "<attrs generated methods module.Class>" (and similar).
_ATTRS_FILENAME_PREFIX = "<attrs generated"


def slim_attrs_globals() -> int:
    """Rebind every attrs-generated method in the loaded modules to globals holding only the
    names its class's generated code reads; returns how many methods were rebound."""
    rebound = 0
    for cls in _attrs_classes():
        methods = {
            name: value
            for name, value in vars(cls).items()
            if isinstance(value, types.FunctionType)
            and value.__code__.co_filename.startswith(_ATTRS_FILENAME_PREFIX)
            and value.__globals__ is not _module_namespace(cls)
        }
        slim_by_copy: dict[int, dict[str, object]] = {}
        for method in methods.values():
            copied = method.__globals__
            if id(copied) not in slim_by_copy:
                sharing = [m for m in methods.values() if m.__globals__ is copied]
                slim_by_copy[id(copied)] = _slim(copied, sharing)
        for name, method in methods.items():
            setattr(cls, name, _rebound(method, slim_by_copy[id(method.__globals__)]))
            rebound += 1
    return rebound


def drop_generated_sources() -> None:
    linecache.clearcache()


def _attrs_classes() -> Iterator[type]:
    for module in list(sys.modules.values()):
        namespace = getattr(module, "__dict__", None)
        if not isinstance(namespace, dict):
            continue
        for value in list(namespace.values()):
            if (
                isinstance(value, type)
                and "__attrs_attrs__" in vars(value)
                and value.__module__ == module.__name__
            ):
                yield value


def _module_namespace(cls: type) -> dict[str, object] | None:
    module = sys.modules.get(cls.__module__)
    return getattr(module, "__dict__", None)


def _slim(copied: dict[str, object], methods: list[types.FunctionType]) -> dict[str, object]:
    read: set[str] = set()
    for method in methods:
        read |= _names_read(method.__code__)
    slim = {name: copied[name] for name in read if name in copied}
    slim["__builtins__"] = copied.get("__builtins__", builtins.__dict__)
    return slim


def _names_read(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):  # a generator expression's or lambda's code
            names |= _names_read(constant)
    return names


def _rebound(method: types.FunctionType, slim: dict[str, object]) -> types.FunctionType:
    rebound = types.FunctionType(
        method.__code__, slim, method.__name__, method.__defaults__, method.__closure__
    )
    rebound.__kwdefaults__ = method.__kwdefaults__
    rebound.__annotations__ = method.__annotations__
    rebound.__qualname__ = method.__qualname__
    rebound.__doc__ = method.__doc__
    rebound.__module__ = method.__module__
    rebound.__dict__.update(method.__dict__)
    return rebound
