"""webapi/archive_export/tasks over real HTTP: POST and GET, paging, the history moving with the clock."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from eocexporter.simulator import Variants, running_simulator
from eocexporter.simulator.exports import EXPORT_PERIOD, HISTORY

from .helpers import USERS, basic, make_config, md5

ALL = {"page": "1", "size": "2147483647"}
PARAMS_KEYS = [
    "ChannelId",
    "StartTimeUtc",
    "EndTimeUtc",
    "IsSoundEnabled",
    "UseTimeStamps",
    "CreationTime",
    "Fps",
    "AddHvc1TagForHevc",
]


async def tasks(http, sim, server_id, params=ALL, method="POST", headers=None):
    url = f"{sim.server_urls[server_id]}/webapi/archive_export/tasks"
    async with http.request(method, url, params=params, headers=headers or basic("root", "")) as response:
        return response.status, await response.json()


async def test_post_and_get_answer_the_same_history(sim, http):
    inst = sim.installation
    for server in inst.servers:
        status, body = await tasks(http, sim, server.id)
        assert status == 200
        assert list(body) == ["Items", "Page", "TotalItems"]
        assert (body["Page"], body["TotalItems"]) == (0, HISTORY) == (0, len(body["Items"]))
        assert body == inst.export_tasks_page(server.id, 1, 2147483647)
        assert await tasks(http, sim, server.id, method="GET") == (200, body)
        own = {c.id for c in inst.cameras_on(server.id)}
        for task in body["Items"]:
            assert list(task) == ["Id", "Params", "State", "Error"]
            assert list(task["Params"]) == PARAMS_KEYS
            assert task["Params"]["ChannelId"] in own
            params = task["Params"]
            start, end, created = (
                datetime.fromisoformat(params[k]) for k in ("StartTimeUtc", "EndTimeUtc", "CreationTime")
            )
            assert start < end < created <= sim.clock.now()
            assert params["CreationTime"].endswith("Z") and len(params["CreationTime"]) == 24
        created = [task["Params"]["CreationTime"] for task in body["Items"]]
        assert created == sorted(created, reverse=True)
        # Every state and every error occurs.
        assert {t["State"] for t in body["Items"]} == {1, 2, 3, 4, 5, 6}
        assert {t["Error"] for t in body["Items"] if t["State"] == 4} == {1, 2, 3}
        assert {t["Error"] for t in body["Items"] if t["State"] != 4} == {0}


async def test_the_same_history_for_every_user(sim, http):
    server = sim.installation.servers[0]
    _, root = await tasks(http, sim, server.id)
    for user in USERS[1:]:
        secret = md5(user.password) if user.user_type == "internal" else user.password
        extra = {"UserType": "ActiveDirectory"} if user.user_type != "internal" else {}
        assert await tasks(http, sim, server.id, headers=basic(user.login, secret, **extra)) == (200, root)


async def test_tasks_move_through_their_states_with_the_clock(sim, http):
    server = sim.installation.servers[0]
    _, before = await tasks(http, sim, server.id)
    sim.clock.advance(EXPORT_PERIOD.total_seconds())
    _, after = await tasks(http, sim, server.id)
    old = {task["Id"]: task for task in before["Items"]}
    new_ids = [task["Id"] for task in after["Items"]]
    # One new task on top, the oldest gone, the rest one place down.
    assert new_ids[0] not in old and new_ids[1:] == [t["Id"] for t in before["Items"][:-1]]
    states = [(old[t["Id"]]["State"], t["State"]) for t in after["Items"][1:]]
    assert states[0] == (1, 1) and states[1] == (1, 2)  # InQueue -> InProcess
    assert states[2][0] == 2 and states[2][1] in (3, 4, 5)  # InProcess -> its outcome
    for was, now in states[3:]:
        assert was == now or (was, now) == (5, 6)  # Done -> Expired, nothing else changes
    assert Counter(states)[(5, 6)] <= 1


async def test_paging_and_echo(sim, http):
    inst = sim.installation
    server = inst.servers[1]
    _, everything = await tasks(http, sim, server.id)
    _, page2 = await tasks(http, sim, server.id, {"page": "2", "size": "7"})
    assert page2["Items"] == everything["Items"][7:14]
    assert (page2["Page"], page2["TotalItems"]) == (1, HISTORY)
    _, page3 = await tasks(http, sim, server.id, {"page": "3", "size": "7"})
    assert page3["Items"] == everything["Items"][14:]
    _, beyond = await tasks(http, sim, server.id, {"page": "2147483647", "size": "2147483647"})
    assert beyond["Items"] == [] and beyond["TotalItems"] == HISTORY
    _, default = await tasks(http, sim, server.id, {})
    assert default["Items"] == everything["Items"] and default["Page"] == 0
    inst.set_variants(page_echo="one_based")
    assert (await tasks(http, sim, server.id, {"page": "2", "size": "7"}))[1]["Page"] == 2
    for params in ({"page": "-1"}, {"size": "x"}, {"size": "2147483648"}):
        status, body = await tasks(http, sim, server.id, params)
        assert status == 400 and body["ErrorMessage"], params


async def test_enums_as_text(sim, http):
    inst = sim.installation
    server = inst.servers[0]
    _, numbers = await tasks(http, sim, server.id)
    inst.set_variants(enums_as_text=True)
    _, texts = await tasks(http, sim, server.id)
    names = {1: "InQueue", 2: "InProcess", 3: "Cancelled", 4: "Error", 5: "Done", 6: "Expired"}
    errors = {0: "None", 1: "InternalServerFailure", 2: "NotEnoughSpace", 3: "FileLocked"}
    for number, text in zip(numbers["Items"], texts["Items"], strict=True):
        assert text["State"] == f"{number['State']} - {names[number['State']]}"
        assert text["Error"] == f"{number['Error']} - {errors[number['Error']]}"
    assert texts["Items"][0]["State"] == "1 - InQueue" and texts["Items"][0]["Error"] == "0 - None"


async def test_add_export_task_through_python_and_control(sim, http):
    inst = sim.installation
    server = inst.servers[1]
    camera = inst.cameras_on(server.id)[3]
    task_id = inst.add_export_task(server.id, state="Error", error=2, channel_id=camera.id)
    _, body = await tasks(http, sim, server.id)
    assert body["TotalItems"] == HISTORY + 1
    [added] = [task for task in body["Items"] if task["Id"] == task_id]
    assert (added["State"], added["Error"], added["Params"]["ChannelId"]) == (4, 2, camera.id)
    assert body["Items"][0]["Id"] == task_id  # created now: the newest
    async with http.post(
        f"{sim.main_url}/_simulator/model",
        json={"action": "add_export_task", "server_id": server.id, "state": "5 - Done"},
    ) as response:
        assert response.status == 200
        answer = await response.json()
    sim.clock.advance(86400)
    _, later = await tasks(http, sim, server.id)
    kept = {task["Id"]: task for task in later["Items"]}
    assert kept[answer["task_id"]]["State"] == 5 and kept[task_id]["State"] == 4
    assert kept[answer["task_id"]]["Params"]["ChannelId"] == inst.cameras_on(server.id)[0].id
    for bad in ({"state": 9}, {"error": "Broken"}, {"channel_id": "00000000-0000-4000-8000-000000000001"}):
        async with http.post(
            f"{sim.main_url}/_simulator/model",
            json={"action": "add_export_task", "server_id": server.id, **bad},
        ) as response:
            assert response.status == 400, bad


async def test_unknown_values_nulls_and_legacy(http):
    config = make_config(variants=Variants(unknown_values=True, nulls=True, enums_as_text=True))
    async with running_simulator(config) as sim:
        server = sim.installation.servers[0]
        _, body = await tasks(http, sim, server.id)
        items = body["Items"]
        assert items[1]["State"] == "7 - Paused" and items[1]["Error"] == "0 - None"
        unknown_errors = [t for t in items if t["Error"] == "4 - ArchiveNotFound"]
        assert len(unknown_errors) == 1 and unknown_errors[0]["State"] == "4 - Error"
        errors = [i for i, t in enumerate(items) if t["State"] == "4 - Error"]
        assert unknown_errors[0] is items[errors[-1]]
        assert items[0]["State"] == "1 - InQueue" and items[0]["Error"] is None
        sim.installation.set_legacy(server.id)
        status, missing = await tasks(http, sim, server.id)
        assert status == 404 and missing == {
            "ErrorMessage": "Resource is not found (/webapi/archive_export/tasks | POST)"
        }
