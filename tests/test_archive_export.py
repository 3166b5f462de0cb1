"""Archive export tasks end to end (webapi/archive_export/tasks), and the licence's client limit
(webapi/license), compared with what the simulator serves, over HTTP on 127.0.0.1."""

from __future__ import annotations

from collections import Counter

import pytest
from conftest import make_settings, sim_config
from helpers import collect, series, value

from eocexporter.simulator import Variants, running_simulator
from eocexporter.simulator.exports import ERRORS, STATES

ENDPOINT = "webapi/archive_export/tasks"
TASKS = "eocortex_archive_export_tasks"
ERRORS_NOW = "eocortex_archive_export_task_errors"
FAILURES = "eocortex_archive_export_failures_total"
FAMILIES = (TASKS, ERRORS_NOW, FAILURES)


def name_of(raw, names: dict[int, str]) -> str | None:
    """A served State/Error as a name: a known code is its name; an unknown code stays as sent; the
    text form "N - Name" is its name."""
    if raw is None:
        return None
    if isinstance(raw, int):
        return names.get(raw, str(raw))
    code, _, name = raw.partition(" - ")
    return names.get(int(code), name)


def served(sim, server_id: str) -> list[tuple[str, str | None, str | None]]:
    """(task id, state, error) of every task the server serves now."""
    return [
        (task["Id"], name_of(task["State"], STATES), name_of(task["Error"], ERRORS))
        for task in sim.installation.export_tasks(server_id)
    ]


def by_label(samples: dict, name: str, label: str, server_id: str) -> dict[str, float]:
    return {dict(key)[label]: got for key, got in series(samples, name, server_id=server_id).items()}


def expected_states(tasks) -> dict[str, float]:
    counts = Counter(state for _, state, _ in tasks if state is not None)
    return {name: float(counts[name]) for name in {*STATES.values(), *counts}}


def expected_errors(tasks) -> dict[str, float]:
    counts = Counter(error for _, _, error in tasks if error not in (None, "None"))
    return {name: float(counts[name]) for name in {*ERRORS.values(), *counts} - {"None"}}


def expected_failures(tasks) -> Counter:
    """Each failed task once, by its error (``unknown`` for the state Error without one)."""
    failures = Counter({name: 0 for name in ERRORS.values() if name != "None"})
    for _, state, error in tasks:
        if error not in (None, "None"):
            failures[error] += 1
        elif state == "Error":
            failures["unknown"] += 1
    return failures


def check_equal(sim, samples: dict) -> None:
    for server in sim.installation.servers:
        tasks = served(sim, server.id)
        assert len(tasks) >= 20
        assert by_label(samples, TASKS, "state", server.id) == expected_states(tasks), server.id
        assert by_label(samples, ERRORS_NOW, "error", server.id) == expected_errors(tasks), server.id


def export_samples(samples: dict) -> dict:
    return {key: got for key, got in samples.items() if key[0] in FAMILIES}


async def test_tasks_by_state_and_error_equal_the_simulators_history(small, exporter_factory) -> None:
    ok, samples = await collect(exporter_factory(make_settings(small.main_url)))
    assert ok
    assert value(samples, "eocortex_collector_success", collector="archive_export") == 1
    check_equal(small, samples)
    for server in small.installation.servers:
        tasks = served(small, server.id)
        # Every state and error occurs in the seeded history.
        assert {state for _, state, _ in tasks} == set(STATES.values())
        assert {error for _, _, error in tasks} == set(ERRORS.values())
        failures = by_label(samples, FAILURES, "error", server.id)
        assert failures == {name: float(count) for name, count in expected_failures(tasks).items()}


async def test_a_new_failed_task_is_counted_once(small, exporter_factory) -> None:
    server = small.installation.servers[0].id
    exporter = exporter_factory(make_settings(small.main_url))
    ok, before = await collect(exporter)
    assert ok
    first = by_label(before, FAILURES, "error", server)
    task_id = small.installation.add_export_task(server, state="Error", error="NotEnoughSpace")
    assert (task_id, "Error", "NotEnoughSpace") in served(small, server)
    ok, after = await collect(exporter)
    assert ok
    second = by_label(after, FAILURES, "error", server)
    assert second["NotEnoughSpace"] == first["NotEnoughSpace"] + 1
    assert {k: v for k, v in second.items() if k != "NotEnoughSpace"} == {
        k: v for k, v in first.items() if k != "NotEnoughSpace"
    }
    check_equal(small, after)
    ok, again = await collect(exporter)
    assert ok
    assert by_label(again, FAILURES, "error", server) == second, "the task was counted again"
    # The other server did not move.
    other = small.installation.servers[1].id
    assert by_label(again, FAILURES, "error", other) == by_label(before, FAILURES, "error", other)


async def test_tasks_that_fail_as_the_clock_moves_are_counted_once_each(
    small, exporter_factory, clock
) -> None:
    server = small.installation.servers[0].id
    exporter = exporter_factory(make_settings(small.main_url))
    ok, samples = await collect(exporter)
    assert ok
    counted = {task_id for task_id, state, error in served(small, server) if state == "Error"}
    previous = by_label(samples, FAILURES, "error", server)
    newly_failed: Counter = Counter()
    for _ in range(12):  # 40 minutes a step: a new task each, and older ones reaching their outcome
        clock.advance(40 * 60)
        ok, samples = await collect(exporter)
        assert ok
        check_equal(small, samples)
        step: Counter = Counter()
        for task_id, state, error in served(small, server):
            if state == "Error" and task_id not in counted:
                counted.add(task_id)
                step[error] += 1
        now = by_label(samples, FAILURES, "error", server)
        assert {error: now[error] - previous.get(error, 0) for error in now} == {
            error: float(step[error]) for error in now
        }
        previous = now
        newly_failed += step
    assert sum(newly_failed.values()) >= 2, "no task failed while the clock moved"


async def test_enums_as_text_give_the_same_series(small, exporter_factory) -> None:
    ok, as_codes = await collect(exporter_factory(make_settings(small.main_url)))
    assert ok
    small.installation.set_variants(enums_as_text=True)
    text = small.installation.export_tasks(small.installation.servers[0].id)[0]
    assert isinstance(text["State"], str) and " - " in text["State"]
    ok, as_text = await collect(exporter_factory(make_settings(small.main_url)))
    assert ok
    assert export_samples(as_text) == export_samples(as_codes)
    assert series(as_text, "eocortex_api_unknown_values_total", endpoint=ENDPOINT) == {}


@pytest.mark.parametrize("enums_as_text", [False, True], ids=["codes", "text"])
async def test_unknown_values_appear_as_reported_and_are_counted(
    clock, exporter_factory, enums_as_text
) -> None:
    variants = Variants(unknown_values=True, enums_as_text=enums_as_text)
    async with running_simulator(sim_config(clock, cameras=20, variants=variants)) as sim:
        exporter = exporter_factory(make_settings(sim.main_url))
        ok, samples = await collect(exporter)
        tasks = {server.id: served(sim, server.id) for server in sim.installation.servers}
        check_equal(sim, samples)
        ok_again, again = await collect(exporter)
    assert ok and ok_again
    unknown_states = unknown_errors = 0
    for server_id, listed in tasks.items():
        states = {state for _, state, _ in listed} - set(STATES.values())
        errors = {error for _, _, error in listed} - set(ERRORS.values())
        assert states == {"Paused" if enums_as_text else "7"}
        assert errors == {"ArchiveNotFound" if enums_as_text else "4"}
        unknown_states += sum(1 for _, state, _ in listed if state in states)
        unknown_errors += sum(1 for _, _, error in listed if error in errors)
        for state in states:
            assert value(samples, TASKS, server_id=server_id, state=state) >= 1
        for error in errors:
            assert value(samples, ERRORS_NOW, server_id=server_id, error=error) >= 1
            assert value(samples, FAILURES, server_id=server_id, error=error) >= 1
    # Counted on every read.
    assert (
        value(samples, "eocortex_api_unknown_values_total", endpoint=ENDPOINT, field="State")
        == unknown_states
    )
    assert (
        value(samples, "eocortex_api_unknown_values_total", endpoint=ENDPOINT, field="Error")
        == unknown_errors
    )
    assert (
        value(again, "eocortex_api_unknown_values_total", endpoint=ENDPOINT, field="State")
        == 2 * unknown_states
    )
    assert series(samples, "eocortex_api_parse_errors_total", endpoint=ENDPOINT) == {}


@pytest.mark.parametrize("echo", ["zero_based", "one_based"])
async def test_small_pages_still_find_every_task(clock, exporter_factory, echo) -> None:
    async with running_simulator(sim_config(clock, cameras=20, variants=Variants(page_echo=echo))) as sim:
        for server in sim.installation.servers:
            sim.installation.add_export_task(server.id, state="Error", error="FileLocked")
        settings = make_settings(sim.main_url, collectors={"archive_export": {"page_size": 3}})
        ok, samples = await collect(exporter_factory(settings))
        check_equal(sim, samples)
        pages = [entry for entry in sim.request_log if entry.template == ENDPOINT]
        totals = {server.id: len(served(sim, server.id)) for server in sim.installation.servers}
    assert ok
    for server_id, total in totals.items():
        asked = [dict(entry.params) for entry in pages if entry.server_id == server_id]
        assert all(params["size"] == "3" for params in asked)
        # Enough pages to see every task, and a bounded number of them.
        assert (total + 2) // 3 <= len(asked) <= (total + 2) // 3 + 3
        assert asked[0]["page"] == "0"
        assert sum(by_label(samples, TASKS, "state", server_id).values()) == total


async def test_the_listing_is_asked_with_post(small, exporter_factory) -> None:
    ok, _ = await collect(exporter_factory(make_settings(small.main_url)))
    assert ok
    asked = [entry for entry in small.request_log if entry.template == ENDPOINT]
    assert sorted({entry.server_id for entry in asked}) == sorted(s.id for s in small.installation.servers)
    assert {(entry.method, entry.status) for entry in asked} == {("POST", 200)}


async def test_a_legacy_server_gives_no_export_series_and_is_not_a_failure(small, exporter_factory) -> None:
    other = next(server.id for server in small.installation.servers if not server.is_main)
    small.installation.set_legacy(other)
    ok, samples = await collect(exporter_factory(make_settings(small.main_url)))
    assert ok
    assert value(samples, "eocortex_collector_success", collector="archive_export") == 1
    assert value(samples, "eocortex_endpoint_supported", server_id=other, endpoint=ENDPOINT) == 0
    for name in FAMILIES:
        assert series(samples, name, server_id=other) == {}
    main = small.installation.main_server.id
    assert by_label(samples, TASKS, "state", main) == expected_states(served(small, main))
    # Asked as printed (POST), then with GET, before it is taken as missing.
    asked = [(entry.method, entry.status) for entry in small.request_log if entry.template == ENDPOINT]
    legacy = [
        (entry.method, entry.status)
        for entry in small.request_log
        if entry.template == ENDPOINT and entry.server_id == other
    ]
    assert legacy == [("POST", 404), ("GET", 404)]
    assert ("POST", 200) in asked


async def test_a_server_refusing_post_is_asked_with_get(clock, exporter_factory) -> None:
    async with running_simulator(sim_config(clock, servers=1, cameras=5)) as sim:
        server = sim.installation.main_server.id
        # A seeded share of the listing's requests answers 405: find a run in which the POST was refused
        # and the GET that followed was answered (each exporter starts with POST).
        sim.faults.set_error_rate(ENDPOINT, 0.5, status=405)
        for _ in range(20):
            sim.request_log.clear()
            exporter = exporter_factory(make_settings(sim.main_url))
            ok, samples = await collect(exporter)
            asked = [(e.method, e.status) for e in sim.request_log if e.template == ENDPOINT]
            if asked[:2] == [("POST", 405), ("GET", 200)]:
                break
        else:
            pytest.fail("no run had its POST refused and its GET answered")
        assert ok
        assert asked == [("POST", 405), ("GET", 200)]
        assert by_label(samples, TASKS, "state", server) == expected_states(served(sim, server))
        assert value(samples, "eocortex_endpoint_supported", server_id=server, endpoint=ENDPOINT) == 1
        # The method that worked is the one asked from then on.
        sim.faults.set_error_rate(ENDPOINT, 0)
        sim.request_log.clear()
        ok, samples = await collect(exporter)
        assert ok
        assert [(e.method, e.status) for e in sim.request_log if e.template == ENDPOINT] == [("GET", 200)]
        assert by_label(samples, TASKS, "state", server) == expected_states(served(sim, server))


@pytest.mark.parametrize("as_strings", [False, True], ids=["booleans", "strings"])
async def test_licence_max_clients_only_where_limited(small, exporter_factory, as_strings) -> None:
    small.installation.set_variants(booleans_as_strings=as_strings)
    ok, samples = await collect(exporter_factory(make_settings(small.main_url)))
    assert ok
    limited = 0
    for server in small.installation.servers:
        licence = small.installation.license(server.id)
        flag = value(samples, "eocortex_license_max_clients_limited", server_id=server.id)
        found = series(samples, "eocortex_license_max_clients", server_id=server.id)
        limits = licence["IsMaxClientsLimited"] in (True, "true")
        assert isinstance(licence["IsMaxClientsLimited"], str) == as_strings
        assert flag == float(limits)
        if limits:
            limited += 1
            assert list(found.values()) == [licence["MaxClients"]]
            assert licence["MaxClients"] > 0
        else:
            assert found == {}, "an unlimited licence's MaxClients is no limit"
    assert 0 < limited < len(small.installation.servers)
