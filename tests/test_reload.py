"""Reloading the configuration on SIGHUP and POST /-/reload: validated first, only what changed restarts,
a bad file keeps the running configuration."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import timedelta
from pathlib import Path

import aiohttp
import yaml
from conftest import FAST_CLIENT, TIMEZONE, sim_config
from helpers import parse_samples, series, value
from test_cli import free_port
from test_parquet import DAY_START

from eocexporter.config import load_settings
from eocexporter.simulator import running_simulator


def target(name: str, url: str, **options: object) -> dict[str, object]:
    return {
        "name": name,
        "url": url,
        "username": "root",
        "password": "",
        "timezone": TIMEZONE,
        **FAST_CLIENT,
        **options,
    }


def write_config(path: Path, targets: list[dict[str, object]], **settings: object) -> None:
    path.write_text(yaml.safe_dump({"targets": targets, **settings}), encoding="utf-8")


async def test_only_what_changed_restarts_and_unchanged_targets_keep_their_checkpoints(
    sim, clock, exporter_factory, tmp_path
) -> None:
    config = tmp_path / "config.yml"
    parquet = {"root": str(tmp_path / "parquet"), "grace": "1m"}
    write_config(config, [target("a", sim.main_url), target("b", sim.main_url)], parquet=parquet)
    clock.set(DAY_START + timedelta(minutes=16))
    exporter = exporter_factory(load_settings(config))
    exporter._load = lambda: load_settings(config)  # what `run --config` wires
    assert await exporter.collect_once()
    await exporter.write_parquet_once()
    sink = exporter.sink
    [kept, removed] = exporter.runtimes
    checkpoints = {key: value for key, value in sink._checkpoints.items() if key[0] == "a"}
    assert checkpoints
    # b goes, c comes (new), a stays as it was.
    write_config(
        config, [target("a", sim.main_url), target("c", sim.main_url, max_concurrency=4)], parquet=parquet
    )
    assert await exporter.reload() is None
    assert [runtime.target.name for runtime in exporter.runtimes] == ["a", "c"]
    assert exporter.runtimes[0] is kept  # not restarted: its data and memories stay
    assert exporter.sink is sink  # the Parquet options did not change
    assert {key: value for key, value in sink._checkpoints.items() if key[0] == "a"} == checkpoints
    assert await exporter.collect_once()
    samples = parse_samples(exporter.exposition.body)
    assert {dict(labels)["target"] for labels in series(samples, "eocortex_up")} == {"a", "c"}
    assert value(samples, "eocortex_exporter_config_last_reload_successful") == 1
    # The next pass goes on from a's checkpoint: the next interval, not the first again.
    clock.set(DAY_START + timedelta(minutes=31))
    await exporter.write_parquet_once()
    assert removed.client._session is None or removed.client._session.closed  # b was stopped
    files = sorted((tmp_path / "parquet" / "object_counts").rglob("object_counts__a__*.parquet"))
    intervals = sorted({path.name.rsplit("__", 1)[1] for path in files})
    assert intervals == ["20261124T2100Z-20261124T2115Z.parquet", "20261124T2115Z-20261124T2130Z.parquet"]


async def test_a_changed_password_file_restarts_only_its_target(
    sim, clock, exporter_factory, tmp_path
) -> None:
    secret = tmp_path / "password"
    secret.write_text("")
    config = tmp_path / "config.yml"
    a = target("a", sim.main_url)
    b = {key: value for key, value in target("b", sim.main_url).items() if key != "password"}
    write_config(config, [a, {**b, "password_file": str(secret)}])
    exporter = exporter_factory(load_settings(config))
    exporter._load = lambda: load_settings(config)
    before = list(exporter.runtimes)
    secret.write_text("rotated")  # the options are the same; the file's content is not
    assert await exporter.reload() is None
    assert exporter.runtimes[0] is before[0]
    assert exporter.runtimes[1] is not before[1]


async def test_a_bad_configuration_is_refused_and_the_running_one_stays(
    sim, exporter_factory, tmp_path, caplog
) -> None:
    config = tmp_path / "config.yml"
    write_config(config, [target("a", sim.main_url)])
    exporter = exporter_factory(load_settings(config))
    exporter._load = lambda: load_settings(config)
    assert await exporter.collect_once()
    config.write_text("targets:\n  - name: a\n    url: ftp://nowhere\n")
    error = await exporter.reload()
    assert error == "targets.0.url: must be an http:// or https:// URL with a host"
    assert caplog.text.count("configuration reload failed, keeping the running configuration") == 1
    assert [runtime.target.url for runtime in exporter.runtimes] == [sim.main_url]
    assert await exporter.collect_once()
    samples = parse_samples(exporter.exposition.body)
    assert value(samples, "eocortex_exporter_config_last_reload_successful") == 0
    assert value(samples, "eocortex_up", target="a") == 1


async def wait_for(url: str, predicate, http: aiohttp.ClientSession, what: str, process) -> bytes:
    """Poll ``url`` (bounded: 240 looks, 60 s) until ``predicate(body)``; the exporter is a separate
    process, so there is nothing to wait on."""
    async with asyncio.timeout(60):
        for _ in range(240):
            if process.returncode is not None:
                raise AssertionError(f"the exporter exited ({process.returncode}) waiting for {what}")
            try:
                async with http.get(url) as response:
                    body = await response.read()
                    if response.status == 200 and predicate(body):
                        return body
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


async def test_sighup_and_post_reload_apply_a_new_configuration(clock, tmp_path) -> None:
    async with running_simulator(sim_config(None)) as sim:
        port = free_port()
        config = tmp_path / "config.yml"
        write_config(config, [target("a", sim.main_url)], listen=f"127.0.0.1:{port}")
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "eocexporter",
            "run",
            "--config",
            str(config),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        metrics = f"http://127.0.0.1:{port}/metrics"
        try:
            async with aiohttp.ClientSession() as http:

                def targets(body: bytes) -> set[str]:
                    return {dict(labels)["target"] for labels in series(parse_samples(body), "eocortex_up")}

                await wait_for(metrics, lambda body: targets(body) == {"a"}, http, "target a", process)
                write_config(
                    config, [target("a", sim.main_url), target("b", sim.main_url)], listen=f"127.0.0.1:{port}"
                )
                os.kill(process.pid, signal.SIGHUP)
                await wait_for(
                    metrics, lambda body: targets(body) == {"a", "b"}, http, "target b after SIGHUP", process
                )
                # A bad file: refused with its reason, the running configuration stays.
                config.write_text("targets: 7\n")
                async with http.post(f"http://127.0.0.1:{port}/-/reload") as response:
                    assert response.status == 500
                    assert "targets" in await response.text()
                body = await wait_for(
                    metrics,
                    lambda body: (
                        value(parse_samples(body), "eocortex_exporter_config_last_reload_successful") == 0
                    ),
                    http,
                    "the failed reload",
                    process,
                )
                assert targets(body) == {"a", "b"}
                write_config(config, [target("b", sim.main_url)], listen=f"127.0.0.1:{port}")
                async with http.post(f"http://127.0.0.1:{port}/-/reload") as response:
                    assert response.status == 200
                await wait_for(metrics, lambda body: targets(body) == {"b"}, http, "target a gone", process)
                async with http.get(f"http://127.0.0.1:{port}/-/reload") as response:
                    assert response.status == 405
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, stderr.decode()
    assert "SIGHUP: reloading the configuration" in stderr.decode()
