"""What attrs keeps of the code it generates, kept small (-7 MB resident).

attrs (26.1) writes each class's `__init__`, `__eq__`, `__repr__`... as source text, compiles it
and runs it with `eval`. Two things outlive that, neither needed to run the code:

- **A copy of the module's namespace per class.** The globals attrs evaluates the code in (and
  so the generated methods' `__globals__`) are a new dict per class into which it copies the
  defining module's whole namespace, "so that `typing.get_type_hints(C.__init__)` resolves
  string types" (python-attrs/attrs#1596). `lsprotocol.types` defines 554 classes in one
  module, so the copies grow with it: 554 dicts of up to 690 names, 5.5 MB, where the code reads
  ~5 names each. `install` gives attrs' `_make` an `eval` of its own (the hook `code_cache` uses
  for `compile`): the code runs in a dict of the names it reads (`co_names`, which also lists
  attribute names: a superset), 240 bytes on average, and attrs' copy is freed as soon as the
  class is built. Nothing here calls `get_type_hints` on a generated method (pygls reads its
  handlers', cattrs the classes'), and lsprotocol's annotations are objects, not strings.
  `tests/test_generated_code.py` fails if attrs stops evaluating through that name.
- **The source text, in `linecache`**, so that tracebacks and debuggers can show it: ~680
  entries, 1.9 MB. `drop_generated_sources` clears the cache; a traceback through a generated
  method then shows no source line, and lines of real files are read again when needed.

`__main__` installs the `eval` before importing pygls and clears `linecache` right after, before
the server's own imports, which reuse what that frees. Both were first done after `initialize`
(rebinding each class's methods, ~15 ms): the freed memory then stayed as holes in the heap that
the chat path allocated from, and the relay ratio measured 0.3-1.3 % lower (`bench_latency_ab`).
Measured by `bench/bench_floor.py`'s RSS rows (see the README).
"""

from __future__ import annotations

import builtins
import importlib
import linecache
import types
from typing import Any

# The module that evaluates the code attrs generates, calling `eval` by its global name.
GENERATING_MODULE = "attr._make"
_builtin_eval = eval


def install() -> bool:
    """Give attrs' `_make` an `eval` that runs its generated code with slim globals (imports
    it); False if attrs cannot take it (then nothing changes)."""
    try:
        module = importlib.import_module(GENERATING_MODULE)
    except ImportError:
        return False
    module.eval = slim_eval  # type: ignore[attr-defined]
    return True


def slim_eval(
    source: Any, globals: dict[str, Any] | None = None, locals: Any = None
) -> Any:
    """`eval`, with compiled code run in a dict of only the names it reads from `globals`."""
    if type(source) is not types.CodeType or type(globals) is not dict:
        return _builtin_eval(source, globals, locals)
    slim = {name: globals[name] for name in _names_read(source) if name in globals}
    slim["__builtins__"] = globals.get("__builtins__", builtins.__dict__)
    result = _builtin_eval(source, slim, locals)
    if locals is None:  # what the code defined went to its globals, where attrs reads it back
        globals.update(slim)
    return result


def drop_generated_sources() -> None:
    linecache.clearcache()


def _names_read(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):  # a generator expression's or lambda's code
            names |= _names_read(constant)
    return names
