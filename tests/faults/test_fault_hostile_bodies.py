"""Hostile bodies, one endpoint and one body at a time: `null`, `{}`, a string, a number, the wrong type
inside, a lone surrogate in a name, 20 MB, a repeated list (tests/faults/fault_bodies.py builds each from
the server's real answer). Each is counted (a parse error or a failed run) or leaves the output exactly as
it was; none empties an installation while reporting success; the exposition never holds a series twice;
the next clean run succeeds. The Parquet sink never writes a row twice, and never writes rows unlike the
server's without counting why.

tests/test_hostile_input.py pins single cases in detail (a surrogate repaired once, null servers keep the
installation); tests/faults/test_fault_hostile_process.py sends the same bodies to `eocexporter run`.
"""

from __future__ import annotations

import io
from datetime import timedelta

from conftest import make_settings, sim_config
from fault_bodies import (
    DOCUMENTED,
    KINDS,
    POLLED,
    REPORTS,
    Case,
    clear_all,
    data_series,
    duplicate_series,
    first_params,
    mutate_all,
    mutations,
    proxied_target,
    proxies_for,
    real_answers,
)
from fault_harness import compare_rows, total
from helpers import parse_samples, series, value
from test_parquet import DAY_START, pass_at

from eocexporter.backfill import backfill
from eocexporter.simulator import running_simulator

# Two servers, three cameras each: every endpoint is polled, and a 20 MB body per camera stays cheap.
SMALL = {"servers": 2, "cameras": 6}


def installation_size(samples) -> tuple[int, int]:
    return len(series(samples, "eocortex_server_info")), len(series(samples, "eocortex_camera_info"))


async def _case(exporter, proxies, endpoint: str, collectors, kind: str, mutation) -> tuple[Case, list[str]]:
    before = parse_samples(exporter.exposition.body)
    mutate_all(proxies, endpoint, mutation)
    try:
        await exporter.collect_once()
    finally:
        clear_all(proxies)
    exposition = exporter.exposition.body
    after = parse_samples(exposition)
    failed = [c for c in collectors if value(after, "eocortex_collector_success", collector=c) == 0]
    # A value read but not understood (an enum name no one documents) is counted too, as unknown.
    parse_errors = sum(
        total(after, name, endpoint=endpoint) - total(before, name, endpoint=endpoint)
        for name in ("eocortex_api_parse_errors_total", "eocortex_api_unknown_values_total")
    )
    vanished = data_series(before).keys() - data_series(after).keys()
    appeared = data_series(after).keys() - data_series(before).keys()
    if failed:
        case = Case(endpoint, kind, "failed", f"{', '.join(failed)} failed")
    elif parse_errors:
        case = Case(endpoint, kind, "counted", f"{parse_errors:g} parse errors")
    elif data_series(before) == data_series(after):
        case = Case(endpoint, kind, "unchanged")
    else:
        changed = sum(
            1 for key, number in data_series(after).items() if data_series(before).get(key, number) != number
        )
        case = Case(
            endpoint,
            kind,
            "silently changed",
            f"{len(vanished)} series vanished, {len(appeared)} appeared, {changed} changed value",
        )
    wrong = []
    if (duplicates := duplicate_series(exposition)) != 0:
        wrong.append(f"{case}: {duplicates} duplicate series")
    if installation_size(after) != installation_size(before) and not failed:
        wrong.append(
            f"{case}: servers, cameras {installation_size(before)} -> {installation_size(after)} "
            "with success 1"
        )
    if not await exporter.collect_once():
        wrong.append(f"{case}: the next clean run failed")
    return case, wrong


async def test_each_hostile_body_is_counted_or_harmless(clock, exporter_factory) -> None:
    async with running_simulator(sim_config(clock, **SMALL)) as sim, proxies_for(sim) as proxies:
        # Time enough to read a 20 MB answer: the case is its parsing, not a timeout.
        target = {**proxied_target(sim, proxies), "request_timeout": 10}
        exporter = exporter_factory(make_settings(sim.main_url, target=target))
        assert await exporter.collect_once()
        samples = await real_answers(sim, first_params(sim), POLLED)
        cases, wrong = [], []
        for endpoint, collectors in POLLED.items():
            for kind, mutation in mutations(samples[endpoint]).items():
                case, problems = await _case(exporter, proxies, endpoint, collectors, kind, mutation)
                cases.append(case)
                wrong += problems
        assert not exporter.render_failures
    table = "\n".join(map(str, cases))
    print(table)  # every case and its outcome, shown by `pytest -rP`
    assert {case.kind for case in cases} == set(KINDS), table
    assert len(cases) >= 50, table
    # After `null` (or anything else) no installation shrinks while success says 1, and every problem is
    # counted somewhere.
    uncounted = [f"{case}: counted nowhere" for case in cases if case.uncounted_problem]
    assert not wrong and not uncounted, (
        f"{len(wrong)} cases went wrong, problems counted nowhere = {len(uncounted)} of {len(cases)} "
        "cases:\n" + "\n".join(wrong + uncounted) + f"\n\nall cases:\n{table}"
    )


async def test_each_hostile_report_body_is_counted_and_never_doubles_a_row(clock, exporter_factory, tmp_path):
    live, other = tmp_path / "live", tmp_path / "backfilled"
    clock.set(DAY_START + timedelta(minutes=16))
    async with running_simulator(sim_config(clock, **SMALL)) as sim, proxies_for(sim) as proxies:
        target = {**proxied_target(sim, proxies), "request_timeout": 10}
        exporter = exporter_factory(
            make_settings(sim.main_url, target=target, parquet={"root": str(live), "grace": "1m"})
        )
        assert await exporter.collect_once()
        await exporter.write_parquet_once()  # 00:00-00:15, clean
        samples = await real_answers(sim, first_params(sim), REPORTS)
        cases = []
        slot = 1
        for endpoint, dataset in REPORTS.items():
            for kind, mutation in mutations(samples[endpoint]).items():
                start = DAY_START + timedelta(minutes=15 * slot)
                await exporter.publish_now()
                before = parse_samples(exporter.exposition.body)
                mutate_all(proxies, endpoint, mutation)
                try:
                    await pass_at(exporter, clock, start + timedelta(minutes=16))  # that interval is due
                finally:
                    clear_all(proxies)
                await exporter.write_parquet_once()  # an interval that failed is fetched again
                await exporter.publish_now()
                after = parse_samples(exporter.exposition.body)
                counted = sum(
                    total(after, name, **match) - total(before, name, **match)
                    for name, match in (
                        ("eocortex_api_parse_errors_total", {"endpoint": endpoint}),
                        ("eocortex_parquet_fetch_errors_total", {"dataset": dataset}),
                    )
                )
                cases.append((endpoint, dataset, kind, start, counted))
                slot += 1
        result = await backfill(
            make_settings(sim.main_url, parquet={"root": str(other), "grace": "1m"}),
            DAY_START,
            DAY_START + timedelta(minutes=15 * slot),
            now=clock.now,
            progress_stream=io.StringIO(),
        )
        assert result.failed == 0
    report, wrong = [], []
    for endpoint, dataset, kind, start, counted in cases:
        rows = compare_rows(live, other, dataset, start, start + timedelta(minutes=15))
        line = (
            f"{endpoint} <- {kind}: counted {counted:g}, rows {rows.written}/{rows.expected}, "
            f"lost {rows.lost}, duplicates {rows.duplicates}, unlike the server's {rows.unexpected}"
        )
        report.append(line)
        if rows.duplicates:
            wrong.append(line)  # never a key twice, whatever the body
        elif (rows.lost or rows.unexpected) and not counted and (endpoint, kind) not in DOCUMENTED:
            wrong.append(line)  # rows unlike the server's, and nothing says so
    table = "\n".join(report)
    print(table)
    # 8 kinds for each of 2 endpoints, less two for the visitor report: it has no names for a lone
    # surrogate, and no row yet whose numbers "wrong type inside" could turn into text
    assert len(cases) >= 14, table
    assert not wrong, (
        f"{len(wrong)} of {len(cases)} intervals written with a row twice, or unlike the server's "
        "without a count:\n" + "\n".join(wrong) + f"\n\nall cases:\n{table}"
    )


def test_the_documented_readings_are_cases_the_probe_makes() -> None:
    sample = {"Report": [{"Name": "x"}]}
    assert {kind for _, kind in DOCUMENTED} <= set(mutations(sample))
    assert {endpoint for endpoint, _ in DOCUMENTED} <= set(POLLED) | set(REPORTS)


def test_the_bodies_are_what_they_claim() -> None:
    sample = [{"Id": "a", "Name": "b", "Disabled": False, "Port": 8080}]
    bodies = {kind: mutation(sample) for kind, mutation in mutations(sample).items()}
    assert set(bodies) == set(KINDS)
    assert len(bodies["20 MB"]) >= 20 * 2**20
    assert '"Disabled": "maybe"' in bodies["wrong type inside"]
    assert '"Port": "many"' in bodies["wrong type inside"]
    assert '"b \\ud800"' in bodies["lone surrogate"]
    assert bodies["repeated list"].count('"Id": "a"') == 20
