"""The conversation database's schema, one migration per version, applied in order at open.

`schema_version` holds one row: the version the file is at. A migration runs in the same
transaction as the version bump (`BEGIN IMMEDIATE`, so two servers opening the same new file do
not both migrate it), and a file from a newer server is refused rather than written by code that
does not know its schema.
"""

from __future__ import annotations

import sqlite3

# Each entry takes the schema from version i to i + 1. Never edit a released entry: add one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE messages (
        conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        message TEXT NOT NULL,          -- the ChatMessage as the wire converter unstructures it
        created_at TEXT NOT NULL,
        model TEXT,
        provider TEXT,
        generation_id TEXT,
        usage TEXT,                     -- ChatUsage as JSON, or NULL
        prompt_tokens INTEGER,
        completion_tokens INTEGER,
        cost_usd REAL,
        reasoning TEXT,
        finish_reason TEXT,
        PRIMARY KEY (conversation_id, position)
    );
    CREATE INDEX conversations_by_update ON conversations(updated_at DESC);
    """,
)

LATEST_VERSION = len(MIGRATIONS)


class NewerSchema(Exception):
    """The file was written by a newer server; this one leaves it alone."""


def migrate(connection: sqlite3.Connection) -> None:
    """Bring the database to `LATEST_VERSION` (creating it when empty)."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        connection.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = connection.execute("SELECT version FROM schema_version").fetchone()
        version = 0 if row is None else int(row[0])
        if version > LATEST_VERSION:
            raise NewerSchema(
                f"it has schema version {version}; this server knows up to {LATEST_VERSION}"
            )
        for script in MIGRATIONS[version:]:
            for statement in _statements(script):
                connection.execute(statement)
        if row is None:
            connection.execute("INSERT INTO schema_version VALUES (?)", (LATEST_VERSION,))
        elif version != LATEST_VERSION:
            connection.execute("UPDATE schema_version SET version = ?", (LATEST_VERSION,))
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise


def _statements(script: str) -> list[str]:
    """`executescript` would commit the open transaction: run the statements one by one."""
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
