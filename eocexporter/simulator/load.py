"""What the exporter's requests cost each simulated server: requests in flight, their peak, arrivals.

A test of politeness asks the server's side of the story (how many requests it was working on at once,
how many arrived in a second), never the client's own account of what it sent.
"""

from __future__ import annotations

import time
from collections import Counter, deque

# Arrival times kept per server: enough for the seconds a test looks at, bounded for a long run.
ARRIVALS_KEPT = 100_000


class LoadMeter:
    def __init__(self) -> None:
        self._in_flight: Counter[str] = Counter()
        self._peak: Counter[str] = Counter()
        self._count: Counter[str] = Counter()
        self._arrivals: dict[str, deque[float]] = {}
        self._all_in_flight = 0
        self._all_peak = 0  # of the installation as a whole: servers limited one by one add up

    def arrived(self, server_id: str) -> None:
        self._in_flight[server_id] += 1
        self._count[server_id] += 1
        self._peak[server_id] = max(self._peak[server_id], self._in_flight[server_id])
        self._all_in_flight += 1
        self._all_peak = max(self._all_peak, self._all_in_flight)
        self._arrivals.setdefault(server_id, deque(maxlen=ARRIVALS_KEPT)).append(time.monotonic())

    def left(self, server_id: str) -> None:
        self._in_flight[server_id] -= 1
        self._all_in_flight -= 1

    def in_flight(self, server_id: str) -> int:
        return self._in_flight[server_id]

    def peak_in_flight(self, server_id: str | None = None) -> int:
        """The most requests the server (None: all servers together) worked on at once since the start or
        the last reset."""
        return self._all_peak if server_id is None else self._peak[server_id]

    def request_count(self, server_id: str) -> int:
        return self._count[server_id]

    def arrivals(self, server_id: str) -> list[float]:
        """``time.monotonic()`` of each request's arrival, oldest first (the last ARRIVALS_KEPT)."""
        return list(self._arrivals.get(server_id, ()))

    def reset(self) -> None:
        """Forget the peaks, counts and arrivals; requests still in flight stay counted (and are the new
        peak), so a peak read after a reset never misses one of them."""
        self._peak = Counter({server_id: n for server_id, n in self._in_flight.items() if n})
        self._all_peak = self._all_in_flight
        self._count.clear()
        self._arrivals.clear()

    def state(self) -> dict[str, dict[str, int]]:
        return {
            server_id: {
                "in_flight": self._in_flight[server_id],
                "peak_in_flight": self._peak[server_id],
                "requests": self._count[server_id],
            }
            for server_id in sorted(self._count.keys() | self._in_flight.keys())
        }
