"""Where the server keeps its state, and how it writes there without ever leaving half a file.

Two server processes may share one state folder (two editor windows): every write is a temp file
+ fsync + rename, done while holding an exclusive `fcntl` lock on `.lock`, so readers see either
the old file or the new one and writers never interleave.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import platformdirs

ENV_HOME = "OPENROUTER_LSP_HOME"


def state_dir() -> Path:
    configured = os.environ.get(ENV_HOME)
    folder = (
        Path(configured) if configured else Path(platformdirs.user_config_dir("openrouter-lsp"))
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """An exclusive lock shared by every process using `folder` (a no-op where fcntl is missing)."""
    try:
        import fcntl
    except ImportError:  # Windows: atomic renames still keep files whole
        yield
        return
    with open(folder / ".lock", "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def write_atomic(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Replace `path` with `data`: temp file in the same folder, fsync, rename, fsync the folder."""
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode) if hasattr(os, "fchmod") else None
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    with contextlib.suppress(OSError):
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
