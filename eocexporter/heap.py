"""Keeping full garbage collections off the scrape path.

At 10,000 cameras the exporter holds ~140,000 long-lived container objects (cameras, statuses, zones,
bindings, archive days) that CPython's cycle collector traverses on every full (generation 2) collection.
It starts one whenever the objects that survived into the oldest generation since the last one reach a
quarter of it, and a camera cycle replaces ~10,000 statuses and ~7,000 zones: about one a cycle.
Measured on the benchmark machine (2 vCPU, defaults, 10,000 cameras): 100-140 ms each, the GIL held
throughout, three a minute, every one a stall of every scrape and request in flight. And in the steady
state they find nothing to collect (0 objects in 60 s): the collected data is acyclic, and reference
counting frees it when a new cycle replaces it.

So the running exporter freezes its heap after each publish (``gc.freeze``, constant time: everything
tracked so far moves to a permanent generation that collections skip); collections then traverse only
what was allocated since, 10-20 ms for a full one in the same measurement. Frozen objects are still freed
by reference counting the moment they are replaced; only a reference cycle among them waits, for the full
collection of everything that runs every ``full_every`` seconds (hourly by default): one such pause an
hour instead of three a minute.

This is the ``run`` command's process policy, like its GIL switch interval; the library and the tests,
which build many exporters in one process, collect as Python does by default.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

FULL_COLLECTION_SECONDS = 3600.0


class HeapFreezer:
    """Call :meth:`after_publish` after each published render."""

    def __init__(
        self, full_every: float = FULL_COLLECTION_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._full_every = full_every
        self._clock = clock
        self._last_full = clock()
        self.full_collections = 0

    def after_publish(self) -> None:
        now = self._clock()
        if now - self._last_full >= self._full_every:
            # Cycles among frozen objects are only found once they are back in the collected generations.
            gc.unfreeze()
            gc.collect()
            self._last_full = now
            self.full_collections += 1
        gc.freeze()
