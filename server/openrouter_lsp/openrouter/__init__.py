"""The HTTP side: everything that talks to OpenRouter (or an OpenAI-compatible server)."""

import sys

# httpx's own `__init__` imports its command line (`httpx._main`: click and pygments when they
# are installed, ~2 MB resident, 18 modules) and falls back to a stub when that import fails.
# The server never runs httpx's command line: a `None` entry makes that import fail at once.
# Set here, before any module of this package imports httpx (they all import it lazily).
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]  # None: "not importable"
