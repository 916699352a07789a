"""`settings.json` in the state folder: read, checked, moved aside when unusable, written whole.

Whatever is on disk — invalid JSON, a document nested too deeply to parse, bad encoding, a
folder of that name, values that do not validate — never breaks the server: the file is renamed
aside (a unique name per quarantine), the user is told once through `warn`, and the caller gets
None and uses its defaults. A file edited by hand into something invalid while the server runs
is quarantined the same way at its next read or update, never silently overwritten.

Every update is a transaction under the folder's lock: the latest document on disk (another
server process may have written it), the caller's change, one atomic write.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import InvalidInput
from .state_dir import (
    FileSignature,
    UnusableFile,
    file_signature,
    locked,
    move_aside,
    read_state_file,
    write_atomic,
)
from .temp_files import SETTINGS_FILE

# Far above any real settings document; a larger file is not read into memory.
MAX_SETTINGS_BYTES = 1024 * 1024

Document = dict[str, Any]


class SettingsFile:
    """The persisted settings document of one state folder.

    `validate` turns a JSON object read from disk into the full document the caller keeps (or
    raises InvalidInput / ValueError); `warn` tells the user about a file moved aside.
    """

    def __init__(
        self,
        folder: Path,
        warn: Callable[[str], None],
        validate: Callable[[Document], Document],
    ) -> None:
        self._folder = folder
        self.path = folder / SETTINGS_FILE
        self._warn = warn
        self._validate = validate
        self._seen: FileSignature = None
        self._told_unmovable: FileSignature = None

    def read(self) -> Document | None:
        """The validated document on disk; None when there is none (absent, or unusable: then
        it is moved aside and the user told)."""
        try:
            return self._read_checked()
        except UnusableFile:
            # Again under the lock: another process may have replaced or moved it meanwhile.
            with locked(self._folder):
                return self._read_or_quarantine()

    def changed(self) -> bool:
        """Whether another process replaced (or removed) the file since it was last read here."""
        return file_signature(self.path) != self._seen

    def update(self, change: Callable[[Document | None], Document]) -> Document:
        """Under the lock: `change(latest document on disk or None)`, then write what it returns.

        Nothing is written when `change` raises. An unusable file on disk is moved aside (and the
        user told) before `change` sees None, so a hand edit is never lost to the write.
        """
        with locked(self._folder):
            document = change(self._read_or_quarantine())
            write_atomic(self.path, json.dumps(document, indent=2).encode() + b"\n", 0o600)
            self._seen = file_signature(self.path)
        return document

    def _read_or_quarantine(self) -> Document | None:
        try:
            return self._read_checked()
        except UnusableFile as problem:
            self._quarantine(problem)
            return None

    def _read_checked(self) -> Document | None:
        """The validated document, None when absent; UnusableFile (with the reason) otherwise."""
        try:
            raw, self._seen = read_state_file(self.path, MAX_SETTINGS_BYTES)
        except UnusableFile as problem:
            self._seen = problem.signature
            raise
        if raw is None or not raw.strip():
            # Empty is no settings, not a broken file: an editor saving in place truncates the
            # file before it writes, and a read in between must not quarantine the user's save.
            return None
        return self._decode(raw)

    def _decode(self, raw: bytes) -> Document:
        def unusable(reason: str) -> UnusableFile:
            return UnusableFile(reason, self._seen)

        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise unusable("it is not UTF-8 text") from None
        try:
            document = json.loads(text, parse_constant=_reject_constant)
        except RecursionError:
            raise unusable("it is nested too deeply") from None
        except json.JSONDecodeError as exc:
            raise unusable(
                f"it is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
            ) from None
        except ValueError as exc:
            raise unusable(f"it is not valid JSON: {exc}") from None
        if not isinstance(document, dict):
            raise unusable("it does not hold a JSON object")
        try:
            return self._validate(document)
        except InvalidInput as exc:
            raise unusable(f"it has invalid values: {exc.message}") from None
        except (ValueError, TypeError, RecursionError) as exc:
            raise unusable(f"it has invalid values ({type(exc).__name__})") from None

    def _quarantine(self, problem: UnusableFile) -> None:
        reason = str(problem)[:300]
        try:
            aside = move_aside(self.path)
        except OSError as exc:
            if self._seen != self._told_unmovable:  # once per version of the file
                self._told_unmovable = self._seen
                self._warn(
                    f"The settings file {self.path} could not be read ({reason}) and could not "
                    f"be moved aside ({exc.strerror}); default settings are in use."
                )
            return
        self._seen = None
        self._warn(
            f"The settings file {self.path} could not be read ({reason}); it was moved to "
            f"{aside.name} and default settings are in use."
        )


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")
