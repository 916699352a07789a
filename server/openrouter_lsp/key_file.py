"""The API key file in the state folder (mode 0600): the fallback when no OS keyring works.

Whatever is on disk never breaks the server: a folder of that name, bytes that are not ASCII, or
text that is not a usable key is renamed aside, the user is told once (never the content), and
there is no key from the file. Every write and removal holds the folder's lock, so the temp files
of writes killed half-way are removed at the next write, clear or start-up (`temp_files`), and a
clear leaves no copy of any key in the folder.
"""

from __future__ import annotations

import contextlib
import stat
from collections.abc import Callable
from pathlib import Path

from .errors import InvalidInput
from .state_dir import (
    FileSignature,
    UnusableFile,
    file_signature,
    locked,
    move_aside,
    read_state_file,
    signature_of,
    write_atomic,
)
from .temp_files import KEY_FILE, remove, temp_files_of

# Far above any key (protocol.MAX_API_KEY_LENGTH); a larger file is not read into memory.
MAX_KEY_FILE_BYTES = 64 * 1024


class KeyFile:
    """`check` returns the key cleaned, or raises InvalidInput with a message that does not
    echo the key (`secrets.clean_key`)."""

    def __init__(self, folder: Path, warn: Callable[[str], None], check: Callable[[str], str]):
        self._folder = folder
        self.path = folder / KEY_FILE
        self._warn = warn
        self._check = check
        self._seen: FileSignature = file_signature(self.path)

    def changed(self) -> bool:
        """Whether another process replaced or removed the file since it was last seen here."""
        return file_signature(self.path) != self._seen

    def read(self) -> str | None:
        """The key in the file; None when absent, empty or unusable (then moved aside, the user
        told)."""
        try:
            return self._read_checked()
        except UnusableFile:
            with locked(self._folder):  # again: another process may have replaced it meanwhile
                try:
                    return self._read_checked()
                except UnusableFile as problem:
                    self._quarantine(problem)
                    return None

    def write(self, key: str) -> None:
        with locked(self._folder):
            self._clear_the_way()
            write_atomic(self.path, key.encode("ascii"), 0o600)
            self._seen = file_signature(self.path)
            self._remove_temp_files()

    def remove(self) -> None:
        """No key file (the key now lives elsewhere, e.g. in the keyring)."""
        with locked(self._folder):
            self._clear_the_way()
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
            self._seen = None
            self._remove_temp_files()

    def erase_all_copies(self) -> None:
        """The key file, the temp files of interrupted writes and the files moved aside: after
        `apiKey/clear` no copy of any key stays in the folder."""
        with locked(self._folder):
            self.remove()
            for aside in self._folder.glob(f"{KEY_FILE}.corrupt-*"):
                if aside.is_file() and not aside.is_symlink():
                    remove(aside)

    def _remove_temp_files(self) -> None:
        # Under the lock no live writer has one open: each is a dead writer's copy of a key.
        for temp in temp_files_of(self.path):
            remove(temp)

    def _clear_the_way(self) -> None:
        """Move aside whatever stands where the file goes and is not a file (a folder)."""
        try:
            info = self.path.lstat()
        except FileNotFoundError:
            return
        if stat.S_ISDIR(info.st_mode):
            self._quarantine(UnusableFile("it is a folder, not a file", signature_of(info)))

    def _read_checked(self) -> str | None:
        try:
            raw, self._seen = read_state_file(self.path, MAX_KEY_FILE_BYTES)
        except UnusableFile as problem:
            self._seen = problem.signature
            raise
        if raw is None:
            return None
        try:
            text = raw.decode("ascii").strip()
        except UnicodeDecodeError:
            raise UnusableFile("it is not ASCII text", self._seen) from None
        if not text:
            return None
        try:
            return self._check(text)
        except InvalidInput as exc:
            reason = f"it does not hold a usable key: {exc.errors[0].message}"
            raise UnusableFile(reason, self._seen) from None

    def _quarantine(self, problem: UnusableFile) -> None:
        try:
            aside = move_aside(self.path)
        except OSError as exc:
            self._warn(
                f"The API key file {self.path} could not be read ({problem}) and could not be "
                f"moved aside ({exc.strerror}); no key is read from it."
            )
            return
        self._seen = None
        self._warn(
            f"The API key file {self.path} could not be read ({problem}); it was moved to "
            f"{aside.name}. Set the key again."
        )
