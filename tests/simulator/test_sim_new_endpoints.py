"""The new resources are route templates like the others: faults, legacy servers and the real-world profile
reach them."""

from __future__ import annotations

from eocexporter.simulator import ENDPOINTS, running_simulator

from .helpers import fetch, make_config

NEW = (
    "webapi/cameras/{id}/archive_days",
    "webapi/cameras/analytics",
    "webapi/archive_export/tasks",
    "api/faces",
    "api/faces-groups",
    "api/cars",
    "api/cars-groups",
    "api/v2/faces",
    "api/v2/faces-groups",
    "api/v2/cars",
    "api/v2/cars-groups",
)
WINDOW = "startTimeUtc=2026-11-20T00:00&endTimeUtc=2026-11-25T00:00"


def path_of(template: str, camera_id: str) -> str:
    path = template.replace("{id}", camera_id)
    if template.startswith("api/faces"):
        return f"{path}?module=complete"
    if template.endswith("archive_days"):
        return f"{path}?{WINDOW}"
    return path


async def test_every_new_template_is_an_endpoint_faults_can_target(sim, http):
    assert set(NEW) <= set(ENDPOINTS)
    server = sim.installation.servers[0]
    url = sim.server_urls[server.id]
    camera = sim.installation.cameras_on(server.id)[0]
    async with http.post(
        f"{sim.main_url}/_simulator/faults",
        json={"error_rates": {template: {"rate": 1.0, "status": 503} for template in NEW}},
    ) as response:
        assert response.status == 200
    for template in NEW:
        status, body = await fetch(http, f"{url}/{path_of(template, camera.id)}")
        assert (status, body) == (503, {"ErrorMessage": "Simulated failure"}), template
        assert sim.request_log[-1].template == template
    await sim.faults.clear()
    for template in NEW:
        status, _ = await fetch(http, f"{url}/{path_of(template, camera.id)}")
        assert status == 200, template
    # Only the export task listing takes POST.
    async with http.post(f"{url}/webapi/cameras/analytics", headers={"Authorization": "Basic cm9vdDo="}) as r:
        assert r.status == 404
    assert (await fetch(http, f"{url}/webapi/cameras/analytics", headers={}))[0] == 401


async def test_the_real_world_profile_reaches_the_new_resources(http):
    async with running_simulator(make_config(cameras=50, profile="real-world")) as sim:
        inst = sim.installation
        legacy = inst.servers[-1]
        main = inst.main_server
        camera = inst.cameras_on(legacy.id)[0]
        for template in NEW:
            status, _ = await fetch(http, f"{sim.server_urls[legacy.id]}/{path_of(template, camera.id)}")
            gone = template.startswith(("webapi/", "api/v2/"))
            assert status == (404 if gone else 200), template
        settings = inst.configure_channel(inst.cameras[5])["ArchiveSettings"]
        assert settings["ArchivingMinDeepnessInDays"] is None
        _, groups = await fetch(http, f"{sim.server_urls[main.id]}/api/cars-groups")
        assert groups["total_count"] is None
        _, exports = await fetch(http, f"{sim.server_urls[main.id]}/webapi/archive_export/tasks")
        assert exports["Items"][1]["State"] == 7
        assert exports["Items"][0]["Error"] is None
