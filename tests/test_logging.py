"""Visible work: the two log formats, debug lines that show each run, file and retry, one level for every
failure of a target, a start-up summary, and no secret in any line at any level (docs/logging.md)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from conftest import MONITOR, make_settings

from eocexporter.logs import configure_logging, duration, startup_summary_lines, without_credentials
from eocexporter.registry import COLLECTORS

STATUS = "api/channels/{id}/status"
# Every wait in this module is bounded by this (a collection against the simulator takes well under 1 s).
BOUND_SECONDS = 60

Configure = Callable[[str, str], io.StringIO]


@pytest.fixture
def configured_logging() -> Iterator[Configure]:
    """configure_logging into a buffer; the root logger's handlers (pytest's capture among them) and
    levels are put back afterwards. The buffer holds exactly what the exporter would print."""
    root, access = logging.getLogger(), logging.getLogger("aiohttp.access")
    saved_handlers, saved_level, saved_access = root.handlers[:], root.level, access.level
    # Taken off first, so that configure_logging's force=True has nothing of pytest's to close.
    root.handlers.clear()

    def configure(level: str, fmt: str) -> io.StringIO:
        stream = io.StringIO()
        configure_logging(level, fmt, stream)
        return stream

    yield configure
    for handler in root.handlers:
        handler.close()
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)
    access.setLevel(saved_access)


def secret_forms(login: str, password: str) -> dict[str, str]:
    """The password as configured, its MD5 hex (sent by internal users) in both cases, and the Basic
    token, each also URL-encoded."""
    digest = hashlib.md5(password.encode("utf-8")).hexdigest()
    token = base64.b64encode(f"{login}:{digest}".encode()).decode("ascii")
    forms = {"password": password, "md5": digest, "MD5": digest.upper(), "basic token": token}
    for name, form in list(forms.items()):
        forms[f"{name}, URL-encoded"] = quote(form, safe="")
        forms[f"{name}, URL-encoded (+ for space)"] = quote_plus(form)
    return forms


# ---- (a) the JSON format --------------------------------------------------------------------------


async def test_json_is_one_object_per_line_and_a_run_line_says_what_it_is_about(
    small, exporter_factory, configured_logging: Configure
) -> None:
    output = configured_logging("DEBUG", "json")
    exporter = exporter_factory(make_settings(small.main_url))
    async with asyncio.timeout(BOUND_SECONDS):
        assert await exporter.collect_once()
    records = [json.loads(line) for line in output.getvalue().splitlines()]
    assert records
    for record in records:
        assert {"time", "level", "logger", "message"} <= record.keys()
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", record["time"])
    runs = [
        record
        for record in records
        if record.get("collector") == "cameras" and "server_id" in record and record["level"] == "debug"
    ]
    assert {record["server_id"] for record in runs} == {server.id for server in small.installation.servers}
    for record in runs:
        assert record["target"] == "eoc"
        assert record["logger"] == "eocexporter.runtime"
        assert re.search(r"cameras collected cameras=\d+ statuses=\d+ in \d+\.\d{3}s", record["message"])
        assert isinstance(record["duration_seconds"], float)


def test_an_exception_is_one_json_line_with_its_error_and_traceback(configured_logging: Configure) -> None:
    output = configured_logging("info", "json")
    log = logging.getLogger("eocexporter.test")
    log.debug("not at info")
    try:
        raise ValueError("two\nlines")
    except ValueError:
        log.exception("it broke", extra={"target": "eoc", "collector": "cameras"})
    (line,) = output.getvalue().splitlines()
    record = json.loads(line)
    assert record["level"] == "error"
    assert record["message"] == "it broke"
    assert (record["target"], record["collector"]) == ("eoc", "cameras")
    assert "server_id" not in record  # only what the line is about
    assert record["error"] == "ValueError: two lines"
    assert record["traceback"].startswith("Traceback (most recent call last):")


def test_the_text_format_is_unchanged(configured_logging: Configure) -> None:
    output = configured_logging("warning", "text")
    logging.getLogger("eocexporter.test").info("not at warning")
    logging.getLogger("eocexporter.test").warning("target eoc: hello", extra={"target": "eoc"})
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} WARNING eocexporter\.test: target eoc: hello\n",
        output.getvalue(),
    )
    # A scrape per request in aiohttp's access log would drown everything else.
    assert logging.getLogger("aiohttp.access").getEffectiveLevel() == logging.WARNING


def test_an_unknown_format_is_refused(configured_logging: Configure) -> None:
    with pytest.raises(ValueError, match="unknown log format 'xml'"):
        configured_logging("info", "xml")


# ---- (b) debug shows the work, and no secret ----------------------------------------------------------


@pytest.mark.parametrize("auth", ["basic", "query"])
async def test_debug_shows_runs_files_and_retries_and_never_a_secret(
    sim, exporter_factory, configured_logging: Configure, tmp_path: Path, auth: str
) -> None:
    # Some status requests fail with 500 and are retried; in query authentication every request's URL
    # carries the password's MD5, which is exactly what a retry line must not print.
    sim.faults.set_error_rate(STATUS, 0.2)
    root = tmp_path / "parquet"
    settings = make_settings(
        sim.main_url,
        target={"username": MONITOR.login, "password": MONITOR.password, "auth": auth},
        parquet={"root": str(root)},
    )
    output = configured_logging("debug", "text")
    exporter = exporter_factory(settings)
    async with asyncio.timeout(BOUND_SECONDS):
        await exporter.collect_once()
        await exporter.write_parquet_once()
    text = output.getvalue()
    for name, form in secret_forms(MONITOR.login, MONITOR.password).items():
        assert form not in text, f"the {name} is in the log"
    servers = "|".join(re.escape(server.id) for server in sim.installation.servers)

    # Each collector's run, per server with its counts and as a whole.
    assert re.search(rf"target eoc, server ({servers}): licenses collected .+ in \d+\.\d{{3}}s", text)
    # (Not cameras: a server whose status requests failed three times in a row collected nothing.)
    assert re.search(rf"target eoc, server ({servers}): object_counting collected zones=\d+ in", text)
    assert re.search(r"target eoc: cameras run: \d server\(s\) collected, \d failed, in \d+\.\d{3}s", text)
    assert re.search(r"target eoc: discovery: 2 server\(s\), main server \S+ \(found by address\)", text)
    # Each Parquet file, by its path under the root, with its rows.
    assert re.search(
        rf"parquet: wrote {re.escape(str(root))}/\w+/date=[\d-]+/\S+\.parquet \(\d+ row\(s\)\)",
        text,
    )
    # Each retry: the route template and the server's address, the attempt, the reason, the pause.
    assert re.search(
        r"target eoc: api/channels/\{id\}/status at http://127\.0\.0\.1:\d+: attempt 1 of 3 failed "
        r"\(HTTP 500[^)]*\)+; retrying in \d\.\d{3}s",
        text,
    )


# ---- (c) one level for every failure of a target -------------------------------------------------------


def discovery_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.name == "eocexporter.runtime"
        and getattr(record, "collector", None) == "discovery"
        and re.search(r"discovery (failed|recovered)", record.getMessage())
    ]


async def test_refused_credentials_and_an_unreachable_server_are_logged_alike_once_each(
    sim, exporter_factory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    refused = exporter_factory(
        make_settings(sim.main_url, target={"username": MONITOR.login, "password": "wrong-password"})
    )
    async with asyncio.timeout(BOUND_SECONDS):
        assert not await refused.collect_once()
    (auth_failure,) = discovery_lines(caplog)
    assert "HTTP 401" in auth_failure.getMessage()
    caplog.clear()

    unreachable = exporter_factory(
        make_settings(sim.main_url, target={"username": MONITOR.login, "password": MONITOR.password})
    )
    await sim.faults.server_down(sim.installation.main_server.id, "refuse")
    async with asyncio.timeout(BOUND_SECONDS):
        assert not await unreachable.collect_once()
        assert not await unreachable.collect_once()
        await sim.faults.server_up(sim.installation.main_server.id)
        assert await unreachable.collect_once()
    started, repeated, recovered = discovery_lines(caplog)
    assert "cannot connect" in started.getMessage()

    # Both are conditions of the target, logged at one level; said when it starts and when it clears,
    # and only at debug while it lasts.
    assert auth_failure.levelno == started.levelno == logging.WARNING
    assert repeated.levelno == logging.DEBUG
    assert recovered.levelno == logging.INFO
    assert recovered.getMessage() == "target eoc: discovery recovered"


# ---- (d) the start-up summary --------------------------------------------------------------------------


def test_the_startup_summary_names_targets_collectors_parquet_and_listen(tmp_path: Path) -> None:
    settings = make_settings(
        "http://10.0.0.5:8080",
        target={"username": MONITOR.login, "password": MONITOR.password},
        collectors={
            "cameras": {"interval": "30s"},
            "licenses": {"interval": "5m"},
            "databases": {"enabled": False},
        },
        parquet={"root": str(tmp_path)},
        listen="127.0.0.1:9999",
    )
    # The configuration refuses a URL with credentials; the summary would strip them all the same.
    target = settings.targets[0].model_copy(
        update={"url": "http://monitor:pw-in-url@10.0.0.5:8080?password=x"}
    )
    lines = startup_summary_lines(settings.model_copy(update={"targets": [target]}))

    assert lines[0] == (
        "target eoc: http://10.0.0.5:8080 as monitor (basic authentication, internal user), "
        "time zone Europe/Moscow"
    )
    (collectors,) = [line for line in lines if line.startswith("collectors: ")]
    assert collectors.startswith("collectors: discovery every 15s, ")
    assert "cameras every 30s" in collectors and "licenses every 5m" in collectors
    assert collectors.endswith("; off: databases")
    named = re.findall(r"(\w+) every ", collectors)
    assert named == ["discovery"] + [entry.name for entry in COLLECTORS if entry.name != "databases"]
    assert f"parquet: writing to {tmp_path} (report intervals of 15m, checked every 30s)" in lines
    assert lines[-1] == "listen: 127.0.0.1:9999"
    summary = "\n".join(lines)
    for secret in (*secret_forms(MONITOR.login, MONITOR.password).values(), "pw-in-url", "password="):
        assert secret not in summary


def test_the_startup_summary_without_targets_or_parquet() -> None:
    lines = startup_summary_lines(make_settings("http://10.0.0.5").model_copy(update={"targets": []}))
    assert lines[0] == "targets: none; serving only the exporter's own metrics"
    assert "parquet: off" in lines
    assert lines[-1] == "listen: 0.0.0.0:10070"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:pass@eoc.example:8443/base?password=1#x", "https://eoc.example:8443/base"),
        ("http://[::1]:8080", "http://[::1]:8080"),
        ("s3://KEY:SECRET@bucket/prefix", "s3://bucket/prefix"),
    ],
)
def test_urls_are_shown_without_credentials(url: str, shown: str) -> None:
    assert without_credentials(url) == shown


@pytest.mark.parametrize(
    ("seconds", "shown"), [(15, "15s"), (90, "90s"), (300, "5m"), (3600, "1h"), (2.5, "2.5s")]
)
def test_durations_are_shown_as_the_configuration_spells_them(seconds: float, shown: str) -> None:
    assert duration(seconds) == shown
