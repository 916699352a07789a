"""Where the server keeps its state, and how it writes there without ever leaving half a file.

Two server processes may share one state folder (two editor windows): every write is a temp file
+ fsync + rename, done while holding an exclusive `fcntl` lock on `.lock`, so readers see either
the old file or the new one and writers never interleave.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

ENV_HOME = "OPENROUTER_LSP_HOME"


def state_dir() -> Path:
    configured = os.environ.get(ENV_HOME)
    if configured:
        folder = Path(configured)
    else:
        import platformdirs  # ~25 ms: only when no folder is configured

        folder = Path(platformdirs.user_config_dir("openrouter-lsp"))
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
    # Not `tempfile`: it drags shutil, bz2 and lzma into the server's start-up.
    temp_name = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(6).hex()}.tmp")
    fd = os.open(temp_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
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


FileSignature = tuple[int, int, int] | None


def file_signature(path: Path) -> FileSignature:
    """What changes when any process replaces `path` (atomic writes give a new inode)."""
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_ino, info.st_mtime_ns, info.st_size)
