"""Servers of an older version without an endpoint, and per-camera licence refusals of visitor reports."""

from __future__ import annotations

from datetime import datetime

from .helpers import fetch

VISITORS = {"starttimeutc": "24.11.2026", "endtimeutc": "25.11.2026 12:00:00"}


def other_server(sim):
    return next(server for server in sim.installation.servers if not server.is_main)


async def test_a_legacy_server_lacks_webapi_and_visitor_reports(sim, http):
    other = other_server(sim)
    url = sim.server_urls[other.id]
    assert other.legacy is False
    assert (await fetch(http, f"{url}/webapi/license"))[0] == 200
    sim.installation.set_legacy(other.id)
    assert other.legacy is True
    assert await fetch(http, f"{url}/webapi/license") == (
        404,
        {"ErrorMessage": "Resource is not found (/webapi/license | GET)"},
    )
    status, body = await fetch(http, f"{url}/api/unique_visitor/report", params=VISITORS)
    assert status == 404 and body == {
        "ErrorMessage": "Resource is not found (/api/unique_visitor/report | GET)"
    }
    # Everything else it still answers, and the other servers answer as before.
    for path in ("api/channels", "api/objects_counting/current_counters", "api/faceconfig"):
        assert (await fetch(http, f"{url}/{path}"))[0] == 200
    assert (await fetch(http, f"{sim.main_url}/webapi/license"))[0] == 200
    assert (await fetch(http, f"{sim.main_url}/api/unique_visitor/report", params=VISITORS))[0] == 200
    # Authentication still comes first.
    assert (await fetch(http, f"{url}/webapi/license", headers={}))[0] == 401
    # The log keeps the template, so a test can count what the exporter kept asking for.
    assert [(r.template, r.status) for r in sim.request_log if r.server_id == other.id][:2] == [
        ("webapi/license", 200),
        ("webapi/license", 404),
    ]


async def test_legacy_through_the_control_endpoint(sim, http):
    other = other_server(sim)
    base = f"{sim.main_url}/_simulator/model"
    async with http.post(
        base, json={"action": "set_legacy", "server_id": other.id, "legacy": True}
    ) as response:
        assert response.status == 200
        state = await response.json()
    assert {s["id"]: s["legacy"] for s in state["servers"]} == {
        s.id: s.id == other.id for s in sim.installation.servers
    }
    assert (await fetch(http, f"{sim.server_urls[other.id]}/webapi/license"))[0] == 404
    async with http.post(base, json={"action": "set_legacy", "server_id": other.id, "legacy": False}):
        pass
    assert (await fetch(http, f"{sim.server_urls[other.id]}/webapi/license"))[0] == 200


async def test_an_unlicensed_camera_fails_a_visitor_request_that_names_it(sim, http):
    inst = sim.installation
    main = inst.main_server.id
    inst.add_camera(main, visitors=True)
    refused, licensed = inst.visitor_cameras(main)[:2]
    url = f"{sim.main_url}/api/unique_visitor/report"
    both = {**VISITORS, "channel": f"{licensed.id},{refused.id}"}
    assert (await fetch(http, url, params=both))[0] == 200
    inst.set_visitor_licensed(refused.id, licensed=False)
    assert inst.visitor_refused == {refused.id}
    assert await fetch(http, url, params=both) == (
        400,
        {"ErrorMessage": f"Module is not licensed for channel {refused.id}"},
    )
    assert (await fetch(http, url, params={**both, "aggregate": "true"}))[0] == 400
    status, body = await fetch(http, url, params={**VISITORS, "channel": licensed.id})
    assert status == 200 and [row["ChannelId"] for row in body["Report"]] == [licensed.id]
    # Without `channel`, the refused camera is left out.
    status, body = await fetch(http, url, params=VISITORS)
    expected = [c.id for c in inst.visitor_cameras(main) if c.id != refused.id]
    assert status == 200 and [row["ChannelId"] for row in body["Report"]] == expected
    rows = inst.visitor_rows(expected, datetime(2026, 11, 24), datetime(2026, 11, 25, 12))
    assert body["Report"] == rows
    # Another server's request naming the camera skips it, as it skips any camera it does not serve.
    other = sim.server_urls[other_server(sim).id]
    assert (await fetch(http, f"{other}/api/unique_visitor/report", params=both))[0] == 200
    async with http.post(
        f"{sim.main_url}/_simulator/model",
        json={"action": "set_visitor_licensed", "camera_id": refused.id, "licensed": True},
    ) as response:
        assert response.status == 200
    assert (await fetch(http, url, params=both))[0] == 200
