"""The temp files of atomic writes: how they are named, and removing those a dead writer left.

A write is `.<name>.<pid>.<random>.tmp` beside `<name>`, renamed over it once complete. A process
killed mid-write leaves that file forever (for the key file, a complete copy of a key), so the
state folder is swept when a server first opens it and whenever the key is cleared.

Another live server may share the folder and be mid-write, so a temp file is removed only when
its writer cannot still be writing it:
- the files written only while holding the folder's lock (settings, key): every temp file of
  theirs is stale once the sweeper holds that lock;
- any other (the model cache, saved answers): its writer's process is gone, or the file is older
  than `STALE_AFTER_S`, far longer than any write takes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from pathlib import Path

log = logging.getLogger(__name__)

SETTINGS_FILE = "settings.json"
KEY_FILE = "api-key"
# Written only under the folder's lock (see `state_dir.locked`).
LOCK_GUARDED_FILES = frozenset({SETTINGS_FILE, KEY_FILE})
STALE_AFTER_S = 15 * 60.0

_TEMP_NAME = re.compile(r"^\.(?P<target>.+)\.(?P<pid>\d+)\.[0-9a-f]{12}\.tmp$")

Locker = Callable[[Path], AbstractContextManager[None]]


def temp_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(6).hex()}.tmp")


def temp_files_of(path: Path) -> list[Path]:
    """The temp files of writes of `path` (finished or not) that are still in its folder."""
    return [p for p in _temp_files_in(path.parent) if _target(p) == path.name]


def sweep(folder: Path, locked: Locker) -> list[Path]:
    """Remove the stale temp files in `folder` and its subfolders; returns those removed.

    The lock (and its import) is taken only when there is something to look at.
    """
    candidates = list(_temp_files_in(folder))
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if entry.is_dir(follow_symlinks=False):
                candidates.extend(_temp_files_in(Path(entry.path)))
    if not candidates:
        return []
    removed: list[Path] = []
    with locked(folder):
        for path in candidates:
            guarded = path.parent == folder and _target(path) in LOCK_GUARDED_FILES
            if (guarded or _abandoned(path)) and remove(path):
                removed.append(path)
    if removed:
        log.info("Removed %d temp file(s) left by interrupted writes", len(removed))
    return removed


def remove(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError as exc:
        log.warning("Could not remove the temp file %s (%s)", path, exc.strerror)
        return False
    return True


def _temp_files_in(folder: Path) -> Iterable[Path]:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    return [
        Path(entry.path)
        for entry in entries
        if _TEMP_NAME.match(entry.name) and not entry.is_dir(follow_symlinks=False)
    ]


def _target(path: Path) -> str | None:
    match = _TEMP_NAME.match(path.name)
    return match["target"] if match else None


def _abandoned(path: Path) -> bool:
    match = _TEMP_NAME.match(path.name)
    if match is None:
        return False
    try:
        age = time.time() - path.stat().st_mtime
    except OSError:
        return False
    return age > STALE_AFTER_S or not _process_alive(int(match["pid"]))


def _process_alive(pid: int) -> bool:
    """Whether `pid` may still be writing. Unknown counts as alive: the age rule then applies."""
    if pid == os.getpid():
        return True
    if sys.platform == "win32":
        return True  # os.kill(pid, 0) would terminate the process on Windows
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True
    return True
