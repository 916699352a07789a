"""The cache of the code attrs and cattrs generate (`code_cache`): the same code as compiling,
the caller's `__future__` flags kept, anything unreadable ignored, and a second start of the real
server compiling almost nothing."""

from __future__ import annotations

import asyncio
import builtins
import marshal
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import attrs
import cattrs
import pytest
from tests.support.raw_client import ServerProcess

from openrouter_lsp import code_cache
from openrouter_lsp.code_cache import CodeCache, cache_file

SOURCE = "def area(self):\n    return self.width * self.height\n"
# Runs only when the caller's `from __future__ import annotations` makes the annotation a string.
LAZY_ANNOTATION = "def f(x: name_that_is_not_defined) -> None:\n    pass\n"


@pytest.fixture
def installed(tmp_path: Path) -> Iterator[CodeCache]:
    cache = code_cache.install(tmp_path)
    try:
        yield cache
    finally:
        code_cache.finish()


def test_code_from_the_cache_is_the_compiled_code(tmp_path: Path) -> None:
    first = CodeCache(cache_file(tmp_path))
    compiled = first.compile(SOURCE, "<generated area>", "exec")
    assert (first.hits, first.misses) == (0, 1)
    first.save()

    second = CodeCache(cache_file(tmp_path))
    loaded = second.compile(SOURCE, "<generated area>", "exec")
    assert (second.hits, second.misses) == (1, 0)
    assert loaded == compiled == builtins.compile(SOURCE, "<generated area>", "exec")
    # another file name is another code object (tracebacks and debuggers show it)
    assert second.compile(SOURCE, "<generated other>", "exec").co_filename == "<generated other>"
    assert second.misses == 1


def _compile_from_a_caller(cache: CodeCache, future_annotations: bool) -> object:
    header = "from __future__ import annotations\n" if future_annotations else ""
    namespace = {"cache": cache, "SOURCE": LAZY_ANNOTATION}
    caller = header + "code = cache.compile(SOURCE, '<generated f>', 'exec')\n"
    exec(builtins.compile(caller, "<caller>", "exec", dont_inherit=True), namespace)
    return namespace["code"]


@pytest.mark.parametrize("saved_first", [False, True])
def test_the_callers_future_flags_are_kept(tmp_path: Path, saved_first: bool) -> None:
    cache = CodeCache(cache_file(tmp_path))
    if saved_first:  # both variants cached, then read back: neither answers for the other
        _compile_from_a_caller(cache, True)
        _compile_from_a_caller(cache, False)
        cache.save()
        cache = CodeCache(cache_file(tmp_path))
    exec(_compile_from_a_caller(cache, True), {})  # the annotation stays a string
    with pytest.raises(NameError, match="name_that_is_not_defined"):
        exec(_compile_from_a_caller(cache, False), {})
    assert cache.hits == (2 if saved_first else 0)


def _good_cache_bytes(tmp_path: Path) -> bytes:
    cache = CodeCache(cache_file(tmp_path / "good"))
    cache.compile(SOURCE, "<generated area>", "exec")
    cache.save()
    return cache_file(tmp_path / "good").read_bytes()


@pytest.mark.parametrize(
    "damage",
    [
        "garbage",
        "truncated",
        "a list",
        "strings instead of code",
        "writable by others",
        "folder",
        "empty",
        "too big",
    ],
)
def test_an_unusable_cache_only_means_compiling(tmp_path: Path, damage: str) -> None:
    path = cache_file(tmp_path)
    path.parent.mkdir(parents=True)
    good = _good_cache_bytes(tmp_path)
    if damage == "garbage":
        path.write_bytes(os.urandom(4096))
    elif damage == "truncated":
        path.write_bytes(good[: len(good) // 2])
    elif damage == "a list":
        path.write_bytes(marshal.dumps([1, 2, 3]))
    elif damage == "strings instead of code":
        stored = marshal.loads(good)
        path.write_bytes(marshal.dumps({key: "print('not code')" for key in stored}))
    elif damage == "writable by others":
        path.write_bytes(good)
        path.chmod(0o666)
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "too big":  # the good entries, then more than the limit: not even read
        path.write_bytes(good)
        with path.open("ab") as handle:
            handle.truncate(code_cache.MAX_CACHE_BYTES + 1)
    else:
        path.mkdir()
    cache = CodeCache(path)
    code = cache.compile(SOURCE, "<generated area>", "exec")
    assert (cache.hits, cache.misses) == (0, 1)
    assert code == builtins.compile(SOURCE, "<generated area>", "exec")


def test_attrs_and_cattrs_compile_through_the_cache(installed: CodeCache) -> None:
    """Fails when either library stops calling `compile` by its global name (the hook)."""

    @attrs.define
    class Box:
        width: int
        height: int

    after_attrs = installed.misses
    assert after_attrs >= 1  # __init__, __repr__, __eq__... (one script in attrs 26)
    assert cattrs.Converter().structure({"width": 2, "height": 3}, Box) == Box(2, 3)
    assert installed.misses > after_attrs
    assert repr(Box(1, 2)).endswith("Box(width=1, height=2)")


def test_finish_gives_the_builtin_back(installed: CodeCache) -> None:
    import attr._make
    import cattrs.gen

    assert attr._make.compile == installed.compile  # type: ignore[attr-defined]
    assert code_cache.finish() is installed
    assert not hasattr(attr._make, "compile") and not hasattr(cattrs.gen, "compile")
    misses = installed.misses

    @attrs.define
    class Later:
        value: int

    assert installed.misses == misses and Later(1).value == 1


async def _start_once(home: Path, writes: bool) -> str:
    """The server's stderr once it has counted its generated code (and written the cache)."""
    done = "Wrote the cache of generated code" if writes else "Generated code:"
    server = await ServerProcess.start(home, "--log-level", "DEBUG")
    try:
        await server.client.initialize()
        for _ in range(200):  # the cache is written on a thread once `initialize` is answered
            if done in server.stderr:
                break
            await asyncio.sleep(0.05)
        return server.stderr
    finally:
        await server.stop()


def _compiled_and_cached(stderr: str) -> tuple[int, int]:
    found = re.search(r"Generated code: (\d+) compiled, (\d+) from the cache", stderr)
    assert found, stderr[-2000:]
    return int(found[1]), int(found[2])


@pytest.mark.skipif(sys.platform == "win32", reason="file modes are POSIX")
async def test_a_second_start_of_the_server_compiles_almost_nothing(tmp_path: Path) -> None:
    home = tmp_path / "state"
    compiled, cached = _compiled_and_cached(await _start_once(home, writes=True))
    assert cached == 0 and compiled > 500  # lsprotocol alone has ~575 attrs classes
    assert cache_file(home).stat().st_mode & 0o777 == 0o600
    assert cache_file(home).parent.stat().st_mode & 0o077 == 0

    stderr_again = await _start_once(home, writes=False)
    again, from_cache = _compiled_and_cached(stderr_again)
    assert from_cache >= compiled - 5 and again <= 5, (again, from_cache)
    assert "Wrote the cache of generated code" not in stderr_again


async def test_a_server_replaces_a_damaged_cache(tmp_path: Path) -> None:
    home = tmp_path / "state"
    cache_file(home).parent.mkdir(parents=True)
    cache_file(home).write_bytes(b"\x00not marshal data" * 100)
    compiled, cached = _compiled_and_cached(await _start_once(home, writes=True))
    assert cached == 0 and compiled > 500
    assert isinstance(marshal.loads(cache_file(home).read_bytes()), dict)
