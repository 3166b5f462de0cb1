"""Cancelling tasks until they are done.

A cancellation can be lost. With aiohttp 3.14 on Python 3.11, a request task cancelled in the same moment
as the request's own timeout fires can come out of the request with a TimeoutError and its cancellation
taken back (seen: the task's ``cancelling()`` is 0 afterwards), and the client retries a timeout. A run's
deadline then waited out those retries: a camera run with a 1 s deadline and 1 s request timeout took 3 s
in about one test run in eight. Cancelling again, until the tasks are done, bounds that wait to a recheck.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from typing import Any

RECHECK_SECONDS = 0.05


async def cancel_until_done(tasks: Collection[asyncio.Task[Any]]) -> None:
    """Cancel ``tasks`` and wait for them, cancelling again any still running after each recheck; their
    exceptions are retrieved (the caller reports the failures it cares about).

    Cancelled itself meanwhile (a run's tasks are cancelled again by the runtime while they cancel their
    own), it still waits for ``tasks`` first, as ``gather`` does, and then raises: nothing is left running
    unawaited."""
    remaining = {task for task in tasks if not task.done()}
    interrupted: asyncio.CancelledError | None = None
    while remaining:
        for task in remaining:
            task.cancel()
        try:
            _, remaining = await asyncio.wait(remaining, timeout=RECHECK_SECONDS)
        except asyncio.CancelledError as cancelled:
            interrupted = cancelled
    for task in tasks:
        if not task.cancelled():
            task.exception()
    if interrupted is not None:
        raise interrupted
