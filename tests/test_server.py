"""The HTTP side and the background scheduler, end to end over 127.0.0.1."""

from __future__ import annotations

import asyncio
import gzip
from collections import Counter

import aiohttp
import pytest
from conftest import make_settings
from helpers import parse_samples, series, value

from eocexporter.runtime import TargetRuntime
from eocexporter.server import create_app, start_site

# The shortest intervals the configuration allows (docs/configuration.md: at least 1 s).
FAST = {
    "collectors": {
        "discovery": {"interval": 1},
        "cameras": {"interval": 1},
        "object_counting": {"interval": 1},
        "visitors": {"interval": 1},
        "licenses": {"interval": 1},
        "archiving": {"interval": 1},
    }
}


@pytest.fixture
async def serve():
    runners = []

    async def start(exporter):
        runner, port = await start_site(create_app(exporter), "127.0.0.1", 0)
        runners.append(runner)
        return f"http://127.0.0.1:{port}"

    yield start
    for runner in runners:
        await runner.cleanup()


async def wait_until(exporter, predicate, timeout: float = 10.0) -> None:
    """Wait on published expositions (no sleeping) until ``predicate()`` holds."""
    async with asyncio.timeout(timeout):
        version = exporter.version
        while not predicate():
            version = await exporter.wait_for_version(version, timeout)


async def test_ready_only_after_every_collector_ran_and_metrics_served_plain_and_gzip(
    sim, exporter_factory, serve
) -> None:
    exporter = exporter_factory(make_settings(sim.main_url, target={"password": ""}, **FAST))
    base = await serve(exporter)
    async with aiohttp.ClientSession(auto_decompress=False) as http:
        async with http.get(f"{base}/ready") as response:
            assert response.status == 503
            assert "eoc:cameras" in await response.text()
        async with http.get(f"{base}/healthz") as response:
            assert response.status == 200
        exporter.start()
        await wait_until(exporter, exporter.ready)
        async with http.get(f"{base}/ready") as response:
            assert response.status == 200
        async with http.get(f"{base}/metrics", headers={"Accept-Encoding": "identity"}) as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
            assert "Content-Encoding" not in response.headers
            plain = await response.read()
        async with http.get(f"{base}/metrics", headers={"Accept-Encoding": "gzip, deflate"}) as response:
            assert response.headers["Content-Encoding"] == "gzip"
            zipped = await response.read()
    body = gzip.decompress(zipped)
    # Both are renders of the latest snapshot; the scheduler may have published a newer one in between.
    for text in (plain, body):
        samples = parse_samples(text)
        assert value(samples, "eocortex_up") == 1
        assert series(samples, "eocortex_camera_info")


async def test_scrapes_do_not_render(sim, exporter_factory, serve) -> None:
    exporter = exporter_factory(make_settings(sim.main_url))
    await exporter.collect_once()
    base = await serve(exporter)
    version = exporter.version
    async with aiohttp.ClientSession() as http:
        bodies = set()
        for _ in range(5):
            async with http.get(f"{base}/metrics") as response:
                bodies.add(await response.read())
    assert len(bodies) == 1
    assert exporter.version == version


async def test_landing_page_shows_targets_state_and_last_error_without_secrets(
    sim, exporter_factory, serve
) -> None:
    exporter = exporter_factory(
        make_settings(sim.main_url, target={"username": "monitor", "password": "wrong-секрет"})
    )
    await exporter.collect_once()
    base = await serve(exporter)
    async with aiohttp.ClientSession() as http, http.get(f"{base}/") as response:
        page = await response.text()
    assert response.status == 200
    assert "eocexporter" in page and "/metrics" in page
    assert "Target eoc: " in page
    assert "down" in page
    assert "HTTP 401" in page
    assert "wrong-секрет" not in page


async def test_runs_never_overlap_and_are_bounded_by_their_deadline(
    sim, exporter_factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    running: Counter[str] = Counter()
    most: Counter[str] = Counter()
    finished: Counter[str] = Counter()
    original = TargetRuntime.run_collector

    async def observed(self, job):
        running[job.name] += 1
        most[job.name] = max(most[job.name], running[job.name])
        try:
            return await original(self, job)
        finally:
            running[job.name] -= 1
            finished[job.name] += 1

    monkeypatch.setattr(TargetRuntime, "run_collector", observed)
    # Status answers take 1.5 s: every camera run lasts its whole 1 s interval and ends at its deadline.
    sim.faults.set_latency(1.5, endpoint="api/channels/{id}/status")
    settings = make_settings(
        sim.main_url,
        # Enough connections that the slow status requests do not hold every slot the others need.
        target={"max_concurrency": 128},
        collectors={
            "discovery": {"interval": 1},
            "cameras": {"interval": 1},
            # Its runs are quick; a longer deadline leaves room for a loaded machine, since the assertion
            # is that the slow cameras collector does not sink this one, not how fast it runs.
            "object_counting": {"interval": 3},
            "visitors": {"enabled": False, "interval": 1},
            "licenses": {"enabled": False, "interval": 1},
            "archiving": {"enabled": False, "interval": 1},
        },
    )
    exporter = exporter_factory(settings)
    exporter.start()
    await wait_until(exporter, lambda: finished["cameras"] >= 3 and finished["object_counting"] >= 2)
    await exporter.stop()
    assert most["cameras"] == 1
    assert most["object_counting"] == 1
    run = exporter.runtimes[0].runs["cameras"]
    assert not run.success
    # It stops itself 5% before its deadline (eocexporter.runtime.STOP_MARGIN_SHARE) and keeps what it got,
    # nothing here; the runtime's own limit, the deadline and the cancelling of what was pending, is later.
    assert 0.95 <= run.duration_seconds < 2.0
    assert "stopped at its 1s deadline with 0 statuses polled" in (run.error or "")
    assert exporter.runtimes[0].runs["object_counting"].success
    assert "visitors" not in exporter.runtimes[0].runs


async def test_an_exposition_of_many_chunks_is_served_whole_with_its_length(
    sim, exporter_factory, serve
) -> None:
    """The text is served from its chunks (some larger than a send slice), never joined first."""
    from eocexporter.exposition import Exposition
    from eocexporter.exposition.gzip_parts import GzipParts
    from eocexporter.server import SEND_SLICE

    chunks = (b"# HELP a b\n", bytes(range(97, 123)) * (SEND_SLICE // 13), b"", b"x 1\n" * 5000)
    exporter = exporter_factory(make_settings(sim.main_url))
    exporter.exposition = Exposition(chunks, GzipParts(3).compress(chunks))
    base = await serve(exporter)
    whole = b"".join(chunks)
    async with aiohttp.ClientSession(auto_decompress=False) as http:
        async with http.get(f"{base}/metrics", headers={"Accept-Encoding": "identity"}) as response:
            assert int(response.headers["Content-Length"]) == len(whole)
            assert await response.read() == whole
        async with http.get(f"{base}/metrics", headers={"Accept-Encoding": "gzip"}) as response:
            assert gzip.decompress(await response.read()) == whole
        async with http.head(f"{base}/metrics", headers={"Accept-Encoding": "identity"}) as response:
            assert int(response.headers["Content-Length"]) == len(whole)
            assert await response.read() == b""
