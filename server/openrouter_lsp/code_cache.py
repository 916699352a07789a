"""A bytecode cache for the code attrs and cattrs generate, so that start-up skips compiling it.

Importing pygls imports `lsprotocol.types`: ~575 attrs classes, each with an `__init__`,
`__eq__`, `__repr__`... that attrs writes as source text and hands to `compile()` (776 calls,
~290 ms of the ~500 ms a bare pygls server takes to start here; cattrs compiles more when
`initialize` is structured). Python caches the bytecode of modules in `.pyc` files, but not of
code generated at run time, so every start compiled the same text again. This module does for
that code what `.pyc` files do for modules: the first start compiles and writes the code objects
(`marshal`, as `.pyc` files hold them) to `<state folder>/cache/`; later starts look each source
text up there and compile only what is new.

The hook is one name: attrs' `_make` and `cattrs.gen` call the builtin `compile` by its global
name, so `install` gives those two modules a `compile` of their own and `finish` removes it.
`tests/test_code_cache.py` fails if either stops compiling through that name.

The cache is trusted as Python trusts `__pycache__`: a file the user owns in the user's own
folder, ignored when another user owns it or others may write to it. Anything unreadable (a
truncated file, another Python's bytecode, wrong types) only means misses.
"""

from __future__ import annotations
import __future__

import contextlib
import hashlib
import importlib.util
import logging
import marshal
import mmap
import os
import stat
import sys
import types
from pathlib import Path
from typing import Any

from .memory import return_free_heap, tune_malloc

log = logging.getLogger(__name__)

# The modules whose generated code is cached: they call `compile` by its global name.
GENERATING_MODULES = ("attr._make", "cattrs.gen")
# The compiler flags a caller's `from __future__` imports set, which `compile` inherits.
_FUTURE_FLAGS = 0
for _name in __future__.all_feature_names:
    _FUTURE_FLAGS |= getattr(__future__, _name).compiler_flag
# Rewrite the file when more than this share of the lookups missed (a new attrs or lsprotocol,
# a first start); a few misses are normal: attrs writes a per-process hash seed into `__hash__`.
STALE_SHARE = 0.1
# The file holds ~1.3 MB; anything far bigger is not what this module wrote and is not loaded.
MAX_CACHE_BYTES = 32 * 1024 * 1024
_builtin_compile = compile


def cache_file(folder: Path) -> Path:
    """One file per interpreter and bytecode format (and `-O` level): `.pyc`'s own key."""
    tag = sys.implementation.cache_tag or sys.implementation.name
    magic = importlib.util.MAGIC_NUMBER.hex()
    return folder / "cache" / f"generated-code-{tag}-{magic}-O{sys.flags.optimize}.marshal"


class CodeCache:
    """Code objects by (source text, file name, future flags), loaded from and saved to `path`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stored = _load(path)
        self._used: dict[bytes, types.CodeType] = {}
        self.hits = 0
        self.misses = 0

    def compile(
        self,
        source: Any,
        filename: Any,
        mode: str,
        flags: int = 0,
        dont_inherit: bool = False,
        optimize: int = -1,
    ) -> Any:
        """`compile()`, answered from the cache for plain source text."""
        if not isinstance(source, str) or not isinstance(filename, str) or flags or optimize != -1:
            return _builtin_compile(source, filename, mode, flags, dont_inherit, optimize)
        # What the builtin would inherit from the caller's `from __future__` imports.
        inherited = 0 if dont_inherit else sys._getframe(1).f_code.co_flags & _FUTURE_FLAGS
        key = hashlib.blake2b(
            f"{mode}\0{inherited}\0{filename}\0{source}".encode("utf-8", "surrogatepass"),
            digest_size=16,
        ).digest()
        code = self._stored.get(key)
        if type(code) is types.CodeType:
            self.hits += 1
        else:
            self.misses += 1
            code = _builtin_compile(source, filename, mode, inherited, True)
        self._used[key] = code
        return code

    def stale(self) -> bool:
        lookups = self.hits + self.misses
        return lookups > 0 and self.misses > STALE_SHARE * lookups

    def save(self) -> None:
        """Write the code used this time (so the file never grows past one start's worth)."""
        from .state_dir import write_atomic

        tune_malloc()  # (done at `initialized` too): the 1.3 MB text is unmapped once written
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_atomic(self.path, marshal.dumps(self._used))


def _load(path: Path) -> dict[Any, Any]:
    try:
        with open(path, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not _trusted(info) or not 0 < info.st_size <= MAX_CACHE_BYTES:
                return {}
            # Mapped, not read: a 1.3 MB `bytes` freed would raise glibc's mmap threshold to
            # its size for good, and later blocks under it would stay in the heap (+1 MB idle).
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                stored = marshal.loads(mapped)
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    return stored if isinstance(stored, dict) else {}


def _trusted(info: os.stat_result) -> bool:
    """A regular file only we may write, as the user's own `__pycache__` would be."""
    if not stat.S_ISREG(info.st_mode) or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return False
    getuid = getattr(os, "getuid", None)  # not on Windows, where the folder's ACL decides
    return getuid is None or info.st_uid == getuid()


_active: CodeCache | None = None


def install(folder: Path) -> CodeCache:
    """Serve the generating modules' `compile` from the cache in `folder` (imports them)."""
    global _active
    cache = _active = CodeCache(cache_file(folder))
    for name in GENERATING_MODULES:
        module = importlib.import_module(name)
        module.compile = cache.compile  # type: ignore[attr-defined]
    return cache


def finish() -> CodeCache | None:
    """Give the generating modules the builtin `compile` back and drop the loaded code; returns
    the cache, which still holds what this start used (for `save`)."""
    global _active
    cache, _active = _active, None
    for name in GENERATING_MODULES:
        module = sys.modules.get(name)
        if module is not None:
            with contextlib.suppress(AttributeError):
                del module.compile
    if cache is not None:
        cache._stored = {}
    return cache


def complete_start_up() -> None:
    """Start-up's generated code is compiled by now (`initialize` was structured and answered):
    stop caching, and write the cache when this start compiled much of it (a first start, a new
    attrs or lsprotocol)."""
    cache = finish()
    if cache is None:  # not installed (a server built in process, as tests do)
        return
    log.debug("Generated code: %d compiled, %d from the cache", cache.misses, cache.hits)
    if cache.stale():
        # On the event loop, once (~5 ms): on a thread, the 1.3 MB text would stay in that
        # thread's malloc arena (+1 MB resident).
        try:
            cache.save()
        except OSError as exc:  # a read-only folder: the next start compiles again
            log.debug("Could not write %s (%s)", cache.path, exc)
        else:
            log.debug("Wrote the cache of generated code to %s", cache.path)
    return_free_heap()  # what compiling, or loading the cache, freed (~0.5 MB)
