"""Sharding across replicas, and /probe?target=: the same series, split or picked, never doubled."""

from __future__ import annotations

import random
import uuid

import aiohttp
import pytest
from conftest import make_settings, sim_config
from helpers import parse_samples
from test_server import serve  # noqa: F401  (fixture)

from eocexporter.config import ConfigError, load_settings
from eocexporter.sharding import Shard
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


def test_every_server_goes_to_exactly_one_shard_and_each_shard_gets_its_even_share() -> None:
    rng = random.Random(7)
    for servers in (1, 2, 3, 5, 7, 10, 16):
        for count in (1, 2, 3, 5, 8):
            for target in ("mall", "depot", "a-longer-installation-name"):
                ids = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(servers)]
                shares = [Shard(index, count).owned_servers(target, ids) for index in range(count)]
                assert set().union(*shares) == set(ids)
                assert sum(len(share) for share in shares) == servers, "a server owned by two shards"
                assert {len(share) for share in shares} <= {servers // count, -(-servers // count)}
                # The order discovery lists the servers in does not matter: every replica agrees.
                shuffled = rng.sample(ids, len(ids))
                assert [
                    Shard(index, count).owned_servers(target, shuffled) for index in range(count)
                ] == shares


def test_a_server_joining_or_leaving_moves_few_of_the_others() -> None:
    # Rendezvous hashing with bounded loads: the others mostly stay. Splitting by position ("i-th server
    # to shard i mod N") would move about half of them each time.
    rng = random.Random(11)
    moved_on_join, moved_on_leave = [], []
    for target in range(200):
        ids = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(10)]

        def shards(present: list[str], name: str = f"t{target}") -> dict[str, int]:
            return {sid: index for index in range(4) for sid in Shard(index, 4).owned_servers(name, present)}

        before = shards(ids)
        joined, left = shards([*ids, "a-new-server"]), shards(ids[1:])
        moved_on_join.append(sum(before[sid] != joined[sid] for sid in ids))
        moved_on_leave.append(sum(before[sid] != left[sid] for sid in ids[1:]))
    assert sum(moved_on_join) / 200 < 1.5  # 0.66 measured, of 10
    assert sum(moved_on_leave) / 200 < 1.5  # 0.69 measured, of 9


async def test_five_servers_on_five_shards_are_one_server_each(clock, exporter_factory) -> None:
    # The case a hash of each server alone gets wrong: five servers hashed onto five shards rarely land one
    # on each (5!/5^5, 4% of installations).
    async with running_simulator(sim_config(clock, servers=5, cameras=10)) as sim:
        polled = []
        for index in range(5):
            exporter = exporter_factory(make_settings(sim.main_url, shard_index=index, shard_count=5))
            await exporter.collect_once()
            polled.append(servers_up(exporter.exposition.body))
    assert all(len(servers) == 1 for servers in polled), polled
    assert set().union(*polled) == {server.id for server in sim.installation.servers}


async def test_a_shard_stops_exposing_a_server_that_moved_to_another(clock, exporter_factory) -> None:
    async with running_simulator(sim_config(clock, servers=4, cameras=16)) as sim:
        ids = [server.id for server in sim.installation.servers]
        # A server to take out (never the main one) that moves another server away from some shard.
        index, leaving, moved = next(
            (index, leaving, moved)
            for leaving in ids[1:]
            for index in range(2)
            for moved in Shard(index, 2).owned_servers("eoc", ids)
            - Shard(index, 2).owned_servers("eoc", [sid for sid in ids if sid != leaving])
            if moved != leaving
        )
        exporter = exporter_factory(make_settings(sim.main_url, shard_index=index, shard_count=2))
        await exporter.collect_once()
        assert moved in servers_up(exporter.exposition.body)
        assert moved in cameras_of(exporter.exposition.body)
        sim.installation.set_listed(leaving, False)
        await exporter.collect_once()
    body = exporter.exposition.body
    assert moved not in servers_up(body)
    assert moved not in cameras_of(body), "the sections of a server another shard now polls are still exposed"


def servers_up(body: bytes) -> set[str]:
    return {dict(labels)["server_id"] for name, labels in parse_samples(body) if name == "eocortex_server_up"}


def cameras_of(body: bytes) -> set[str]:
    """The servers whose cameras are exposed."""
    return {
        dict(labels)["server_id"] for name, labels in parse_samples(body) if name == "eocortex_camera_info"
    }


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
