"""Sharding across replicas, and /probe?target=: the same series, split or picked, never doubled."""

from __future__ import annotations

import aiohttp
import pytest
from conftest import make_settings, sim_config
from helpers import parse_samples
from test_server import serve  # noqa: F401  (fixture)

from eocexporter.config import ConfigError, load_settings
from eocexporter.simulator import running_simulator

# Series about the exporter's own work: every replica has its own.
_SELF = ("eocortex_api_", "eocortex_collector_", "eocortex_exporter_")


def identities(body: bytes) -> set[tuple[str, tuple[tuple[str, str], ...]]]:
    return set(parse_samples(body))


def data_series(series: set) -> set:
    return {key for key in series if not key[0].startswith(_SELF)}


async def test_two_shards_together_expose_exactly_what_one_exporter_does(clock, exporter_factory) -> None:
    # Two installations, so that both the targets and one target's servers are split.
    async with (
        running_simulator(sim_config(clock, servers=4, cameras=60)) as big,
        running_simulator(sim_config(clock, servers=1, cameras=10, seed=3)) as small,
    ):
        targets = [
            {"name": "big", "url": big.main_url, "timezone": "Europe/Moscow"},
            {"name": "small", "url": small.main_url, "timezone": "Europe/Moscow"},
        ]

        async def exposition(**shard) -> set:
            settings = make_settings(big.main_url, **shard)
            settings = load_settings(None, targets=[{**t, "request_timeout": 2} for t in targets], **shard)
            exporter = exporter_factory(settings)
            await exporter.collect_once()
            return identities(exporter.exposition.body)

        alone = await exposition()
        first = await exposition(shard_index=0, shard_count=2)
        second = await exposition(shard_index=1, shard_count=2)
    assert data_series(first) | data_series(second) == data_series(alone)
    assert not data_series(first) & data_series(second), "a series exposed by both shards"
    assert first | second == alone
    # Both shards have work: the four servers of the big installation are split between them.
    for shard in (first, second):
        assert any(name == "eocortex_camera_info" and ("target", "big") in labels for name, labels in shard)
    assert sum(1 for name, _ in first | second if name == "eocortex_up") == 2


def test_shard_index_from_a_statefulset_pod_name() -> None:
    assert load_settings(None, shard_index="eocexporter-3", shard_count=4).shard_index == 3
    with pytest.raises(ConfigError, match=r"^shard_index 4 is not below shard_count 4$"):
        load_settings(None, shard_index="4", shard_count=4)
    with pytest.raises(ConfigError, match=r"^shard_index: .*pod name ending in -<ordinal>$"):
        load_settings(None, shard_index="eocexporter", shard_count=4)


async def test_probe_returns_one_targets_series(clock, exporter_factory, serve) -> None:  # noqa: F811
    async with (
        running_simulator(sim_config(clock, servers=2, cameras=20)) as one,
        running_simulator(sim_config(clock, servers=1, cameras=5, seed=9)) as two,
    ):
        settings = load_settings(
            None,
            targets=[
                {"name": "one", "url": one.main_url, "timezone": "Europe/Moscow"},
                {"name": "two", "url": two.main_url, "timezone": "Europe/Moscow"},
            ],
        )
        exporter = exporter_factory(settings)
        await exporter.collect_once()
        # Published once more: the render CPU counters exist from the second render on, as on a probe.
        await exporter.publish_now()
        base = await serve(exporter)
        everything = identities(exporter.exposition.body)
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/probe", params={"target": "two"}) as response:
                assert response.status == 200
                assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
                probed = identities(await response.read())
            version = exporter.version
            async with http.get(f"{base}/probe", params={"target": "two"}) as response:
                assert identities(await response.read()) == probed
            async with http.get(f"{base}/probe", params={"target": "nope"}) as response:
                assert response.status == 404
            async with http.get(f"{base}/probe") as response:
                assert response.status == 400
    # The target's series, and the exporter's own that belong to no target (build, configuration reload,
    # render CPU).
    expected = {
        key
        for key in everything
        if ("target", "two") in key[1]
        or (key[0].startswith("eocortex_exporter_") and not any(name == "target" for name, _ in key[1]))
    }
    assert probed == expected
    assert exporter.version == version  # probing renders from the cache; it never triggers a collection
