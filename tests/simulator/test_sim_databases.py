"""Face and plate databases: api/faces, api/faces-groups, api/cars, api/cars-groups and api/v2/..."""

from __future__ import annotations

import time

import pytest

from eocexporter.simulator import Variants, running_simulator
from eocexporter.simulator import databases as db

from .helpers import fetch, make_config

FACE_KEYS = [
    "id",
    "external_id",
    "first_name",
    "patronymic",
    "second_name",
    "additional_info",
    "modification_time",
]
PLATE_KEYS = ["id", "external_id", "license_plate_number", "additional_info", "modification_time"]
V2_FACE_KEYS = [
    "id",
    "external_sys_id",
    "external_id",
    "first_name",
    "patronymic",
    "second_name",
    "additional_info",
    "modification_time",
    "creation_time",
    "force",
]
LIST_KEYS = {"faces": "faces", "faces-groups": "groups", "cars": "plates", "cars-groups": "groups"}


def base(sim, index=0):
    server = sim.installation.servers[index]
    return server, sim.server_urls[server.id]


async def test_v1_shapes_sizes_and_paging(sim, http):
    inst = sim.installation
    for server in inst.servers:
        url = sim.server_urls[server.id]
        for kind, list_key in LIST_KEYS.items():
            module = {"module": "complete"} if kind.startswith("faces") else {}
            status, body = await fetch(
                http, f"{url}/api/{kind}", params={"offset": "0", "portion": "5", **module}
            )
            assert status == 200, kind
            assert list(body) == ["offset", "portion", "total_count", list_key]
            total = inst.database_size(server.id, kind)
            assert body["total_count"] == total
            assert body["portion"] == len(body[list_key]) == min(5, total)
            assert body == inst.database_v1(server.id, kind, module.get("module"), 0, 5)
            for record in body[list_key]:
                if kind == "faces":
                    assert list(record) == FACE_KEYS
                elif kind == "cars":
                    assert list(record) == PLATE_KEYS
                elif kind == "faces-groups":
                    assert list(record) == [
                        "id",
                        "external_id",
                        "name",
                        "intercept",
                        "modification_time",
                        "external_sys_id",
                    ]
                else:
                    assert list(record) == [
                        "id",
                        "external_id",
                        "name",
                        "intercept",
                        "open_barrier",
                        "modification_time",
                        "external_sys_id",
                    ]
    # Sizes: hundreds to tens of thousands of faces; 2-11 face groups; plates, 3-6 plate groups.
    faces = [inst.database_size(s.id, "faces") for s in inst.servers]
    assert all(200 <= n <= 30_000 for n in faces)
    server, url = base(sim)
    total = inst.database_size(server.id, "faces")
    # Pages through offset/portion agree with one big page, and the portion echo is what was served.
    _, whole = await fetch(
        http, f"{url}/api/faces", params={"module": "complete", "offset": "10", "portion": "9"}
    )
    pieces = []
    for offset in (10, 13, 16):
        _, part = await fetch(
            http, f"{url}/api/faces", params={"module": "complete", "offset": str(offset), "portion": "3"}
        )
        pieces += part["faces"]
    assert pieces == whole["faces"]
    _, tail = await fetch(http, f"{url}/api/faces", params={"module": "complete", "offset": str(total - 2)})
    assert tail["portion"] == 2 and tail["offset"] == total - 2
    _, beyond = await fetch(http, f"{url}/api/faces", params={"module": "complete", "offset": str(total + 5)})
    assert beyond["faces"] == [] and beyond["portion"] == 0 and beyond["total_count"] == total


async def test_module_is_mandatory_for_faces_and_tolerated_for_cars(sim, http):
    _, url = base(sim)
    for kind in ("faces", "faces-groups"):
        status, body = await fetch(http, f"{url}/api/{kind}")
        assert status == 400 and body == {"ErrorMessage": "Parameter module is required"}
        status, body = await fetch(http, f"{url}/api/{kind}", params={"module": "standard"})
        assert status == 400 and body == {"ErrorMessage": "Unknown face recognition module 'standard'"}
        status, body = await fetch(http, f"{url}/api/{kind}", params={"module": "basic"})
        assert status == 400 and body == {"ErrorMessage": "Face recognition module 'basic' is not enabled"}
        assert (await fetch(http, f"{url}/api/{kind}", params={"module": "Complete"}))[0] == 200
    for kind in ("cars", "cars-groups"):
        _, plain = await fetch(http, f"{url}/api/{kind}")
        for module in ("basic", "light", "complete"):
            assert await fetch(http, f"{url}/api/{kind}", params={"module": module, "dbid": "x"}) == (
                200,
                plain,
            )
    for params in (
        {"offset": "-1"},
        {"portion": "ten"},
        {"portion": "2147483648"},
        {"filter": "external_id='1'"},
    ):
        status, body = await fetch(http, f"{url}/api/cars", params=params)
        assert status == 400 and body["ErrorMessage"], params
    # api/v1/ is api/.
    assert (await fetch(http, f"{url}/api/v1/cars", params={"portion": "1"}))[0] == 200


async def test_portion_is_capped_and_one_record_is_cheap(sim, http, monkeypatch):
    inst = sim.installation
    server, url = base(sim)
    inst.set_database_size(server.id, "faces", "complete", 50_000)
    calls = []
    original = db.record
    monkeypatch.setattr(db, "record", lambda *a, **k: calls.append(a) or original(*a, **k))
    started = time.perf_counter()
    _, one = await fetch(
        http, f"{url}/api/faces", params={"module": "complete", "portion": "1", "offset": "49999"}
    )
    assert time.perf_counter() - started < 1.0
    assert one["total_count"] == 50_000 and one["portion"] == 1 and len(calls) == 1
    assert one["faces"][0]["external_id"] == "49999"
    _, big = await fetch(http, f"{url}/api/faces", params={"module": "complete", "portion": "2147483647"})
    assert big["portion"] == len(big["faces"]) == db.MAX_PORTION
    _, default = await fetch(http, f"{url}/api/faces", params={"module": "complete"})
    assert default["portion"] == db.DEFAULT_PORTION
    _, page = await fetch(http, f"{url}/api/v2/faces", params={"page": "1", "size": "2147483647"})
    assert len(page["items"]) == db.MAX_PORTION and page["total_items"] == 50_000


async def test_v2_pages_are_one_based_with_an_echo_variant(sim, http):
    inst = sim.installation
    server, url = base(sim)
    inst.set_database_size(server.id, "cars", None, 35)
    _, v1 = await fetch(http, f"{url}/api/cars", params={"portion": "35"})
    assert v1["total_count"] == 35
    _, first = await fetch(http, f"{url}/api/v2/cars", params={"page": "1", "size": "30"})
    _, second = await fetch(http, f"{url}/api/v2/cars", params={"page": "2", "size": "30"})
    assert list(first) == ["items", "page", "total_items"]
    # The example's echo: page 2 asked, 1 answered (L7740, L7791).
    assert (first["page"], second["page"], second["total_items"]) == (0, 1, 35)
    assert len(first["items"]) == 30 and len(second["items"]) == 5
    assert [item["id"] for item in first["items"] + second["items"]] == [p["id"] for p in v1["plates"]]
    # Face-shaped, as the v2 cars example (Q29); "{}" names for plates without owner.
    assert all(list(item) == V2_FACE_KEYS for item in first["items"])
    assert first["items"][0]["first_name"] == "{}"
    inst.set_variants(page_echo="one_based", v2_cars_shape="plates")
    _, again = await fetch(http, f"{url}/api/v2/cars", params={"page": "2", "size": "30"})
    assert again["page"] == 2 and again["items"] == v1["plates"][30:]
    # page 0 reads as the first page.
    _, zero = await fetch(http, f"{url}/api/v2/cars", params={"page": "0", "size": "3"})
    assert zero["items"] == v1["plates"][:3]
    # faces: v2 records carry creation_time and force; the module is optional.
    _, faces = await fetch(http, f"{url}/api/v2/faces", params={"page": "1", "size": "2"})
    _, faces_v1 = await fetch(http, f"{url}/api/faces", params={"module": "complete", "portion": "2"})
    assert [list(item) for item in faces["items"]] == [V2_FACE_KEYS, V2_FACE_KEYS]
    assert [item["id"] for item in faces["items"]] == [f["id"] for f in faces_v1["faces"]]
    assert (await fetch(http, f"{url}/api/v2/faces", params={"module": "expert"}))[0] == 400
    for kind in ("faces-groups", "cars-groups"):
        _, groups = await fetch(http, f"{url}/api/v2/{kind}")
        _, groups_v1 = await fetch(http, f"{url}/api/{kind}", params={"module": "complete"})
        assert groups["items"] == groups_v1["groups"]
    assert (await fetch(http, f"{url}/api/v2/cars", params={"size": "-3"}))[0] == 400


async def test_database_sizes_through_the_control_endpoint(sim, http):
    inst = sim.installation
    server, url = base(sim)
    control = f"{sim.main_url}/_simulator/model"
    body = {
        "action": "set_database_size",
        "server_id": server.id,
        "kind": "faces-groups",
        "module": "complete",
        "count": 0,
    }
    async with http.post(control, json=body) as response:
        assert response.status == 200
    _, emptied = await fetch(http, f"{url}/api/faces-groups", params={"module": "complete"})
    assert emptied["total_count"] == 0
    async with http.post(control, json={**body, "kind": "cars", "module": None, "count": 7}) as response:
        assert response.status == 200
    assert inst.database_size(server.id, "cars") == 7
    for bad in ({"kind": "people"}, {"module": "light", "kind": "cars"}, {"count": -1}, {"count": "7"}):
        async with http.post(control, json={**body, **bad}) as response:
            assert response.status == 400, bad
    # The other server is untouched.
    other = inst.servers[1]
    assert inst.database_size(other.id, "faces-groups") >= 2


async def test_a_licence_without_face_recognition_lists_no_module(sim, http):
    inst = sim.installation
    _, url = base(sim)
    assert [m["name"] for m in (await fetch(http, f"{url}/api/faceconfig"))[1]["faces_modules"]] == [
        "basic",
        "expert",
        "complete",
    ]
    inst.set_licence_usage("CompleteFaceRecognitionChannels", total=0)
    assert await fetch(http, f"{url}/api/faceconfig") == (200, {"faces_modules": []})
    status, body = await fetch(http, f"{url}/api/faces", params={"module": "complete"})
    assert status == 400 and body == {"ErrorMessage": "Unknown face recognition module 'complete'"}
    assert (await fetch(http, f"{url}/api/v2/faces"))[0] == 400
    # Plates do not depend on it.
    assert (await fetch(http, f"{url}/api/cars"))[0] == 200


async def test_databases_on_legacy_servers_faults_and_nulls(sim, http):
    inst = sim.installation
    server, url = base(sim, 1)
    inst.set_legacy(server.id)
    assert (await fetch(http, f"{url}/api/faces", params={"module": "complete"}))[0] == 200
    assert await fetch(http, f"{url}/api/v2/faces") == (
        404,
        {"ErrorMessage": "Resource is not found (/api/v2/faces | GET)"},
    )
    sim.faults.set_body("api/faces-groups", "null")
    assert await fetch(http, f"{url}/api/faces-groups", params={"module": "complete"}) == (200, None)
    sim.faults.set_body("api/faces-groups", None)
    inst.set_variants(nulls=True)
    _, groups = await fetch(http, f"{url}/api/faces-groups", params={"module": "complete"})
    assert groups["total_count"] is None and groups["groups"]
    _, faces = await fetch(http, f"{url}/api/faces", params={"module": "complete", "portion": "10"})
    assert faces["total_count"] is not None
    assert [f["patronymic"] is None for f in faces["faces"]] == [i % 5 == 4 for i in range(10)]


@pytest.mark.parametrize("module", [None, "complete"])
async def test_records_are_a_function_of_the_seed(module):
    async with (
        running_simulator(make_config()) as one,
        running_simulator(make_config(variants=Variants(page_echo="one_based"))) as two,
    ):
        a = one.installation.database_records(one.installation.servers[0].id, "faces", module, 3, 4)
        b = two.installation.database_records(two.installation.servers[0].id, "faces", module, 3, 4)
        assert a == b and len(a) == 4
