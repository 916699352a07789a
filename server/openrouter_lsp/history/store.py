"""The conversations of one state folder in SQLite (stdlib `sqlite3`): read, appended, edited.

Every message is kept as the wire converter unstructures its `ChatMessage` (so fields added to
that type are stored and restored without this module knowing them) beside the columns that are
about the answer: model, provider, generation id, usage, cost, reasoning, finish reason.

Two server processes (two editor windows) may share the file: it is in WAL mode (readers never
wait for a writer), each write is one `BEGIN IMMEDIATE` transaction, and a lock held by the other
process is waited for up to the busy timeout, then reported as `HistoryLocked`. A file that is not
a usable database raises `HistoryCorrupt` (the caller moves it aside); a single unreadable row
raises `BadRecord` for its conversation only; a file a newer server migrated raises
`HistoryTooNew` and is left alone. `path=None` keeps everything in memory.

All calls are synchronous and short (one statement or one small transaction); they run on the
event loop's thread, which owns the connection.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import attrs

from .. import wire
from ..protocol import (
    ChatMessage,
    ChatUsage,
    Conversation,
    ConversationSummary,
    ConversationTotals,
    StoredMessage,
)
from .migrations import NewerSchema, migrate

BUSY_TIMEOUT_S = 2.0
TITLE_CHARS = 80  # a title made from the first user message is cut here (with "…")

_CHAT_FIELDS = tuple(wire.to_camel(f.name) for f in attrs.fields(ChatMessage))

_SUMMARY = """
SELECT c.id, c.title, c.created_at, c.updated_at,
       COUNT(m.position),
       (SELECT model FROM messages WHERE conversation_id = c.id AND model IS NOT NULL
        ORDER BY position DESC LIMIT 1),
       COALESCE(SUM(m.prompt_tokens), 0), COALESCE(SUM(m.completion_tokens), 0),
       COALESCE(SUM(m.cost_usd), 0.0)
FROM conversations c LEFT JOIN messages m ON m.conversation_id = c.id
"""


class HistoryError(Exception):
    """The history cannot serve this call; the message ends a sentence about the file."""


class HistoryLocked(HistoryError):
    pass


class HistoryCorrupt(HistoryError):
    pass


class HistoryTooNew(HistoryError):
    """Written by a newer server: left exactly as it is (never moved aside or migrated)."""


class BadRecord(HistoryError):
    """One stored message cannot be read back; the other conversations are unaffected."""


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def message_text(message: dict[str, Any]) -> str:
    """The text of an unstructured message: its string content, or its text parts joined."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            part["text"] for part in content
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        )
    return ""


def title_from(text: str) -> str:
    words = " ".join(text.split())
    return words if len(words) <= TITLE_CHARS else words[: TITLE_CHARS - 1].rstrip() + "…"


@contextlib.contextmanager
def _classified() -> Iterator[None]:
    """sqlite3's errors as the history's: locked, or a file that is not a usable database."""
    try:
        yield
    except NewerSchema as exc:
        raise HistoryTooNew(f"{exc}: update this server") from None
    except sqlite3.OperationalError as exc:
        text = str(exc).lower()
        if "locked" in text or "busy" in text:
            raise HistoryLocked(
                f"it stayed locked by another process for {BUSY_TIMEOUT_S:g} s"
            ) from None
        if "disk i/o" in text or "unable to open" in text or "readonly" in text:
            raise HistoryLocked(f"it cannot be used ({exc})") from None
        raise HistoryCorrupt(f"it is not a usable database ({exc})") from None
    except sqlite3.DatabaseError as exc:  # "file is not a database", "malformed"
        raise HistoryCorrupt(f"it is not a usable database ({exc})") from None


class ConversationStore:
    def __init__(self, path: Path | None, busy_timeout_s: float = BUSY_TIMEOUT_S) -> None:
        """Open (creating it, mode 0600) and migrate; HistoryCorrupt / HistoryLocked."""
        self.path = path
        if path is not None and not path.exists():
            # Private conversations: the file is the user's alone from its first byte.
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        target = ":memory:" if path is None else str(path)
        with _classified():
            self._db = sqlite3.connect(target, timeout=busy_timeout_s, isolation_level=None)
            try:
                self._db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
                self._db.execute("PRAGMA foreign_keys = ON")
                migrate(self._db)
                if path is not None:  # after the version check: a newer server's file is kept
                    self._db.execute("PRAGMA journal_mode = WAL")
            except BaseException:
                self._db.close()
                raise

    def close(self) -> None:
        self._db.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with _classified():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # --- reading ---

    def summaries(self) -> list[ConversationSummary]:
        """Every conversation, most recently updated first."""
        with _classified():
            rows = self._db.execute(
                _SUMMARY + " GROUP BY c.id ORDER BY c.updated_at DESC, c.rowid DESC"
            ).fetchall()
        return [_summary(row) for row in rows]

    def summary(self, conversation_id: str) -> ConversationSummary | None:
        with _classified():
            row = self._db.execute(
                _SUMMARY + " WHERE c.id = ? GROUP BY c.id", (conversation_id,)
            ).fetchone()
        return None if row is None else _summary(row)

    def conversation(self, conversation_id: str) -> Conversation | None:
        with _classified():
            summary = self.summary(conversation_id)
            if summary is None:
                return None
            rows = self._db.execute(
                "SELECT position, message, created_at, model, provider, generation_id, usage,"
                " reasoning, finish_reason FROM messages WHERE conversation_id = ?"
                " ORDER BY position",
                (conversation_id,),
            ).fetchall()
        messages = [_stored(conversation_id, row) for row in rows]
        return Conversation(**attrs.asdict(summary, recurse=False), messages=messages)

    def history(self, conversation_id: str) -> list[ChatMessage]:
        """The stored messages as they are sent upstream again; [] for a new conversation."""
        with _classified():
            rows = self._db.execute(
                "SELECT position, message FROM messages WHERE conversation_id = ?"
                " ORDER BY position",
                (conversation_id,),
            ).fetchall()
        return [_chat_message(conversation_id, position, text) for position, text in rows]

    # --- writing ---

    def append(self, conversation_id: str, messages: list[StoredMessage]) -> None:
        """Add `messages` at the end, creating the conversation when it is new; the title comes
        from the first user message until one is set."""
        now = now_iso()
        with self._write() as db:
            row = db.execute(
                "SELECT title FROM conversations WHERE id = ?", (conversation_id,)
            ).fetchone()
            if row is None:
                db.execute(
                    "INSERT INTO conversations (id, title, created_at, updated_at)"
                    " VALUES (?, '', ?, ?)",
                    (conversation_id, now, now),
                )
            title = "" if row is None else row[0]
            (position,) = db.execute(
                "SELECT COALESCE(MAX(position) + 1, 0) FROM messages WHERE conversation_id = ?",
                (conversation_id,),
            ).fetchone()
            for offset, message in enumerate(messages):
                chat, meta = _split(message)
                if not title and chat.get("role") == "user":
                    title = title_from(message_text(chat))
                db.execute(
                    "INSERT INTO messages (conversation_id, position, message, created_at, model,"
                    " provider, generation_id, usage, prompt_tokens, completion_tokens, cost_usd,"
                    " reasoning, finish_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        conversation_id, position + offset, json.dumps(chat, allow_nan=False),
                        message.created_at or now, message.model, message.provider,
                        message.generation_id, meta, *_usage_columns(message.usage),
                        message.reasoning, message.finish_reason,
                    ),
                )
            db.execute(
                "UPDATE conversations SET title = ?, updated_at = ? WHERE id = ?",
                (title, now, conversation_id),
            )

    def set_usage(
        self,
        conversation_id: str,
        generation_id: str,
        usage: ChatUsage,
        model: str | None = None,
        provider: str | None = None,
    ) -> bool:
        """Record what the answer `generation_id` used and cost, learnt after it was stored (a
        stopped answer's, from `/generation`); a model or provider already stored stays. The
        totals are sums over the messages, so they follow. False when no such message is kept
        (truncated or deleted meanwhile)."""
        with self._write() as db:
            changed = db.execute(
                "UPDATE messages SET usage = ?, prompt_tokens = ?, completion_tokens = ?,"
                " cost_usd = ?, model = COALESCE(model, ?), provider = COALESCE(provider, ?)"
                " WHERE conversation_id = ? AND generation_id = ?",
                (
                    json.dumps(wire.unstructure(usage)), *_usage_columns(usage), model, provider,
                    conversation_id, generation_id,
                ),
            ).rowcount
        return changed > 0

    def rename(self, conversation_id: str, title: str) -> bool:
        with self._write() as db:
            changed = db.execute(
                "UPDATE conversations SET title = ?, updated_at = ? WHERE id = ?",
                (title, now_iso(), conversation_id),
            ).rowcount
        return changed > 0

    def delete(self, conversation_id: str) -> bool:
        with self._write() as db:
            db.execute("DELETE FROM messages WHERE conversation_id = ?", (conversation_id,))
            deleted = db.execute(
                "DELETE FROM conversations WHERE id = ?", (conversation_id,)
            ).rowcount
        return deleted > 0

    def truncate(self, conversation_id: str, keep_messages: int) -> bool:
        """Keep the first `keep_messages` messages; False when there is no such conversation."""
        with self._write() as db:
            exists = db.execute(
                "SELECT 1 FROM conversations WHERE id = ?", (conversation_id,)
            ).fetchone()
            if exists is None:
                return False
            db.execute(
                "DELETE FROM messages WHERE conversation_id = ? AND position >= ?",
                (conversation_id, keep_messages),
            )
            db.execute(
                "UPDATE conversations SET updated_at = ? WHERE id = ?", (now_iso(), conversation_id)
            )
        return True


def _split(message: StoredMessage) -> tuple[dict[str, Any], str | None]:
    """The ChatMessage part of `message` as wire JSON, and its usage as JSON text."""
    whole = wire.unstructure(message)
    chat = {key: whole[key] for key in _CHAT_FIELDS if key in whole}
    usage = None if message.usage is None else json.dumps(wire.unstructure(message.usage))
    return chat, usage


def _usage_columns(usage: ChatUsage | None) -> tuple[int | None, int | None, float | None]:
    if usage is None:
        return None, None, None
    return usage.prompt_tokens, usage.completion_tokens, usage.cost_usd


def _summary(row: tuple[Any, ...]) -> ConversationSummary:
    conversation_id, title, created, updated, count, model, prompt, completion, cost = row
    return ConversationSummary(
        id=conversation_id,
        title=title,
        created_at=created,
        updated_at=updated,
        message_count=count,
        model=model,
        totals=ConversationTotals(
            prompt_tokens=int(prompt), completion_tokens=int(completion), cost_usd=float(cost)
        ),
    )


def _chat_message(conversation_id: str, position: int, text: str) -> ChatMessage:
    try:
        return wire.structure(json.loads(text), ChatMessage)
    except Exception:
        raise BadRecord(
            f"message {position} of conversation {conversation_id!r} cannot be read back"
        ) from None


def _stored(conversation_id: str, row: tuple[Any, ...]) -> StoredMessage:
    position, text, created, model, provider, generation_id, usage, reasoning, finish = row
    chat = _chat_message(conversation_id, position, text)
    try:
        usage_value = None if usage is None else wire.structure(json.loads(usage), ChatUsage)
    except Exception:
        usage_value = None  # the message itself is intact: keep it without its usage
    return StoredMessage(
        **attrs.asdict(chat, recurse=False),
        created_at=created,
        model=model,
        provider=provider,
        generation_id=generation_id,
        usage=usage_value,
        reasoning=reasoning,
        finish_reason=finish,
    )
