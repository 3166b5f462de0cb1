"""Counts of requests, their durations and parse errors, kept as plain numbers per target.

The exporter renders its exposition from snapshots, so these are not prometheus-client objects:
:meth:`ApiStatsRecorder.snapshot` copies them into an immutable :class:`~eocexporter.snapshot.ApiStats`.
"""

from __future__ import annotations

import bisect
from collections import Counter

from eocexporter.snapshot import ApiStats, HistogramData

# Seconds. Eocortex answers a status request in milliseconds on a LAN; a report over days may take seconds.
DURATION_BUCKETS: tuple[float, ...] = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class _Histogram:
    __slots__ = ("count", "counts", "sum")

    def __init__(self) -> None:
        self.counts = [0] * len(DURATION_BUCKETS)
        self.count = 0
        self.sum = 0.0

    def observe(self, seconds: float) -> None:
        index = bisect.bisect_left(DURATION_BUCKETS, seconds)
        if index < len(self.counts):
            self.counts[index] += 1
        self.count += 1
        self.sum += seconds

    def freeze(self) -> HistogramData:
        cumulative, running = [], 0
        for count in self.counts:
            running += count
            cumulative.append(running)
        return HistogramData(DURATION_BUCKETS, tuple(cumulative), self.count, self.sum)


class ApiStatsRecorder:
    def __init__(self) -> None:
        self._requests: Counter[tuple[str, str]] = Counter()
        self._durations: dict[str, _Histogram] = {}
        self._parse_errors: Counter[str] = Counter()
        self._unknown_values: Counter[tuple[str, str]] = Counter()
        self._parse_seconds: Counter[str] = Counter()

    def request(self, endpoint: str, code: str, seconds: float) -> None:
        self._requests[(endpoint, code)] += 1
        histogram = self._durations.get(endpoint)
        if histogram is None:
            histogram = self._durations[endpoint] = _Histogram()
        histogram.observe(seconds)

    def parse_error(self, endpoint: str) -> None:
        self._parse_errors[endpoint] += 1

    def parse_seconds(self, endpoint: str, cpu_seconds: float) -> None:
        """CPU time spent decoding and reading an answer of the endpoint (JSON and the parser)."""
        self._parse_seconds[endpoint] += cpu_seconds

    def unknown_value(self, endpoint: str, field: str) -> None:
        self._unknown_values[(endpoint, field)] += 1

    def snapshot(self) -> ApiStats:
        return ApiStats(
            requests=dict(self._requests),
            durations={endpoint: hist.freeze() for endpoint, hist in self._durations.items()},
            parse_errors=dict(self._parse_errors),
            unknown_values=dict(self._unknown_values),
            parse_seconds=dict(self._parse_seconds),
        )
