"""Saved conversations: the SQLite store, its migrations, the Markdown export (no pygls)."""
