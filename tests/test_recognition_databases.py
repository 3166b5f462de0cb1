"""Face and plate database sizes end to end (api/faceconfig, api/carconfig, api/faces, api/cars and their
groups; api/v2/... where v1 is gone), compared with the simulator's databases, over HTTP on 127.0.0.1."""

from __future__ import annotations

import pytest
from conftest import make_settings, sim_config
from helpers import collect, series, value

from eocexporter.simulator import Variants, running_simulator

ENABLED = "eocortex_recognition_module_enabled"
ENTRIES = "eocortex_recognition_database_entries"
# (database label, the simulator's kind) per table label
TABLES = {
    "faces": {"records": "faces", "groups": "faces-groups"},
    "cars": {"records": "cars", "groups": "cars-groups"},
}
V1 = ("api/faces", "api/faces-groups", "api/cars", "api/cars-groups")
V2 = tuple(f"api/v2/{path.removeprefix('api/')}" for path in V1)


def modules(sim) -> dict[str, dict[str, bool]]:
    """Database label -> module -> enabled, as api/faceconfig and api/carconfig serve them."""
    auto = sim.installation.carconfig()["auto_modules"]
    return {
        "faces": {m["name"]: m["enabled"] for m in sim.installation.faceconfig()["faces_modules"]},
        "cars": {m["name"]: m["enabled"] for m in ([auto] if isinstance(auto, dict) else auto)},
    }


def expected_entries(sim, total=None) -> dict[tuple[str, str, str, str], float]:
    """(server, database, module, table) -> records, for every enabled module on every server; ``total``
    reads the served answer instead of the model's size (None drops the series)."""
    found = {}
    for server in sim.installation.servers:
        for database, listed in modules(sim).items():
            for module, enabled in listed.items():
                if not enabled:
                    continue
                for table, kind in TABLES[database].items():
                    face_module = module if database == "faces" else None
                    size = (
                        sim.installation.database_size(server.id, kind, face_module)
                        if total is None
                        else total(server.id, kind, face_module)
                    )
                    if size is not None:
                        found[(server.id, database, module, table)] = float(size)
    return found


def exported_entries(samples: dict) -> dict[tuple[str, str, str, str], float]:
    return {
        (labels["server_id"], labels["database"], labels["module"], labels["table"]): got
        for labels, got in ((dict(key), got) for key, got in series(samples, ENTRIES).items())
    }


async def test_entries_equal_the_simulators_databases(small, exporter_factory) -> None:
    ok, samples = await collect(exporter_factory(make_settings(small.main_url)))
    assert ok
    assert value(samples, "eocortex_collector_success", collector="databases") == 1
    expected = expected_entries(small)
    assert exported_entries(samples) == expected
    assert {database for _, database, _, _ in expected} == {"faces", "cars"}
    assert all(size > 1 for (_, database, _, table), size in expected.items() if database == "faces")
    for server in small.installation.servers:
        for database, listed in modules(small).items():
            for module, enabled in listed.items():
                labels = {"server_id": server.id, "database": database, "module": module}
                assert value(samples, ENABLED, **labels) == float(enabled)
                if not enabled:
                    # A switched-off module: 0, and its tables are neither asked nor reported.
                    assert series(samples, ENTRIES, **labels) == {}
    disabled = {module for listed in modules(small).values() for module, on in listed.items() if not on}
    assert disabled
    asked_modules = {
        dict(entry.params).get("module") for entry in small.request_log if entry.template in V1 + V2
    }
    assert not asked_modules & disabled


async def test_a_changed_size_shows_after_the_next_run(small, exporter_factory) -> None:
    server = small.installation.servers[-1].id
    exporter = exporter_factory(make_settings(small.main_url))
    ok, samples = await collect(exporter)
    assert ok
    where = {"server_id": server, "module": "complete"}
    before = value(samples, ENTRIES, database="faces", table="records", **where)
    small.installation.set_database_size(server, "faces", "complete", count=50_000)
    small.installation.set_database_size(server, "cars-groups", count=0)
    ok, samples = await collect(exporter)
    assert ok
    assert before != 50_000
    assert value(samples, ENTRIES, database="faces", table="records", **where) == 50_000
    assert value(samples, ENTRIES, database="cars", table="groups", **where) == 0  # 0 is a value
    assert exported_entries(samples) == expected_entries(small)


async def test_only_one_record_is_asked(small, exporter_factory) -> None:
    ok, _ = await collect(exporter_factory(make_settings(small.main_url)))
    assert ok
    asked = [entry for entry in small.request_log if entry.template in V1]
    # Two face tables and two plate tables of one enabled module each, on every server.
    assert len(asked) == 4 * len(small.installation.servers)
    for entry in asked:
        params = dict(entry.params)
        assert entry.status == 200, entry
        assert params["portion"] == "1" and params.get("offset", "0") == "0", entry
    assert not [entry for entry in small.request_log if entry.template in V2]


@pytest.mark.parametrize("cars_shape", ["faces", "plates"])
async def test_without_v1_the_v2_total_is_used(clock, exporter_factory, cars_shape) -> None:
    config = sim_config(clock, cameras=20, variants=Variants(v2_cars_shape=cars_shape))
    async with running_simulator(config) as sim:
        for path in ("api/faces", "api/cars"):
            sim.faults.set_error_rate(path, 1.0, status=404)
        exporter = exporter_factory(make_settings(sim.main_url))
        ok, samples = await collect(exporter)
        expected = expected_entries(sim)
        v2 = [entry for entry in sim.request_log if entry.template in V2]
        sim.request_log.clear()
        ok_again, again = await collect(exporter)
        v1_again = [entry for entry in sim.request_log if entry.template in ("api/faces", "api/cars")]
    assert ok and ok_again
    assert exported_entries(samples) == expected
    assert exported_entries(again) == expected
    assert sorted({entry.template for entry in v2}) == ["api/v2/cars", "api/v2/faces"]
    for entry in v2:
        params = dict(entry.params)
        assert entry.status == 200 and params["size"] == "1" and params["page"] == "1", entry
    for server in sim.installation.servers:
        assert value(samples, "eocortex_endpoint_supported", server_id=server.id, endpoint="api/faces") == 0
    assert v1_again == [], "v1 asked again within the hour"


async def test_null_totals_are_absent_not_zero(clock, exporter_factory) -> None:
    async with running_simulator(sim_config(clock, cameras=20, variants=Variants(nulls=True))) as sim:
        ok, samples = await collect(exporter_factory(make_settings(sim.main_url)))

        def served_total(server_id: str, kind: str, module: str | None):
            return sim.installation.database_v1(server_id, kind, module, 0, 1)["total_count"]

        expected = expected_entries(sim, total=served_total)
    assert ok
    assert value(samples, "eocortex_collector_success", collector="databases") == 1
    assert exported_entries(samples) == expected
    assert not [key for key in expected if key[3] == "groups"], "nulls serves null group totals"
    assert [key for key in expected if key[3] == "records"]
    for path in V1:
        assert series(samples, "eocortex_api_parse_errors_total", endpoint=path) == {}


async def test_an_installation_without_face_recognition_has_no_face_series(small, exporter_factory) -> None:
    for key in ("CompleteFaceRecognitionChannels", "LightFaceRecognitionChannels"):
        small.installation.set_licence_usage(key, total=0)
    assert small.installation.faceconfig() == {"faces_modules": []}
    ok, samples = await collect(exporter_factory(make_settings(small.main_url)))
    assert ok
    assert series(samples, ENABLED, database="faces") == {}
    assert series(samples, ENTRIES, database="faces") == {}
    assert exported_entries(samples) == expected_entries(small)


async def test_one_module_object_in_carconfig_is_read(clock, exporter_factory) -> None:
    # The carconfig example prints modules without an array (Q19).
    config = sim_config(clock, cameras=20, variants=Variants(carconfig_as_object=True))
    async with running_simulator(config) as sim:
        assert isinstance(sim.installation.carconfig()["auto_modules"], dict)
        ok, samples = await collect(exporter_factory(make_settings(sim.main_url)))
        expected = expected_entries(sim)
    assert ok
    assert exported_entries(samples) == expected
    assert {key[1] for key in expected} == {"faces", "cars"}
    assert {dict(labels)["module"] for labels in series(samples, ENABLED, database="cars")} == {"complete"}


async def test_a_plate_table_refusing_the_module_is_asked_without_it(small, exporter_factory) -> None:
    small.faults.set_error_rate("api/cars", 1.0, status=400)
    ok, samples = await collect(exporter_factory(make_settings(small.main_url)))
    assert ok
    assert value(samples, "eocortex_collector_success", collector="databases") == 1
    asked = [dict(entry.params) for entry in small.request_log if entry.template == "api/cars"]
    # Per server: once with the module, once without (Q26), then no size.
    servers = len(small.installation.servers)
    assert sorted("module" in params for params in asked) == [False] * servers + [True] * servers
    expected = {
        key: size
        for key, size in expected_entries(small).items()
        if key[1:] != ("cars", "complete", "records")
    }
    assert exported_entries(samples) == expected
    for server in small.installation.servers:
        assert value(samples, ENABLED, server_id=server.id, database="cars", module="complete") == 1


async def test_a_module_list_refused_to_the_user_is_not_a_failure(small, exporter_factory) -> None:
    small.faults.set_error_rate("api/faceconfig", 1.0, status=403)
    ok, samples = await collect(exporter_factory(make_settings(small.main_url)))
    assert ok
    assert value(samples, "eocortex_collector_success", collector="databases") == 1
    assert series(samples, ENABLED, database="faces") == {}
    assert series(samples, ENTRIES, database="faces") == {}
    for server in small.installation.servers:
        assert (
            value(samples, "eocortex_endpoint_supported", server_id=server.id, endpoint="api/faceconfig") == 0
        )
    assert exported_entries(samples) == {
        key: size for key, size in expected_entries(small).items() if key[1] == "cars"
    }
