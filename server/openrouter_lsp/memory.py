"""Handing freed heap memory back to the OS, where the C library allows it.

glibc keeps freed blocks of a big request (a 400,000-character prompt passes through a few
copies of ~0.5 MB: the frame, the decoded text, the request body) in its heap after they are
freed, so the resident size stays at the high-water mark of the biggest request seen: ~12 MB
after 60 such chats. `malloc_trim(0)` returns those pages. Not after every big request: the next
one would page-fault all its copies back in (measured ~10 ms slower per 400 KB prompt), so the
session calls it once big requests pause (`lsp.session.TRIM_AFTER_S`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    import ctypes  # on first use: start-up does not need it

    try:
        trim: Callable[[int], int] = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None  # not glibc: freed memory is reused by the next request instead
    return trim


def return_free_heap() -> None:
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
