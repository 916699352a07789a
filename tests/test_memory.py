"""Memory: what the server imports for HTTP, and glibc's thresholds (memory.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SERVER = Path(__file__).resolve().parents[1] / "server"


def run_python(code: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(SERVER)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_http_preload_leaves_httpx_s_command_line_out() -> None:
    """httpx's `__init__` imports its command line (click, pygments: ~2 MB resident) unless
    that import fails; the preload goes through the package that makes it fail."""
    out = run_python(
        "import sys\n"
        "from openrouter_lsp.context import _preload_request_path\n"
        "_preload_request_path()\n"
        "import httpx\n"
        "print('httpx' in sys.modules, sys.modules.get('httpx._main', 'absent'),"
        " 'click' in sys.modules, 'pygments' in sys.modules, callable(httpx.main))\n"
    )
    assert out == "True None False False True"


def test_malloc_tuning_and_trimming_run_on_this_libc() -> None:
    out = run_python(
        "from openrouter_lsp import memory\n"
        "memory.tune_malloc()\n"
        "memory.return_free_heap()\n"
        "print(memory._libc() is not None)\n"
    )
    assert out == ("True" if sys.platform.startswith("linux") else "False")


def test_whole_names_without_a_set_per_model_match_as_the_set_did() -> None:
    """`Facets` keeps no set of whole names (~0.4 KB a model): `is_whole` reads them from the
    key; every model's id, id without author and name, and near misses, against the set."""
    from openrouter_emulator.catalogue import load_catalogue
    from openrouter_lsp.openrouter.model_search import facets_of, is_whole
    from openrouter_lsp.openrouter.models_parse import parse_model

    models = [m for m in map(parse_model, load_catalogue().models) if m is not None]
    models += [m for m in map(parse_model, [{"id": "noslash", "name": "NoSlash"},
                                            {"id": "a/b/c", "name": "b/c"}]) if m is not None]
    checked = 0
    for model in models:
        facets = facets_of(model)
        model_id, name = model.id.casefold(), model.name.casefold()
        whole = {model_id, model_id.split("/", 1)[-1], name}
        tries = set(whole) | {w[:-1] for w in whole} | {w + "x" for w in whole} | {"x" + name}
        for phrase in tries:
            if phrase:
                assert is_whole(facets, phrase) == (phrase in whole), (model.id, phrase)
                checked += 1
    assert checked > 1000


def test_releasing_freed_memory_collects_cycles_first() -> None:
    """What the session runs once big requests pause: a finished chat's request sits in a cycle
    (httpx's response and its stream), which trimming alone would never free."""
    out = run_python(
        "import gc, weakref\n"
        "from openrouter_lsp import memory\n"
        "gc.disable()\n"
        "class Response: pass\n"
        "response = Response(); response.stream = [response]\n"
        "gone = weakref.ref(response)\n"
        "del response\n"
        "memory.return_free_heap()\n"
        "print(gone() is None, end=' ')\n"
        "memory.release_freed_memory()\n"
        "print(gone() is None)\n"
    )
    assert out == "False True"
