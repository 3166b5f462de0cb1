"""`backfill` as a person watching it sees it: progress with its unit, rate and ETA (a bar on a terminal,
plain lines elsewhere), a line per failed interval naming the server, a summary grouping the failures by
kind, and exit codes that tell a wrong request (2) from intervals that failed (1)."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import re
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from conftest import MONITOR, make_settings
from test_cli import free_port, run_cli
from test_parquet import DAY_START

from eocexporter.backfill import backfill
from eocexporter.parquet.backfill import (
    FAILED,
    GIVE_UP_AFTER,
    GIVEN_UP,
    UNIT_EXPLAINED,
    Progress,
    error_kind,
)

OBJECT_REPORT = "api/objects_counting/report"
VISITOR_REPORT = "api/unique_visitor/report"
# Two hours of 15-minute intervals of both datasets on both simulated servers.
WINDOW = (DAY_START, DAY_START + timedelta(hours=2))
INTERVALS = 8 * 2 * 2
PLAIN = re.compile(
    r"backfill: (\d+)/(\d+) intervals \((\d+)%\), [\d.]+ intervals/s, (ETA \d\d:\d\d|took \d\d:\d\d)"
)


class Terminal(io.StringIO):
    """What backfill writes to when stderr is a terminal."""

    def isatty(self) -> bool:
        return True


class FakeClock:
    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self) -> float:
        return self.seconds


def plain_lines(text: str) -> list[re.Match[str]]:
    return [match for line in text.splitlines() if (match := PLAIN.fullmatch(line))]


async def test_off_a_terminal_progress_is_a_line_per_tenth_with_rate_eta_and_unit(
    sim, clock, tmp_path: Path
) -> None:
    clock.set(DAY_START + timedelta(days=1))
    stream = io.StringIO()
    settings = make_settings(sim.main_url, parquet={"root": str(tmp_path), "grace": "1m"})
    result = await backfill(settings, *WINDOW, now=clock.now, progress_stream=stream)
    assert (result.written, result.failed) == (INTERVALS, 0)
    text = stream.getvalue()
    assert "\r" not in text  # no bar in a log
    first = text.splitlines()[0]
    assert first == (
        f"backfill: {INTERVALS} intervals to fetch, 0 already present ({UNIT_EXPLAINED}; "
        "eoc: 8 report intervals of 15m x 2 dataset(s) x 2 server(s))"
    )
    lines = plain_lines(text)
    done = [int(line[1]) for line in lines]
    assert len(lines) == 10 and done == sorted(set(done)) and done[-1] == INTERVALS  # one per tenth
    assert {int(line[2]) for line in lines} == {INTERVALS}
    assert all(line[4].startswith("ETA") for line in lines[:-1]) and lines[-1][4].startswith("took")
    assert lines[-1][3] == "100"


def test_plain_lines_come_per_tenth_and_after_a_quiet_spell_with_exact_rate_and_eta() -> None:
    stream, now = io.StringIO(), FakeClock()
    progress = Progress(1000, stream, every=30, clock=now)
    now.seconds = 5
    for _ in range(99):
        progress.advance()
    assert stream.getvalue() == ""  # under a tenth, under 30 s: quiet
    now.seconds = 10
    progress.advance()
    now.seconds = 45  # 35 s without a line: one, though no new tenth was reached
    progress.advance()
    assert stream.getvalue().splitlines() == [
        "backfill: 100/1000 intervals (10%), 10.0 intervals/s, ETA 01:30",
        "backfill: 101/1000 intervals (10%), 2.2 intervals/s, ETA 06:40",  # 899 / (101 / 45 s)
    ]
    progress.line("backfill: failed: a line that stays")
    now.seconds = 60  # 15 s after the last line: only the tenths
    for _ in range(899):
        progress.advance()
    lines = stream.getvalue().splitlines()
    assert lines[2] == "backfill: failed: a line that stays"
    assert len(lines) == 3 + 9  # 20% ... 100%
    assert lines[-1] == "backfill: 1000/1000 intervals (100%), 16.7 intervals/s, took 01:00"


async def test_on_a_terminal_a_bar_with_rate_and_eta_and_failure_lines_above_it(
    sim, clock, tmp_path: Path
) -> None:
    clock.set(DAY_START + timedelta(days=1))
    sim.faults.set_error_rate(OBJECT_REPORT, 1.0, 500)
    terminal = Terminal()
    settings = make_settings(sim.main_url, parquet={"root": str(tmp_path), "grace": "1m"})
    result = await backfill(settings, *WINDOW, now=clock.now, progress_stream=terminal)
    assert (result.written, result.failed) == (INTERVALS // 2, INTERVALS // 2)
    text = terminal.getvalue()
    assert not plain_lines(text)
    bars = re.findall(
        r"backfill: +\d+%\|[^|]*\| (\d+)/(\d+) intervals \[(\S+)<(\S+), +(\S+) intervals/s\]", text
    )
    assert bars and bars[-1][:2] == (str(INTERVALS), str(INTERVALS))
    assert all(re.fullmatch(r"\d\d:\d\d|\?", eta) for *_, eta, _ in bars)  # time left
    assert any(re.fullmatch(r"[\d.]+", rate) for *_, rate in bars)  # a rate once one is known
    # Each failure line is a line of its own: the bar is cleared before it and drawn again after it.
    failures = [line for line in re.split(r"[\r\n]", text) if line.startswith(f"backfill: {FAILED}: ")]
    assert len(failures) == INTERVALS // 2
    assert all(", object_counts 2026" in line and OBJECT_REPORT in line for line in failures)


async def test_each_failure_names_its_server_and_the_summary_groups_them_by_kind(
    sim, clock, tmp_path: Path
) -> None:
    clock.set(DAY_START + timedelta(days=1))
    main = next(server for server in sim.installation.servers if server.is_main)
    other = next(server for server in sim.installation.servers if not server.is_main)
    sim.faults.set_error_rate(OBJECT_REPORT, 1.0, 500)
    sim.faults.set_malformed(VISITOR_REPORT)  # a body whose length differs from interval to interval
    await sim.faults.server_down(other.id, "refuse")
    stream = io.StringIO()
    settings = make_settings(
        sim.main_url,
        target={"username": MONITOR.login, "password": MONITOR.password, "auth": "query"},
        parquet={"root": str(tmp_path), "grace": "1m"},
    )
    result = await backfill(settings, *WINDOW, now=clock.now, progress_stream=stream)
    assert (result.written, result.skipped, result.unanswerable, result.failed) == (0, 0, 0, INTERVALS)
    text = stream.getvalue()
    failures = [line for line in text.splitlines() if line.startswith(f"backfill: {FAILED}: ")]
    # The down server is asked about GIVE_UP_AFTER intervals of each dataset, then given up on: one line
    # says so, and its later intervals fail without a line (and without a request) each.
    per_dataset = INTERVALS // 4
    not_asked = 2 * (per_dataset - GIVE_UP_AFTER)
    assert len(failures) == INTERVALS - not_asked
    # target, server (id, name, address), dataset, interval, reason
    down = f"target eoc, server {other.id} ('{other.name}', {sim.url(other.id)}), "
    up = f"target eoc, server {main.id} ('{main.name}', {sim.url(main.id)}), "
    interval = r"\d{8}T\d{4}Z-\d{8}T\d{4}Z"
    assert sum(line.startswith(f"backfill: {FAILED}: {down}") for line in failures) == 2 * GIVE_UP_AFTER
    given_up = [line for line in text.splitlines() if line.startswith("backfill: giving up on ")]
    assert sorted(given_up) == sorted(
        f"backfill: giving up on {down[:-2]}: no answer to {GIVE_UP_AFTER} {dataset} intervals in a row; its "
        f"{per_dataset - GIVE_UP_AFTER} later ones are not asked (run backfill again once it answers)"
        for dataset in ("object_counts", "visitor_reports")
    )
    assert all(
        re.fullmatch(
            rf"(object_counts|visitor_reports) {interval}: \S+: cannot connect .+", line.split(down)[1]
        )
        for line in failures
        if down in line
    )
    assert any(
        re.fullmatch(
            rf"object_counts {interval}: {OBJECT_REPORT}: HTTP 500 \(Simulated failure\) after 3 attempts",
            line.split(up)[1],
        )
        for line in failures
        if up in line
    )
    # Kinds: the up server's two (the byte counts of the broken bodies differ, the kind does not), each 8
    # intervals: a server that answers, if with an error, is asked about every interval; the down server's,
    # one per endpoint it could not reach, GIVE_UP_AFTER each; and those not asked.
    kinds = {kind: problem.count for (outcome, kind), problem in result.problems.items() if outcome == FAILED}
    assert sum(kinds.values()) == INTERVALS
    assert kinds[f"{OBJECT_REPORT}: HTTP 500 (Simulated failure) after N attempts"] == per_dataset
    assert kinds[f"{VISITOR_REPORT}: response is not valid JSON (N bytes)"] == per_dataset
    assert kinds.pop(GIVEN_UP) == not_asked
    assert len({line.rsplit("(", 1)[1] for line in failures if "not valid JSON" in line}) > 1
    assert [count for kind, count in kinds.items() if "cannot connect" in kind] == [GIVE_UP_AFTER] * 2
    summary = result.summary()
    assert summary[0] == (
        f"backfill: 0 written, 0 already present, 0 the API cannot be asked about, {INTERVALS} failed "
        f"(intervals: {UNIT_EXPLAINED})"
    )
    assert summary[1:] == [
        f"backfill: {FAILED} {problem.count} times, the first: {problem.first}"
        for problem in result.problems.values()
    ]
    # The first of each kind is the first failure line of that kind, in full.
    for (_, kind), problem in result.problems.items():
        if kind == GIVEN_UP:
            assert problem.first.startswith(down) and problem.first.endswith(f": {GIVEN_UP}")
            continue
        first = next(line for line in failures if error_kind(line.split(": ", 3)[3]) == kind)
        assert first == f"backfill: {FAILED}: {problem.first}"
    md5 = hashlib.md5(MONITOR.password.encode()).hexdigest()
    everything = text + "\n".join(summary)
    assert MONITOR.password not in everything and md5 not in everything.lower()


async def test_a_server_that_does_not_answer_is_given_up_on_and_a_second_run_fetches_the_rest(
    sim, clock, tmp_path: Path
) -> None:
    # A day of intervals of a server that accepts connections and never answers would cost a timeout
    # each (hours over a month at the default 10 s x 4 attempts); after GIVE_UP_AFTER in a row, the rest
    # of its intervals of that dataset are failed without a request.
    clock.set(DAY_START + timedelta(days=1))
    other = next(server for server in sim.installation.servers if not server.is_main)
    settings = make_settings(
        sim.main_url,
        target={"request_timeout": 0.2, "retries": 0},
        parquet={"root": str(tmp_path), "grace": "1m"},
    )
    day = (DAY_START, DAY_START + timedelta(days=1))
    per_server = 96 * 2  # both datasets
    before = sim.faults.state()
    await sim.faults.server_down(other.id, "hang")
    try:
        stream = io.StringIO()
        first = await backfill(settings, *day, now=clock.now, progress_stream=stream)
    finally:
        await sim.faults.server_up(other.id)
    assert (first.written, first.failed) == (per_server, per_server)
    timed_out = [line for line in stream.getvalue().splitlines() if "timed out after 0.2s" in line]
    assert len(timed_out) == 2 * GIVE_UP_AFTER
    assert first.problems[(FAILED, GIVEN_UP)].count == per_server - 2 * GIVE_UP_AFTER
    assert sum(line.startswith("backfill: giving up on ") for line in stream.getvalue().splitlines()) == 2
    assert sim.faults.state() == before  # the server is up again

    second = await backfill(settings, *day, now=clock.now, progress_stream=io.StringIO())
    assert (second.written, second.skipped, second.failed) == (per_server, per_server, 0)


def test_error_kinds_keep_the_status_and_drop_what_varies() -> None:
    assert error_kind("api/x: HTTP 503 (busy) after 4 attempts") == "api/x: HTTP 503 (busy) after N attempts"
    assert error_kind("api/x: response is not valid JSON (791 bytes)") == error_kind(
        "api/x: response is not valid JSON (398 bytes)"
    )
    assert (
        error_kind("server 4b117918-e0f3-46c8-9304-0e1c0fbce13d is not polled") == "server <id> is not polled"
    )


async def test_exit_2_for_a_wrong_request_or_configuration_1_when_discovery_fails(tmp_path: Path) -> None:
    gone = f"http://127.0.0.1:{free_port()}"
    target = f"targets:\n- {{name: shop, url: '{gone}', request_timeout: 1s, retries: 0}}\n"
    without_root, with_root = tmp_path / "without-root.yml", tmp_path / "with-root.yml"
    without_root.write_text(target, encoding="utf-8")
    with_root.write_text(target + f"parquet: {{root: '{tmp_path / 'parquet'}'}}\n", encoding="utf-8")
    window = ("--from", "2026-11-01T00:00+03:00", "--to", "2026-11-01T01:00+03:00")
    (no_root, no_target, unreachable) = await asyncio.gather(
        run_cli("backfill", "--config", str(without_root), *window),
        run_cli("backfill", "--config", str(with_root), "--target", "nope", *window),
        run_cli("backfill", "--config", str(with_root), *window),
    )
    assert no_root[0] == 2, no_root[2].decode()
    assert "parquet.root is not set" in no_root[2].decode()
    assert no_target[0] == 2, no_target[2].decode()
    assert "no target named 'nope' in the configuration" in no_target[2].decode()
    assert unreachable[0] == 1, unreachable[2].decode()  # a runtime failure, not a wrong request
    assert "target shop: discovery" in unreachable[2].decode()


def backfill_command(sim, clock, tmp_path: Path) -> tuple[str, ...]:
    """``backfill`` of the hour that ended an hour ago, as the command in its own process runs it: on the
    real clock, which the simulator then follows."""
    real_now = datetime.now(UTC)
    clock.set(real_now)
    start = real_now.replace(minute=real_now.minute // 15 * 15, second=0, microsecond=0) - timedelta(hours=2)
    config = tmp_path / "config.yml"
    config.write_text(
        f"targets:\n- {{name: shop, url: '{sim.main_url}', username: {MONITOR.login}, "
        f"password: '{MONITOR.password}', timezone: Europe/Moscow, retries: 0}}\n"
        f"parquet: {{root: '{tmp_path / 'parquet'}'}}\n",
        encoding="utf-8",
    )
    window = ("--from", start.isoformat(), "--to", (start + timedelta(hours=1)).isoformat())
    return ("backfill", "--config", str(config), *window)


async def test_exit_1_when_intervals_failed_then_0_once_a_second_run_fetched_them(
    sim, clock, tmp_path: Path
) -> None:
    args = backfill_command(sim, clock, tmp_path)
    sim.faults.set_error_rate(OBJECT_REPORT, 1.0, 500)
    code, _, stderr = await run_cli(*args)
    text = stderr.decode()
    assert code == 1, text
    assert "backfill: 8 written, 0 already present, 0 the API cannot be asked about, 8 failed" in text
    assert f"backfill: {FAILED} 8 times, the first: target shop, server " in text
    assert plain_lines(text)[-1][0].startswith("backfill: 16/16 intervals (100%)")
    sim.faults.set_error_rate(OBJECT_REPORT, 0)
    code, _, stderr = await run_cli(*args)
    text += stderr.decode()
    assert code == 0, stderr.decode()
    assert "backfill: 8 written, 8 already present, 0 the API cannot be asked about, 0 failed" in text
    assert "s3cret" not in text


async def test_under_json_logs_every_line_is_a_record_and_failures_say_what_they_are_about(
    sim, clock, tmp_path: Path
) -> None:
    # A backfill Job feeding a log pipeline: progress, failure lines and the summary are JSON records too.
    sim.faults.set_error_rate(OBJECT_REPORT, 1.0, 500)
    code, _, stderr = await run_cli(*backfill_command(sim, clock, tmp_path), "--log-format", "json")
    lines = stderr.decode().splitlines()
    assert code == 1, lines
    records = [json.loads(line) for line in lines]  # every line, or this raises
    messages = [record["message"] for record in records]
    assert messages[0].startswith("backfill: 16 intervals to fetch, 0 already present")
    assert any(PLAIN.fullmatch(message) and "16/16" in message for message in messages)
    failed = [record for record in records if record["message"].startswith(f"backfill: {FAILED}: ")]
    servers = {server.id for server in sim.installation.servers}
    assert len(failed) == 8
    assert all(
        record["level"] == "warning"
        and record["target"] == "shop"
        and record["server_id"] in servers
        and record["dataset"] == "object_counts"
        for record in failed
    )
    summary = next(record for record in records if record["message"].startswith("backfill: 8 written"))
    assert summary["level"] == "warning"  # not complete
    assert records[-1]["message"].startswith(f"backfill: {FAILED} 8 times, the first: target shop, ")
    assert MONITOR.password not in stderr.decode()


async def test_a_target_that_cannot_be_reached_costs_the_others_nothing(sim, clock, tmp_path: Path) -> None:
    clock.set(WINDOW[1] + timedelta(hours=1))
    gone = f"http://127.0.0.1:{free_port()}"
    settings = make_settings(sim.main_url, parquet={"root": str(tmp_path / "parquet")})
    settings = settings.model_copy(
        update={
            "targets": [
                *settings.targets,
                settings.targets[0].model_copy(update={"name": "gone", "url": gone, "retries": 0}),
            ]
        }
    )
    stream = io.StringIO()
    result = await backfill(settings, *WINDOW, now=clock.now, progress_stream=stream)
    assert (result.written, result.failed) == (INTERVALS, 0)  # every interval of the reachable target
    assert not result.complete
    assert len(result.unreached_targets) == 1
    assert result.unreached_targets[0].startswith("target gone: discovery: configure/servers: cannot connect")
    assert result.summary()[-1].startswith("backfill: not backfilled, discovery failed: target gone: ")


async def test_ctrl_c_is_one_line_and_exit_130_and_keeps_what_was_written(sim, clock, tmp_path: Path) -> None:
    real_now = datetime.now(UTC)
    clock.set(real_now)  # the command runs on the real clock: the simulator follows it
    start = real_now.replace(minute=real_now.minute // 15 * 15, second=0, microsecond=0) - timedelta(hours=4)
    config = tmp_path / "config.yml"
    config.write_text(
        f"targets:\n- {{name: shop, url: '{sim.main_url}', timezone: Europe/Moscow}}\n"
        f"parquet: {{root: '{tmp_path / 'parquet'}'}}\n",
        encoding="utf-8",
    )
    sim.faults.set_latency(0.5)  # long enough to be interrupted halfway
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "eocexporter", "backfill", "--config", str(config)),
        *("--from", start.isoformat(), "--to", (start + timedelta(hours=3)).isoformat()),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    lines: list[str] = []
    async with asyncio.timeout(60):
        # Interrupted once it has said what it will fetch, i.e. while it fetches.
        while not any("intervals to fetch" in line for line in lines):
            line = await process.stderr.readline()
            assert line, f"backfill ended before it began: {lines}"
            lines.append(line.decode())
        process.send_signal(signal.SIGINT)
        rest = await process.stderr.read()
        await process.wait()
    text = "".join(lines) + rest.decode()
    assert process.returncode == 130, text
    assert "Traceback" not in text
    assert text.rstrip().splitlines()[-1] == "eocexporter: backfill: interrupted; what was written is kept"
    sim.faults.set_latency(0)
    # What it wrote is whole: the same command resumes and finishes.
    code, _, stderr = await run_cli(
        "backfill", "--config", str(config), "--from", start.isoformat(),
        "--to", (start + timedelta(hours=3)).isoformat(),
    )  # fmt: skip
    assert code == 0, stderr.decode()
