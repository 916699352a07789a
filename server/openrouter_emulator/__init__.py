"""A local emulator of the OpenRouter HTTP API (starlette + uvicorn), for tests and demos.

Only tests, the demo and benchmarks import this package: the language server never does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["EmulatorHandle", "run_in_thread"]

if TYPE_CHECKING:
    from .server import EmulatorHandle, run_in_thread


def __getattr__(name: str) -> Any:
    # Lazy, so `python -m openrouter_emulator --help` stays quick.
    if name in __all__:
        from . import server

        return getattr(server, name)
    raise AttributeError(name)
