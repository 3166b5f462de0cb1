"""The camera cycle beside wrk, judged under the same load: wrk's answers during the cycle against the cycle's.

wrk and the exporter send the same status requests, at the same concurrency, to the same simulator, which
is the bottleneck while both run (one Python process). It answers the connections that have a request
waiting; a client that keeps its connections as busy as wrk does (C, a few µs between an answer and the
next request) gets as many answers as wrk in the same time. wrk's time for the cycle's N requests at the
rate it had *during the cycle* is ``duration x N / wrk_answers``, so the cycle's ratio to it is
``wrk_answers / N``: the issue's "camera cycle <= 1.5x wrk's time for the same requests under the same load".

wrk's rate over its whole run, which the first version of this benchmark divided by, is mostly measured
while the exporter waits for its next cycle (beside wrk a 10,000-camera cycle takes ~3.5 s of every 15 s):
wrk has the simulator to itself then, and the ratio measures the exporter's duty cycle as much as the
exporter. Both ratios are reported.

wrk's answers during a cycle are the simulator's answers in that span (sampled every ``SAMPLE_EVERY``
seconds from ``/_simulator/state``, whose own requests the simulator does not count) less the cycle's
requests; the exporter's other requests of that span (an object-counting document, a few visitor reports)
count as wrk's, which can only raise the ratio.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp
import bare_loop

SAMPLE_EVERY = 0.05  # seconds: a 1,000-camera cycle beside wrk takes ~0.3 s


@dataclass(frozen=True)
class Sample:
    wall: float  # time.time(), the clock of the exporter's last-success stamps
    answered: int  # requests the simulator has counted, all servers


async def answered_so_far(http: aiohttp.ClientSession, sim_port: int) -> int:
    async with http.get(f"http://127.0.0.1:{sim_port}/_simulator/state") as response:
        state = await response.json()
    return sum(server["requests"] for server in state["load"].values())


async def sample_answered(http: aiohttp.ClientSession, sim_port: int, seconds: float) -> list[Sample]:
    """The simulator's answer count every SAMPLE_EVERY seconds for ``seconds``."""
    deadline = time.monotonic() + seconds
    samples: list[Sample] = []
    while time.monotonic() < deadline:
        samples.append(Sample(time.time(), await answered_so_far(http, sim_port)))
        await asyncio.sleep(SAMPLE_EVERY)
    return samples


def answered_between(samples: list[Sample], start: float, end: float) -> float | None:
    """Answers from ``start`` to ``end`` (wall clock), each end interpolated between its two samples; None
    when the span is not inside the sampled one."""

    def at(moment: float) -> float | None:
        for before, after in itertools.pairwise(samples):
            if before.wall <= moment <= after.wall:
                fraction = (moment - before.wall) / ((after.wall - before.wall) or 1.0)
                return before.answered + fraction * (after.answered - before.answered)
        return None

    first, last = at(start), at(end)
    return None if first is None or last is None else last - first


def wrk_ratios(samples: list[Sample], cycles: dict[float, float], cycle_requests: int) -> list[float]:
    """For each cycle (last-success stamp -> duration) inside the sampled span: wrk's answers during it
    over the cycle's requests, i.e. the cycle's duration over wrk's time for as many requests meanwhile."""
    ratios = []
    for stamp, duration in sorted(cycles.items()):
        answered = answered_between(samples, stamp - duration, stamp)
        if answered is not None and cycle_requests:
            ratios.append(max(0.0, answered - cycle_requests) / cycle_requests)
    return ratios


async def bare_cycle_ratio(
    sim_port: int,
    camera_ids: list[str],
    concurrency: int,
    wrk: Callable[[float], Awaitable[float]],
) -> tuple[float, float]:
    """A bare aiohttp loop's cycle of the same status requests beside wrk (``wrk(seconds)``, started
    first), measured the same way: (its duration, wrk's answers during it over its requests). What an
    aiohttp client doing nothing with its answers gets under the same load."""
    async with (
        bare_loop.status_requests(sim_port, camera_ids, concurrency) as make,
        aiohttp.ClientSession() as http,
    ):
        # Long enough for the cycle at a third of the simulator's speed alone, after wrk's first 2 s.
        wrk_run = asyncio.create_task(wrk(4.0 + len(camera_ids) / 1000))
        try:
            await asyncio.sleep(2.0)  # wrk's connections up and busy
            before = await answered_so_far(http, sim_port)
            started = time.monotonic()
            await make(len(camera_ids))
            duration = time.monotonic() - started
            answered = await answered_so_far(http, sim_port) - before
        finally:
            await wrk_run
    return duration, max(0, answered - len(camera_ids)) / len(camera_ids)
