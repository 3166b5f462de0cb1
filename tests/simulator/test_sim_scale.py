"""A large installation builds quickly and answers without recomputing everything."""

from __future__ import annotations

import time

from eocexporter.simulator import Installation, SettableClock, running_simulator

from .helpers import T0, fetch, make_config


def test_ten_thousand_cameras_build_fast():
    started = time.perf_counter()
    installation = Installation(make_config(servers=4, cameras=10_000), SettableClock(T0))
    # The brief's budget is 2 s; leave room for a slow CI machine.
    assert time.perf_counter() - started < 4
    assert len(installation.cameras) == 10_000


async def test_ten_thousand_cameras_answer_api_channels(http):
    async with running_simulator(make_config(servers=4, cameras=10_000)) as sim:
        counts = []
        for server_id, url in sim.server_urls.items():
            status, channels = await fetch(http, f"{url}/api/channels")
            assert status == 200
            assert {c["ServerBindingsSettings"]["OwnerServerId"] for c in channels} == {server_id}
            counts.append(len(channels))
        assert sum(counts) == 10_000
        camera = sim.installation.cameras[-1]
        status, body = await fetch(
            http, f"{sim.server_urls[camera.server_id]}/api/channels/{camera.id}/status"
        )
        assert status == 200 and body["Id"] == camera.id
        status, licence = await fetch(http, f"{sim.main_url}/webapi/license")
        assert licence["NonRegistratorChannels"]["Used"] == sum(
            1 for c in sim.installation.cameras if not c.disabled
        )
