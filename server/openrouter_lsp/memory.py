"""Handing freed heap memory back to the OS, where the C library allows it.

glibc keeps freed blocks of a big request (a 400,000-character prompt passes through a few
copies of ~0.5 MB: the frame, the decoded text, the request body) in its heap after they are
freed, so the resident size stays at the high-water mark of the biggest request seen: ~12 MB
after 60 such chats. `malloc_trim(0)` returns those pages. Not after every big request: the next
one would page-fault all its copies back in (measured ~10 ms slower per 400 KB prompt), so the
session calls it once big requests pause (`lsp.session.TRIM_AFTER_S`).

glibc also raises its mmap threshold to the size of any mmap-ed block that is freed (up to
32 MB), and its trim threshold to twice that: once a big catalogue body (8 MB for 5,000 models)
is freed, every later block under 8 MB (a 5 MB models/list answer, its frame) comes from the heap
and stays there (5,000 models: +13 MB). `tune_malloc` fixes both thresholds: blocks of
`MMAP_THRESHOLD` and more are mapped and unmapped on their own (a 5 MB answer costs ~5 % more
time for its fresh pages); smaller ones (every copy of a 400,000-character prompt) come from the
heap as before, and glibc gives back the heap's free top by itself beyond `TRIM_THRESHOLD` (a
search's ~3 MB transient answer; the dynamic value was ~1 MB after a 0.5 MB prompt).
"""

from __future__ import annotations

import functools
import gc
from typing import Any

MMAP_THRESHOLD = 1 << 20  # above a big prompt's copies (~0.5 MB each), below a big catalogue's
TRIM_THRESHOLD = 2 << 20  # free heap top kept (main, dynamic: ~1 MB after a 0.5 MB prompt)
_M_TRIM_THRESHOLD = -1  # mallopt's parameter numbers (malloc.h)
_M_MMAP_THRESHOLD = -3


@functools.cache
def _libc() -> Any | None:
    import ctypes  # on first use: start-up does not need it

    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim  # noqa: B018 - glibc's, else not glibc
        libc.mallopt  # noqa: B018
    except (OSError, AttributeError):
        return None  # not glibc: freed memory is reused by the next request instead
    return libc


def return_free_heap() -> None:
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


def release_freed_memory() -> None:
    """Collect cyclic garbage, then return the free heap. A finished chat's request body waits
    for the cyclic GC: httpx's `Response` and its stream refer to each other, and the response
    holds the request and its content (a 400,000-character prompt's 0.4 MB, mapped on its own,
    so trimming alone never returns it). A catalogue fetch leaves garbage too (~10 MB for 337
    models, briefly)."""
    gc.collect()
    return_free_heap()


def tune_malloc() -> None:
    """Fix glibc's mmap and trim thresholds (see above); before the first big request."""
    libc = _libc()
    if libc is not None:
        libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
        libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
