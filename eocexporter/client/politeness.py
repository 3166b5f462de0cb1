"""Per-server limits on the exporter's requests: concurrency, rate, and back-off when a server slows down.

A target is one installation, but its servers are separate machines: one of them being slow or small must
neither be hammered by the target's whole concurrency nor slow down the polling of the others. So every
server (every base URL) gets its own :class:`ServerGate`. A request takes, in this order, a concurrency
slot, then a rate token; only then does the client take the target-wide slot, so a request that waits for
its own server never holds a slot another server's request could use.

Where requests wait, the request of the run due first goes first (:data:`REQUEST_DUE`: earliest deadline
first): the camera cycle, due within 15 s, is not held up by an hourly scan of every camera's archive days
that happens to run at the same time (nor, at a start, by every collector's first run at once); the scan
takes the gaps between camera cycles. As its own deadline nears, its requests come before those of camera
runs due after it. (Where the camera runs leave no gaps at all, a run stopped by its deadline lets its next
tick pass: eocexporter.exporter.)

The adaptive limit is additive-increase / multiplicative-decrease on latency, as TCP Vegas and Netflix's
concurrency-limits do it: a server whose answers take much longer than usual is queueing our requests, and
sending fewer at once is the only thing the exporter can do for it.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from eocexporter.options import PolitenessConfig

# Outcomes (status codes, or the client's names for failures without one) that say "too much".
OVERLOAD_SIGNS = frozenset({"429", "503", "timeout", "connection_error"})

# A window of completions must hold at least this many: a mean of two or three latencies is noise.
MIN_WINDOW = 10
# Windows remembered for the baseline: long enough to remember a good period through a bad minute,
# short enough that a server that became slower for good sets a new baseline (at 10,000 cameras every
# 15 s, 50 windows of 10 are under a second of requests; at 20 cameras, a few minutes).
BASELINE_WINDOWS = 50
# When the collector run that makes a request is due (time.monotonic() of its deadline), set by the
# runtime around each run (tasks inherit it): the waiting request with the smallest value gets the next
# slot. Requests made outside a collector's run (the Parquet sink's report reads) wait behind every run's.
REQUEST_DUE: ContextVar[float] = ContextVar("eocexporter_request_due", default=math.inf)


@contextmanager
def requests_due(at: float) -> Iterator[None]:
    """Within it, requests (and the tasks created) wait as those of a run due at ``at`` (monotonic)."""
    token = REQUEST_DUE.set(at)
    try:
        yield
    finally:
        REQUEST_DUE.reset(token)


# Within this of a whole token counts as one: the loop may run a timer a hair before it is due.
_TOKEN_SLACK = 1e-6


class LatencyController:
    """The AIMD limit of one server, fed with the latency of each completed request.

    Completions are judged in windows of ``max(MIN_WINDOW, limit)``. A window is slow when its mean
    latency is above ``max(2 x baseline, slow_after)``, the baseline being the lowest window mean of the
    last ``BASELINE_WINDOWS`` windows; a slow window, or one that saw an overload sign, halves the limit
    (floor 1), any other raises it by one up to ``ceiling``. ``slow_after`` keeps a LAN's millisecond
    jitter from ever counting as load.

    After a decrease, requests sent under the old limit are not counted (their ``epoch`` is stale): they
    queued behind the overload that has just been answered, and would halve the limit a second time for it.
    """

    def __init__(self, ceiling: int, slow_after: float) -> None:
        self.ceiling = ceiling
        self.slow_after = slow_after
        self.limit = ceiling
        self.epoch = 0
        self._means: deque[float] = deque(maxlen=BASELINE_WINDOWS)
        self._count = 0
        self._sum = 0.0
        self._overloaded = False

    def observe(self, epoch: int, seconds: float, overloaded: bool) -> None:
        if epoch != self.epoch:
            return
        self._count += 1
        self._sum += seconds
        self._overloaded = self._overloaded or overloaded
        if self._count < max(MIN_WINDOW, self.limit):
            return
        mean = self._sum / self._count
        self._means.append(mean)
        slow = mean > max(2 * min(self._means), self.slow_after)
        if slow or self._overloaded:
            self.limit = max(1, self.limit // 2)
            self.epoch += 1
        else:
            self.limit = min(self.ceiling, self.limit + 1)
        self._count, self._sum, self._overloaded = 0, 0.0, False


class Slots:
    """A semaphore whose size can change while requests wait; waiters are served by priority (the smaller
    first: the time their run is due, :data:`REQUEST_DUE`), first come first served within one."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_flight = 0
        # (priority, arrival, waiter); a cancelled waiter stays until it reaches the top, and is dropped.
        self._waiters: list[tuple[float, int, asyncio.Future[None]]] = []
        self._arrivals = itertools.count()

    def try_acquire(self) -> bool:
        while self._waiters and self._waiters[0][2].done():
            heapq.heappop(self._waiters)
        if self.in_flight < self.limit and not self._waiters:
            self.in_flight += 1
            return True
        return False

    async def acquire(self, priority: float = math.inf) -> None:
        if self.try_acquire():
            return
        waiter = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (priority, next(self._arrivals), waiter))
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed a slot in the same tick as the cancellation: pass it on
            raise

    def release(self) -> None:
        self.in_flight -= 1
        self._wake()

    def resize(self, limit: int) -> None:
        # A smaller limit takes no slot back: requests in flight finish, and fewer start after them.
        self.limit = limit
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self.in_flight < self.limit:
            waiter = heapq.heappop(self._waiters)[2]
            if not waiter.done():
                self.in_flight += 1  # on the waiter's behalf, so no newcomer takes it first
                waiter.set_result(None)


class _TokenBucket:
    """``rate`` tokens a second, up to ``burst`` saved; waiters are served in order by one timer, so a
    cancelled waiter simply drops out and costs no token."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.burst = max(1.0, rate / 10)
        self._loop = asyncio.get_running_loop()
        self._tokens = self.burst
        self._stamp = self._loop.time()
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._timer: asyncio.TimerHandle | None = None

    def try_take(self) -> bool:
        if self._waiters:
            return False
        self._refill()
        if self._tokens >= 1 - _TOKEN_SLACK:
            self._tokens -= 1
            return True
        return False

    async def take(self) -> None:
        waiter = self._loop.create_future()
        self._waiters.append(waiter)
        self._schedule()
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._tokens += 1  # given a token it will not use
                self._serve()
            elif waiter in self._waiters:
                self._waiters.remove(waiter)
            raise

    def _refill(self) -> None:
        now = self._loop.time()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def _schedule(self) -> None:
        if self._timer is None and self._waiters:
            self._refill()
            # Wake when the waiters present can all go (up to a burst), not once per token: at 1,000
            # requests a second a timer per token cost more CPU than the requests' own bookkeeping.
            wanted = min(float(len(self._waiters)), self.burst)
            delay = max(0.0, (wanted - self._tokens) / self.rate)
            self._timer = self._loop.call_later(delay, self._serve)

    def _serve(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._refill()
        while self._waiters and self._tokens >= 1 - _TOKEN_SLACK:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self._tokens -= 1
                waiter.set_result(None)
        while self._waiters and self._waiters[0].done():
            self._waiters.popleft()
        self._schedule()


class ServerGate:
    """What a request to one server passes before it is sent, and reports to when it is answered."""

    def __init__(self, config: PolitenessConfig) -> None:
        self._slots = Slots(config.server_concurrency)
        self._bucket = (
            _TokenBucket(config.server_requests_per_second) if config.server_requests_per_second else None
        )
        self._controller = (
            LatencyController(config.server_concurrency, config.slow_after) if config.adaptive else None
        )
        self.throttled_seconds = 0.0

    @property
    def limit(self) -> int:
        return self._slots.limit

    @property
    def in_flight(self) -> int:
        return self._slots.in_flight

    async def enter(self, priority: float = math.inf) -> int:
        """Wait for a slot (by ``priority``, as :class:`Slots` serves them) and a token; returns the ticket
        to hand to :meth:`leave`."""
        has_slot = self._slots.try_acquire()
        if has_slot and (self._bucket is None or self._bucket.try_take()):
            return self._epoch()
        waiting_since = time.perf_counter()
        try:
            if not has_slot:
                await self._slots.acquire(priority)
            try:
                if self._bucket is not None and not self._bucket.try_take():
                    await self._bucket.take()
            except BaseException:
                self._slots.release()
                raise
        finally:
            self.throttled_seconds += time.perf_counter() - waiting_since
        return self._epoch()

    def leave(self, ticket: int, outcome: str | None, seconds: float) -> None:
        """Give the slot back. ``outcome`` is the status code or failure kind, None when the request was
        abandoned (cancelled): its time says nothing about the server."""
        self._slots.release()
        if self._controller is not None and outcome is not None:
            self._controller.observe(ticket, seconds, outcome in OVERLOAD_SIGNS)
            if self._controller.limit != self._slots.limit:
                self._slots.resize(self._controller.limit)

    def _epoch(self) -> int:
        return self._controller.epoch if self._controller is not None else 0


class ServerGates:
    """The gates of one target's servers, by base URL, made on a server's first request."""

    def __init__(self, config: PolitenessConfig) -> None:
        self.config = config
        self._gates: dict[str, ServerGate] = {}

    def gate(self, base_url: str) -> ServerGate:
        gate = self._gates.get(base_url)
        if gate is None:
            gate = self._gates[base_url] = ServerGate(self.config)
        return gate

    def limits(self) -> dict[str, int]:
        return {url: gate.limit for url, gate in self._gates.items()}

    def throttled_seconds(self) -> dict[str, float]:
        return {url: gate.throttled_seconds for url, gate in self._gates.items()}
