"""Work the core starts and does not wait for (a key's check, a balance refresh after a chat):
the tasks are kept referenced until they end (the event loop holds only weak references), a
failure is logged, and whatever is still running when the server exits is cancelled."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


class Background:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, work: Coroutine[Any, Any, None], name: str) -> bool:
        """Start `work` on the running loop; False (and `work` closed) without one."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            work.close()
            return False
        task = loop.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._ended)
        return True

    def _ended(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("Background work %s failed (%s)", task.get_name(), type(exc).__name__)

    def cancel_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()
