"""`demo --profile real-world` scraped by a real Prometheus: every alert and recording rule and every dashboard
query evaluates without error on what real installations send (other addresses, nulls and missing fields,
unknown values, a server without webapi, a refused camera; docs/simulator.md).

The demo runs as a user starts it, a separate process on the system clock. Every wait is a bounded poll.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from helpers import parse_samples, prometheus_path, series
from test_live_prometheus import BUILTINS, DASHBOARDS, RULE_FILES, dashboard_queries, free_port

POLL_SECONDS = 0.5


async def poll(what: str, probe, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout / POLL_SECONDS) + 1):
        try:
            result = await probe()
        except aiohttp.ClientError:
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(POLL_SECONDS)  # polling separate processes: there is nothing to wait on
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


async def test_real_world_demo_evaluates_every_rule_and_query_without_error(tmp_path: Path) -> None:
    binary = prometheus_path()
    demo_port, prometheus_port = free_port(), free_port()
    demo = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "eocexporter",
        "demo",
        "--profile",
        "real-world",
        "--listen",
        f"127.0.0.1:{demo_port}",
        "--parquet-root",
        "",  # the dashboards are what this checks; no files in the working directory
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    config = {
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(path) for path in RULE_FILES],
        "scrape_configs": [
            {"job_name": "eocortex", "static_configs": [{"targets": [f"127.0.0.1:{demo_port}"]}]}
        ],
    }
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    log = tmp_path / "prometheus.log"
    with log.open("wb") as output:
        prometheus = await asyncio.create_subprocess_exec(
            binary,
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{prometheus_port}",
            "--log.level=warn",
            stdout=output,
            stderr=output,
        )
    api = f"http://127.0.0.1:{prometheus_port}/api/v1"
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:

            async def query(expr: str) -> dict[str, Any]:
                async with http.get(f"{api}/query", params={"query": expr}) as response:
                    return await response.json()

            async def ready() -> bytes | None:
                async with http.get(f"http://127.0.0.1:{demo_port}/ready") as response:
                    if response.status != 200:
                        return None
                async with http.get(f"http://127.0.0.1:{demo_port}/metrics") as response:
                    return await response.read()

            samples = parse_samples(await poll("the demo to be ready", ready))
            # The realism is on: the main server is listed elsewhere, a server lacks webapi, a camera is
            # refused; and every collector succeeded anyway.
            assert all(v == 1 for v in series(samples, "eocortex_collector_success").values())
            assert 0 in series(samples, "eocortex_endpoint_supported").values()
            [main] = [
                dict(labels)["server_id"]
                for labels, v in series(samples, "eocortex_server_main").items()
                if v
            ]
            cameras = sorted(
                {dict(labels)["camera_id"] for labels in series(samples, "eocortex_camera_info")}
            )

            async def scraped_five_times() -> bool:
                result = await query("count_over_time(eocortex_up[1m]) >= 5")
                return result.get("status") == "success" and bool(result["data"]["result"])

            await poll("five scrapes of the demo", scraped_five_times)

            async def every_rule_evaluated() -> list[dict[str, Any]] | None:
                async with http.get(f"{api}/rules") as response:
                    groups = (await response.json())["data"]["groups"]
                rules = [rule for group in groups for rule in group["rules"]]
                return (
                    rules
                    if rules
                    and all(
                        rule.get("lastEvaluation", "").startswith("2") and rule["health"] != "unknown"
                        for rule in rules
                    )
                    else None
                )

            rules = await poll("every rule to be evaluated", every_rule_evaluated)
            broken = [(rule["name"], rule.get("lastError")) for rule in rules if rule["health"] != "ok"]
            assert broken == []

            values = {
                **BUILTINS,
                "$target": "demo",
                "$server": main,
                "$camera": "(" + "|".join(cameras) + ")",
            }

            def substitute(expr: str) -> str:
                for name in sorted(values, key=len, reverse=True):
                    expr = expr.replace(name, values[name])
                assert "$" not in expr, expr
                return expr

            failed = []
            for dashboard, panel, expr in dashboard_queries():
                result = await query(substitute(expr))
                if result.get("status") != "success":
                    failed.append((dashboard, panel, result.get("error")))
            for path in DASHBOARDS:
                for variable in json.loads(path.read_text())["templating"]["list"]:
                    if variable["type"] == "query":
                        definition = substitute(variable["definition"])
                        inner = re.fullmatch(r"(?:label_values|query_result)\((.+?)(?:, \w+)?\)", definition)
                        assert inner, definition
                        result = await query(inner.group(1))
                        if result.get("status") != "success":
                            failed.append((path.name, variable["name"], result.get("error")))
            assert failed == []
    finally:
        for process in (prometheus, demo):
            if process.returncode is None:
                process.terminate()
                try:
                    await asyncio.wait_for(process.wait(), 15)
                except TimeoutError:
                    process.kill()
                    await process.wait()
