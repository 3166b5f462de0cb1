"""One request for a document several collector runs need at about the same time.

The ``configure/channels`` list is one request per installation, but two collectors read it (the camera
bindings, and the archiving settings where the list carries them) and the archiving collector runs once
per server. Each asks :class:`SharedDocuments` for it with the time its run began: a fetch started since
then (in flight or done) is shared, an older one is not, so a run of every server costs one request and
each new run sees the document as it is now.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any


class SharedDocuments:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._fetches: dict[str, tuple[float, asyncio.Future[Any]]] = {}

    async def get(self, key: str, since: float, fetch: Callable[[], Awaitable[Any]]) -> Any:
        """The document of a fetch started at or after ``since`` (a ``clock`` reading), or a new fetch."""
        kept = self._fetches.get(key)
        if kept is None or kept[0] < since:
            future: asyncio.Future[Any] = asyncio.ensure_future(fetch())
            # A failure is shared with the callers already waiting (they would only repeat it), but not
            # kept: the next caller asks again.
            future.add_done_callback(lambda done, key=key: self._drop_failed(key, done))
            kept = (self._clock(), future)
            self._fetches[key] = kept
        # shield: one caller cancelled by its deadline must not cancel the fetch the others wait for.
        return await asyncio.shield(kept[1])

    def _drop_failed(self, key: str, done: asyncio.Future[Any]) -> None:
        if done.cancelled() or done.exception() is not None:
            current = self._fetches.get(key)
            if current is not None and current[1] is done:
                del self._fetches[key]
