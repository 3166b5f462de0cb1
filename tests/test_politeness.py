"""Politeness to Eocortex servers: per-server concurrency, rate, latency back-off and the first-run spread.

What a server went through is read from the simulator's side (``sim.load``: requests in flight, their peak,
arrival times), over real HTTP on 127.0.0.1; the exporter's own account is checked against it.
"""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any

import pytest
from conftest import make_settings, sim_config
from helpers import collect, parse_samples, value

from eocexporter.client import endpoints
from eocexporter.client.politeness import (
    MIN_WINDOW,
    REQUEST_DUE,
    LatencyController,
    ServerGate,
    Slots,
    requests_due,
)
from eocexporter.collectors.cameras import CamerasConfig
from eocexporter.config import ConfigError, load_settings
from eocexporter.exporter import _stable_fraction
from eocexporter.model import CamerasSection
from eocexporter.options import PolitenessConfig
from eocexporter.registry import CAMERAS, CollectorJob
from eocexporter.simulator import running_simulator

STATUS = "api/channels/{id}/status"


def other_server(sim: Any) -> str:
    return next(server.id for server in sim.installation.servers if not server.is_main)


async def hammer(client: Any, sim: Any, server_id: str, count: int) -> None:
    """``count`` status requests to one server, all at once: only the exporter's limits hold them back."""
    url = sim.server_urls[server_id]
    cameras = [camera.id for camera in sim.installation.cameras_on(server_id)]
    await asyncio.gather(
        *(
            client.get_json(url, STATUS, f"api/channels/{cameras[index % len(cameras)]}/status")
            for index in range(count)
        )
    )


async def published(exporter: Any) -> dict:
    """The exposition of what the exporter knows now, without another collection (which would wait on the
    slow server again)."""
    await exporter.publish_now()
    return parse_samples(exporter.exposition.body)


def most_in_any_second(arrivals: list[float]) -> int:
    return max(
        sum(1 for later in arrivals[index:] if later < start + 1.0) for index, start in enumerate(arrivals)
    )


# ---- concurrency ------------------------------------------------------------------------------------


async def test_no_server_works_on_more_than_server_concurrency_requests_at_once(
    clock, exporter_factory
) -> None:
    # 30 cameras a server and 20 ms per answer: without a per-server limit, the target's 16 slots would
    # all go to one server at once.
    async with running_simulator(sim_config(clock, servers=3, cameras=90)) as sim:
        sim.faults.set_latency(0.02)
        settings = make_settings(
            sim.main_url, target={"max_concurrency": 16, "politeness": {"server_concurrency": 3}}
        )
        ok, samples = await collect(exporter_factory(settings))
        assert ok
        peaks = {server.id: sim.load.peak_in_flight(server.id) for server in sim.installation.servers}
        assert max(peaks.values()) == 3, peaks  # the limit was reached, and held
        # Limited one by one: the servers together had more in flight than any one may.
        assert sim.load.peak_in_flight() > 3
        for server in sim.installation.servers:
            assert value(samples, "eocortex_api_server_concurrency_limit", server_id=server.id) == 3
            assert value(samples, "eocortex_api_throttled_seconds_total", server_id=server.id) > 0


# ---- rate ---------------------------------------------------------------------------------------------


async def test_requests_per_second_bounds_what_a_server_receives(small, exporter_factory) -> None:
    rate, burst = 40, 4  # the burst is max(1, rate / 10)
    settings = make_settings(small.main_url, target={"politeness": {"server_requests_per_second": rate}})
    exporter = exporter_factory(settings)
    client = exporter.runtimes[0].client
    main = small.installation.main_server.id

    started = time.monotonic()
    await hammer(client, small, main, 44)
    # The burst goes at once, then one request per 1/rate seconds; the timer never fires early.
    assert time.monotonic() - started >= (44 - burst) / rate - 0.005

    # The bucket is empty now (its last token has just been spent): every second of this run is a
    # steady one, as the server sees it.
    small.load.reset()
    await hammer(client, small, main, 60)
    arrivals = small.load.arrivals(main)
    assert len(arrivals) == 60
    assert most_in_any_second(arrivals) <= rate + burst
    assert arrivals[-1] - arrivals[0] >= (60 - 1) / rate - 0.05


# ---- adaptive back-off --------------------------------------------------------------------------------


async def test_a_slow_server_gets_fewer_requests_at_once_and_more_again_when_it_recovers(
    small, exporter_factory
) -> None:
    settings = make_settings(
        small.main_url, target={"politeness": {"server_concurrency": 8, "slow_after": "50ms"}}
    )
    exporter = exporter_factory(settings)
    assert await exporter.collect_once()
    client = exporter.runtimes[0].client
    slow, main = other_server(small), small.installation.main_server.id
    await hammer(client, small, slow, 3 * MIN_WINDOW)  # what "normal" is for this server
    # The main server's limit as its own answers left it (8 on a quiet machine; a loaded one may have
    # made even the simulator's answers slower than 50 ms): the slow server must not move it.
    main_limit = client.gates.gate(small.server_urls[main]).limit

    small.faults.set_latency(0.15, server=slow)
    await hammer(client, small, slow, 2 * MIN_WINDOW)
    samples = await published(exporter)
    limit = value(samples, "eocortex_api_server_concurrency_limit", server_id=slow)
    assert limit < 8
    assert value(samples, "eocortex_api_server_concurrency_limit", server_id=main) == main_limit
    assert value(samples, "eocortex_api_throttled_seconds_total", server_id=slow) > 0

    # While it stays slow, the server never again has more than that limit in flight.
    small.load.reset()
    await hammer(client, small, slow, 12)
    assert 1 <= small.load.peak_in_flight(slow) <= limit

    small.faults.set_latency(0, server=slow)
    for _ in range(20):  # +1 per window of fast answers: 7 windows at most from 1 back to 8
        if client.gates.gate(small.server_urls[slow]).limit == 8:
            break
        await hammer(client, small, slow, 2 * MIN_WINDOW)
    samples = await published(exporter)
    assert value(samples, "eocortex_api_server_concurrency_limit", server_id=slow) == 8


async def test_a_server_past_its_capacity_makes_the_exporter_back_off(small, exporter_factory) -> None:
    settings = make_settings(
        small.main_url, target={"politeness": {"server_concurrency": 8, "slow_after": "50ms"}}
    )
    exporter = exporter_factory(settings)
    assert await exporter.collect_once()
    client = exporter.runtimes[0].client
    main = small.installation.main_server.id
    await hammer(client, small, main, 3 * MIN_WINDOW)
    # Two workers of 50 ms each: at 8 requests at once, answers take 200 ms; at 2, 50 ms.
    small.faults.set_capacity(2, server=main, seconds_per_request=0.05)
    await hammer(client, small, main, 2 * MIN_WINDOW)
    samples = await published(exporter)
    assert value(samples, "eocortex_api_server_concurrency_limit", server_id=main) < 8


# ---- the first-run spread -------------------------------------------------------------------------------


async def first_runs(exporter: Any, names: list[str]) -> tuple[float, dict[str, float]]:
    """Run the exporter's loops until every collector in ``names`` has started once: when discovery first
    finished, and when each collector's first run began (time.monotonic())."""
    runtime = exporter.runtimes[0]
    discovered: list[float] = []
    started: dict[str, float] = {}
    all_started = asyncio.Event()
    run_discovery, run_collector = runtime.run_discovery, runtime.run_collector

    async def timed_discovery() -> bool:
        ok = await run_discovery()
        discovered.append(time.monotonic())
        return ok

    async def timed_collector(job: Any) -> bool:
        started.setdefault(job.name, time.monotonic())
        if set(started) >= set(names):
            all_started.set()
        return await run_collector(job)

    runtime.run_discovery, runtime.run_collector = timed_discovery, timed_collector
    exporter.start()
    await asyncio.wait_for(all_started.wait(), 10)
    return discovered[0], started


async def test_first_runs_are_spread_over_first_run_spread(small, exporter_factory) -> None:
    spread = 2.0
    exporter = exporter_factory(
        make_settings(small.main_url, target={"politeness": {"first_run_spread": spread}})
    )
    names = [job.name for job in exporter.jobs]
    assert all(job.config.interval >= spread for job in exporter.jobs)
    discovered, started = await first_runs(exporter, names)
    offsets = {name: started[name] - discovered for name in names}
    for name in names:
        expected = _stable_fraction("eoc", name) * spread
        assert expected - 0.01 <= offsets[name] <= expected + 0.5, (name, expected, offsets[name])
    assert max(offsets.values()) - min(offsets.values()) > spread / 4


async def test_first_run_spread_0_starts_every_collector_at_once(small, exporter_factory) -> None:
    exporter = exporter_factory(make_settings(small.main_url, target={"politeness": {"first_run_spread": 0}}))
    names = [job.name for job in exporter.jobs]
    discovered, started = await first_runs(exporter, names)
    assert max(started.values()) - discovered < 0.5


# ---- configuration --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("politeness", "message"),
    [
        ({"server_concurrency": 0}, "server_concurrency: Input should be greater than or equal to 1"),
        ({"server_concurrency": 257}, "server_concurrency: Input should be less than or equal to 256"),
        (
            {"server_requests_per_second": -1},
            "server_requests_per_second: Input should be greater than or equal to 0",
        ),
        (
            {"server_requests_per_second": 1e6},
            "server_requests_per_second: Input should be less than or equal to 100000",
        ),
        ({"slow_after": 0}, "slow_after: Input should be greater than 0"),
        ({"slow_after": "soon"}, "slow_after: expected a duration such as 15, 15s, 500ms, 5m, 1h or 7d"),
        (
            {"first_run_spread": "-1s"},
            "first_run_spread: expected a duration such as 15, 15s, 500ms, 5m, 1h or 7d",
        ),
        ({"adaptive": "sometimes"}, "adaptive: Input should be a valid boolean, unable to interpret input"),
        ({"concurrency": 4}, "concurrency: unknown option (did you mean 'server_concurrency'?)"),
    ],
)
def test_bad_politeness_values_give_one_line_naming_the_option(politeness: dict, message: str) -> None:
    target = {"name": "eoc", "url": "http://eocortex.invalid:8080", "password": "", "politeness": politeness}
    with pytest.raises(ConfigError) as caught:
        load_settings(None, targets=[target])
    assert str(caught.value) == f"targets.0.politeness.{message}"


def test_politeness_defaults() -> None:
    target = load_settings(None, targets=[{"name": "eoc", "url": "http://h:1", "password": ""}]).targets[0]
    assert target.politeness == PolitenessConfig(
        server_concurrency=8, server_requests_per_second=0, adaptive=True, slow_after=0.5, first_run_spread=15
    )
    spread = load_settings(
        None,
        targets=[
            {"name": "eoc", "url": "http://h:1", "password": "", "politeness": {"first_run_spread": "0"}}
        ],
    ).targets[0]
    assert spread.politeness.first_run_spread == 0


# ---- the AIMD controller, with synthetic latencies ----------------------------------------------------


def feed(controller: LatencyController, seconds: float, windows: int = 1, overloaded: bool = False) -> None:
    for _ in range(windows):
        for _ in range(max(MIN_WINDOW, controller.limit)):
            controller.observe(controller.epoch, seconds, overloaded)


def test_fast_answers_keep_the_limit_at_its_ceiling() -> None:
    controller = LatencyController(ceiling=8, slow_after=0.5)
    feed(controller, 0.002, windows=20)
    assert controller.limit == 8


def test_a_slow_window_halves_the_limit_down_to_one() -> None:
    controller = LatencyController(ceiling=8, slow_after=0.5)
    feed(controller, 0.01, windows=3)
    feed(controller, 0.6)
    assert controller.limit == 4
    feed(controller, 0.6, windows=5)
    assert controller.limit == 1


def test_latency_under_slow_after_never_counts_as_slow() -> None:
    controller = LatencyController(ceiling=8, slow_after=0.5)
    feed(controller, 0.001, windows=3)
    feed(controller, 0.4, windows=5)  # 400 times the baseline, but under slow_after
    assert controller.limit == 8


def test_twice_the_baseline_above_slow_after_is_slow() -> None:
    controller = LatencyController(ceiling=8, slow_after=0.1)
    feed(controller, 0.3, windows=3)
    feed(controller, 0.55)  # under 2 x 0.3: a server that is slow by nature, not loaded
    assert controller.limit == 8
    feed(controller, 0.7)
    assert controller.limit == 4


def test_an_overload_sign_halves_the_limit_however_fast_the_answers() -> None:
    controller = LatencyController(ceiling=8, slow_after=0.5)
    for index in range(MIN_WINDOW):
        controller.observe(controller.epoch, 0.001, overloaded=index == 3)
    assert controller.limit == 4


def test_answers_to_requests_sent_before_a_decrease_are_not_counted_again() -> None:
    controller = LatencyController(ceiling=8, slow_after=0.5)
    feed(controller, 0.01, windows=2)
    before = controller.epoch
    feed(controller, 0.9)
    assert controller.limit == 4
    for _ in range(5 * MIN_WINDOW):
        controller.observe(before, 0.9, overloaded=True)
    assert controller.limit == 4


def test_the_limit_grows_back_one_per_window() -> None:
    controller = LatencyController(ceiling=8, slow_after=0.5)
    feed(controller, 0.01, windows=2)
    feed(controller, 0.9, windows=3)
    assert controller.limit == 1
    limits = []
    for _ in range(8):
        feed(controller, 0.01)
        limits.append(controller.limit)
    assert limits == [2, 3, 4, 5, 6, 7, 8, 8]


def test_the_baseline_follows_a_server_that_got_slower_for_good() -> None:
    controller = LatencyController(ceiling=8, slow_after=0.5)
    feed(controller, 0.01, windows=5)
    feed(controller, 1.0, windows=10)
    assert controller.limit == 1
    # Once the fast windows have left the remembered past, 1 s is this server's normal.
    feed(controller, 1.0, windows=60)
    assert controller.limit == 8


# ---- the run due first goes first -----------------------------------------------------------------------


async def test_a_waiting_request_of_the_run_due_first_goes_first() -> None:
    slots = Slots(1)
    assert slots.try_acquire()
    served: list[str] = []

    async def wait(name: str) -> None:
        await slots.acquire(REQUEST_DUE.get())  # as the client reads it: inherited from the run
        served.append(name)

    waiting = []
    # Due times of runs started at 0 (archive depth hourly, cameras every 15 s, visitors every minute) and
    # of a camera run started at 3,590 s, while the hourly scan is still waiting; a backfill is no run's.
    for name, due in (
        ("archive depth", 3600.0),
        ("backfill", math.inf),
        ("cameras", 15.0),
        ("cameras at 3590 s", 3605.0),
        ("visitors", 60.0),
    ):
        with requests_due(due):
            waiting.append(asyncio.create_task(wait(name)))
        await asyncio.sleep(0)  # queued in this order (a yield, not a wait for time)
    with requests_due(15.0):
        waiting.append(asyncio.create_task(wait("cameras again")))
    await asyncio.sleep(0)
    for _ in range(len(waiting)):
        slots.release()
        await asyncio.sleep(0)
    await asyncio.wait_for(asyncio.gather(*waiting), 1)
    # The hourly scan is not starved by the camera runs that start near its own deadline.
    assert served == [
        "cameras",
        "cameras again",
        "visitors",
        "archive depth",
        "cameras at 3590 s",
        "backfill",
    ]
    assert slots.in_flight == 1


async def test_a_run_s_requests_wait_as_due_at_its_deadline(small, exporter_factory) -> None:
    exporter = exporter_factory(make_settings(small.main_url))
    runtime = exporter.runtimes[0]
    assert await runtime.run_discovery()
    seen: list[tuple[float, float]] = []

    class Recording:
        async def collect(self, ctx: Any, target: Any) -> CamerasSection:
            seen.append((REQUEST_DUE.get(), time.monotonic()))  # what its requests would wait with
            return CamerasSection((), ())

    for interval in (15.0, 600.0):
        seen.clear()
        assert await runtime.run_collector(
            CollectorJob(CAMERAS, CamerasConfig(interval=interval), Recording())
        )
        assert seen and all(interval - 1 < due - at <= interval for due, at in seen), seen
    assert REQUEST_DUE.get() == math.inf  # outside a run: behind every run's requests


async def test_the_camera_cycle_is_not_held_up_by_an_archive_scan(clock, exporter_factory) -> None:
    # One request at a time to the server, every collector's first run at once: the status requests,
    # every 15 s, pass the archive collectors' per-camera requests, every 5 minutes to an hour, as soon as
    # they queue. Served in arrival order, the three per-camera scans would interleave throughout.
    hourly = {endpoints.ARCHIVE_DAYS, endpoints.CONFIGURE_CHANNEL, endpoints.CAMERA_ANALYTICS}
    async with running_simulator(sim_config(clock, servers=1, cameras=40)) as sim:
        settings = make_settings(
            sim.main_url, target={"politeness": {"server_concurrency": 1, "adaptive": False}}
        )
        ok, _ = await collect(exporter_factory(settings))
        assert ok
        served = [entry.template for entry in sim.request_log]
    statuses = [index for index, template in enumerate(served) if template == STATUS]
    assert len(statuses) >= 30
    between = served[statuses[0] : statuses[-1]]
    assert sum(template in hourly for template in between) == 0, between
    assert any(template in hourly for template in served), "no archive scan ran beside the cycle"


# ---- the gate: waiting is cancellable without losing a slot --------------------------------------------


async def test_a_cancelled_wait_for_a_slot_leaks_nothing() -> None:
    gate = ServerGate(PolitenessConfig(server_concurrency=1, adaptive=False))
    ticket = await gate.enter()
    waiting = asyncio.create_task(gate.enter())
    await asyncio.sleep(0)  # let it queue (a yield, not a wait for time)
    assert not waiting.done()
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    gate.leave(ticket, "200", 0.001)
    assert gate.in_flight == 0
    gate.leave(await asyncio.wait_for(gate.enter(), 1), "200", 0.001)
    assert gate.in_flight == 0


async def test_a_slot_handed_to_a_wait_cancelled_in_the_same_tick_is_passed_on() -> None:
    gate = ServerGate(PolitenessConfig(server_concurrency=1, adaptive=False))
    ticket = await gate.enter()
    first = asyncio.create_task(gate.enter())
    second = asyncio.create_task(gate.enter())
    await asyncio.sleep(0)
    gate.leave(ticket, "200", 0.001)  # hands the slot to `first`...
    first.cancel()  # ...which is cancelled before it runs
    with pytest.raises(asyncio.CancelledError):
        await first
    gate.leave(await asyncio.wait_for(second, 1), "200", 0.001)
    assert gate.in_flight == 0


async def test_a_cancelled_wait_for_a_token_gives_back_its_slot() -> None:
    gate = ServerGate(PolitenessConfig(server_concurrency=4, server_requests_per_second=1, adaptive=False))
    gate.leave(await gate.enter(), "200", 0.001)  # the one token of the burst
    waiting = asyncio.create_task(gate.enter())
    await asyncio.sleep(0)
    assert gate.in_flight == 1 and not waiting.done()
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert gate.in_flight == 0
    assert gate.throttled_seconds > 0
