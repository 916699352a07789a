"""Where the server keeps its state, and how it writes there without ever leaving half a file.

Two server processes may share one state folder (two editor windows): every write is a temp file
+ fsync + rename, and the settings and key files are written only while holding the folder's
lock (`filelock`: `flock` on Linux and macOS, the Windows file-locking API on Windows), so readers
see either the old file or the new one and writers never interleave. A writer killed mid-write
leaves its temp file behind; `temp_files.sweep` removes it at the next start-up.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from .temp_files import sweep, temp_path

log = logging.getLogger(__name__)

ENV_HOME = "OPENROUTER_LSP_HOME"
LOCK_FILE = ".lock"

if TYPE_CHECKING:
    from filelock import FileLock

# One lock object per folder, so that a holder may re-enter it (filelock counts the levels)
# instead of deadlocking on a second descriptor of the same file.
_locks: dict[Path, FileLock] = {}


def configured_folder() -> Path:
    """Where the state folder is (`OPENROUTER_LSP_HOME`, else the platform's config folder)."""
    configured = os.environ.get(ENV_HOME)
    if configured:
        return Path(configured)
    import platformdirs  # ~25 ms: only when no folder is configured

    return Path(platformdirs.user_config_dir("openrouter-lsp"))


def state_dir() -> Path:
    """The state folder, created, and swept of the temp files that crashed writers left."""
    folder = configured_folder()
    folder.mkdir(parents=True, exist_ok=True)
    try:
        sweep(folder, locked)
    except OSError as exc:  # leftovers must not stop the server (say, a read-only folder)
        log.warning("Could not remove the temp files in %s (%s)", folder, exc)
    return folder


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """An exclusive lock shared by every process using `folder`; re-entrant in one thread."""
    lock = _locks.get(folder)
    if lock is None:
        # filelock costs ~50 ms to import: only a write or a cleanup pays it, never start-up.
        from filelock import FileLock

        lock = _locks[folder] = FileLock(folder / LOCK_FILE, mode=0o600)
    with lock:
        yield


def write_atomic(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Replace `path` with `data`: temp file in the same folder, fsync, rename, fsync the folder."""
    # Not `tempfile`: it drags shutil, bz2 and lzma into the server's start-up.
    temp_name = temp_path(path)
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


def move_aside(path: Path) -> Path:
    """Rename an unusable `path` to `<name>.corrupt-<time>-<random>` beside it; returns the new
    path. The random part keeps two quarantines in the same second from overwriting each other."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    while True:
        aside = path.with_name(f"{path.name}.corrupt-{stamp}-{os.urandom(4).hex()}")
        if not os.path.lexists(aside):
            break
    os.replace(path, aside)
    return aside


FileSignature = tuple[int, int, int] | None


def file_signature(path: Path) -> FileSignature:
    """What changes when any process replaces `path` (atomic writes give a new inode)."""
    try:
        info = path.stat()
    except OSError:
        return None
    return signature_of(info)


def signature_of(info: os.stat_result) -> tuple[int, int, int]:
    return (info.st_ino, info.st_mtime_ns, info.st_size)


class UnusableFile(Exception):
    """Why a state file cannot be used, as the end of a sentence ("it is a folder, not a file").
    `signature` is that of the file found, so callers notice when it is replaced."""

    def __init__(self, reason: str, signature: FileSignature) -> None:
        super().__init__(reason)
        self.signature = signature


def read_state_file(path: Path, limit: int) -> tuple[bytes | None, FileSignature]:
    """The bytes of `path` (None when it does not exist) and the signature of exactly what was
    read; UnusableFile when it is not a regular file, cannot be read or is over `limit` bytes."""
    try:
        # Non-blocking, so that a FIFO of that name cannot hang the server on open.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        return None, None
    except OSError as exc:  # Windows cannot open a folder; elsewhere reading one fails
        signature = file_signature(path)
        if path.is_dir():
            raise UnusableFile("it is a folder, not a file", signature) from None
        raise UnusableFile(f"it cannot be opened ({exc.strerror})", signature) from None
    try:
        info = os.fstat(fd)
        signature = signature_of(info)  # of exactly what is read, even if replaced meanwhile
        if stat.S_ISDIR(info.st_mode):
            raise UnusableFile("it is a folder, not a file", signature)
        if not stat.S_ISREG(info.st_mode):
            raise UnusableFile("it is not a regular file", signature)
        data = _read_up_to(fd, limit + 1)
    except OSError as exc:
        raise UnusableFile(f"it cannot be read ({exc.strerror})", file_signature(path)) from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise UnusableFile(f"it is larger than {limit:,} bytes", signature)
    return data, signature


def _read_up_to(fd: int, size: int) -> bytes:
    chunks: list[bytes] = []
    while size > 0:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)
