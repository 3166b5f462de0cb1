"""The alerts and dashboards against a real Prometheus: simulator -> exporter -> prometheus (Debian's 2.42).

One module-scoped setup starts a simulated installation on the system clock (so values move), the exporter
with 1 s collector intervals, and Prometheus scraping it every second with alerts/*.yml loaded and evaluated
every second. It then drives three faults -- a camera's main stream lost, a server refusing connections, a
licence module at 95 % -- and makes the licence time-limited (three days left). The tests check, through
Prometheus' HTTP API, that the matching alerts become active (pending is enough: `for:` is minutes) while
the others stay quiet, and that every panel query of every dashboard, variables substituted, returns data.

Every wait is a bounded poll of Prometheus' API.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
import yaml
from conftest import make_settings, sim_config
from helpers import prometheus_path

from eocexporter.exporter import Exporter
from eocexporter.server import create_app, start_site
from eocexporter.simulator import running_simulator

ROOT = Path(__file__).resolve().parent.parent
RULE_FILES = sorted((ROOT / "alerts").glob("*.yml"))
DASHBOARDS = sorted((ROOT / "dashboards").glob("*.json"))
INTERVALS = {
    name: {"interval": 1} for name in ("discovery", "cameras", "object_counting", "visitors", "licenses")
}
# Grafana's built-in interval variables, as a 1-minute-resolution panel over a few hours would get them.
BUILTINS = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "1h"}
POLL_SECONDS = 0.5

pytestmark = pytest.mark.asyncio(loop_scope="module")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Live:
    prometheus: str  # base URL of Prometheus' HTTP API
    http: aiohttp.ClientSession
    sim: Any
    main_server: str
    other_server: str
    down_camera: str  # forced to ErrorMain
    healthy_camera: str  # forced to Ok
    panel_cameras: list[str]  # the cameras the dashboards' $camera is set to
    log: Path

    async def query(self, expr: str) -> list[dict[str, Any]]:
        async with self.http.get(f"{self.prometheus}/api/v1/query", params={"query": expr}) as response:
            body = await response.json()
        assert body["status"] == "success", f"{expr}: {body}"
        return body["data"]["result"]

    async def alerts(self) -> list[dict[str, Any]]:
        async with self.http.get(f"{self.prometheus}/api/v1/alerts") as response:
            body = await response.json()
        return body["data"]["alerts"]

    async def poll(self, what: str, probe: Callable[[], Any], *, timeout: float = 30.0) -> Any:
        """Call ``probe`` (a coroutine function) until it returns something truthy; bounded in time and count."""
        deadline = time.monotonic() + timeout
        for _ in range(int(timeout / POLL_SECONDS) + 1):
            result = await probe()
            if result:
                return result
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(POLL_SECONDS)
        tail = self.log.read_text(errors="replace")[-3000:]
        pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}; prometheus log tail:\n{tail}")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def live(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Live]:
    binary = prometheus_path()
    tmp = tmp_path_factory.mktemp("prometheus")
    async with running_simulator(sim_config(None, servers=2, cameras=30)) as sim:
        installation = sim.installation
        main = installation.main_server.id
        other = next(server.id for server in installation.servers if server.id != main)
        enabled = [camera.id for camera in installation.cameras_on(main) if not camera.disabled]
        counting = [camera.id for camera in installation.counting_cameras(main)]
        visitors = [camera.id for camera in installation.visitor_cameras(main)]
        down, healthy = [camera for camera in enabled if camera not in counting + visitors][:2]
        installation.force_status(healthy, "Ok")
        installation.expire_licence_soon(3 * 86400)

        # The Parquet sink on as well (one-minute intervals, ten of them to catch up), for its panels.
        parquet = {
            "root": str(tmp / "parquet"),
            "report_interval": "1m",
            "grace": "5s",
            "initial_catch_up": "10m",
            "check_every": "1s",
        }
        exporter = Exporter(make_settings(sim.main_url, collectors=INTERVALS, parquet=parquet))
        exporter.start()
        runner, exporter_port = await start_site(create_app(exporter), "127.0.0.1", 0)
        config = {
            "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(path) for path in RULE_FILES],
            "scrape_configs": [
                {"job_name": "eocortex", "static_configs": [{"targets": [f"127.0.0.1:{exporter_port}"]}]}
            ],
        }
        (tmp / "prometheus.yml").write_text(yaml.safe_dump(config))
        port = free_port()
        log = tmp / "prometheus.log"
        with log.open("wb") as output:
            process = await asyncio.create_subprocess_exec(
                binary,
                f"--config.file={tmp / 'prometheus.yml'}",
                f"--storage.tsdb.path={tmp / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
                stdout=output,
                stderr=output,
            )
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
                state = Live(
                    f"http://127.0.0.1:{port}",
                    http,
                    sim,
                    main,
                    other,
                    down,
                    healthy,
                    [down, healthy, *counting, *visitors],
                    log,
                )

                async def scraped() -> bool:
                    try:
                        result = await state.query('up{job="eocortex"} == 1')
                    except aiohttp.ClientError:
                        return False  # not listening yet
                    return bool(result) and bool(await state.query("eocortex_up == 1"))

                await state.poll("Prometheus to scrape the exporter", scraped)
                # Let a few scrapes of the healthy installation in, so that rates and increases have samples
                # from before the faults.
                await state.poll("five scrapes", lambda: state.query("count_over_time(eocortex_up[1m]) >= 5"))
                installation.force_status(down, "ErrorMain")
                installation.set_licence_usage("FaceDetectorChannels", used=19, total=20)
                # The other server goes down and its reserve (the main server) serves its cameras.
                await sim.failover(other)
                yield state
        finally:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()
            await runner.cleanup()
            await exporter.stop()
            await sim.faults.clear()


def active(alerts: list[dict[str, Any]], name: str, **labels: str) -> list[dict[str, Any]]:
    return [
        alert
        for alert in alerts
        if alert["labels"]["alertname"] == name
        and all(alert["labels"].get(key) == value for key, value in labels.items())
        and alert["state"] in ("pending", "firing")
    ]


async def test_faults_activate_their_alerts_and_the_other_alerts_stay_quiet(live: Live) -> None:
    expected = {
        "camera's main stream lost": (
            "EocortexCameraDown",
            {"camera_id": live.down_camera, "server_id": live.main_server},
        ),
        "server refusing connections": ("EocortexServerDown", {"server_id": live.other_server}),
        "face detector licence at 95 %": (
            "EocortexLicenseNearlyExhausted",
            {"module": "face_detector", "target": "eoc"},
        ),
        "licence expiring in 3 days": (
            "EocortexLicenseExpiresSoon",
            {"severity": "critical", "target": "eoc"},
        ),
        "cameras of the failed server on their reserve": (
            "EocortexCamerasOnReserve",
            {"owner_server_id": live.other_server, "target": "eoc"},
        ),
    }

    async def all_expected() -> list[dict[str, Any]] | None:
        alerts = await live.alerts()
        return alerts if all(active(alerts, name, **labels) for name, labels in expected.values()) else None

    alerts = await live.poll("the alerts of the faults", all_expected)

    camera_down = active(alerts, "EocortexCameraDown", camera_id=live.down_camera)[0]
    assert camera_down["labels"]["camera"] == live.sim.installation.camera(live.down_camera).name
    assert camera_down["labels"]["severity"] == "warning"
    assert camera_down["annotations"]["runbook_url"].endswith("#eocortexcameradown")
    server_down = active(alerts, "EocortexServerDown", server_id=live.other_server)[0]
    assert server_down["labels"]["server"] == live.sim.installation.server(live.other_server).name
    assert server_down["labels"]["severity"] == "critical"

    quiet = {
        "EocortexTargetDown": {},
        "EocortexExporterAbsent": {},
        "EocortexDataStale": {},
        "EocortexLicenseExhausted": {},
        "EocortexManyCamerasDown": {},
        "EocortexServerDown": {"server_id": live.main_server},
        "EocortexLicenseExpiresSoon": {"severity": "warning"},
        "EocortexCameraDown": {"camera_id": live.healthy_camera},
        "EocortexCameraSoundError": {"camera_id": live.healthy_camera},
        "EocortexCameraAltStreamError": {"camera_id": live.healthy_camera},
        "EocortexCameraNotRecording": {"camera_id": live.down_camera},
        "EocortexCameraBitrateDrop": {"camera_id": live.down_camera},
        "EocortexCamerasOnReserve": {"owner_server_id": live.main_server},
    }
    for name, labels in quiet.items():
        assert not active(alerts, name, **labels), f"{name} {labels} should be inactive"
    nearly = {alert["labels"]["module"] for alert in active(alerts, "EocortexLicenseNearlyExhausted")}
    assert nearly == {"face_detector"}


def substitute(expr: str, live: Live) -> str:
    values = {
        **BUILTINS,
        "$target": "eoc",
        "$server": live.main_server,
        # A multi-value selection, as Grafana formats it for Prometheus.
        "$camera": "(" + "|".join(live.panel_cameras) + ")",
    }
    for name in sorted(values, key=len, reverse=True):
        expr = expr.replace(name, values[name])
    assert "$" not in expr, f"unsubstituted variable in {expr}"
    return expr


def dashboard_queries() -> list[tuple[str, str, str]]:
    """(dashboard file, panel title and refId, expression) of every panel query of every dashboard."""
    queries = []
    for path in DASHBOARDS:
        for panel in json.loads(path.read_text())["panels"]:
            for target in panel.get("targets", []):
                queries.append((path.name, f"{panel['title']} [{target['refId']}]", target["expr"]))
    return queries


async def test_every_dashboard_panel_query_returns_data(live: Live) -> None:
    queries = dashboard_queries()
    assert len(queries) > 40
    # Wait for the faults to show (the cameras-not-Ok table needs the forced camera).
    await live.poll("the faults to reach Prometheus", lambda: live.query("eocortex_server_up == 0"))
    empty = {(name, panel): substitute(expr, live) for name, panel, expr in queries}

    async def all_have_data() -> bool:
        for key, expr in list(empty.items()):
            if await live.query(expr):
                del empty[key]
        return not empty

    deadline = time.monotonic() + 30
    while not await all_have_data() and time.monotonic() < deadline:
        await asyncio.sleep(1)
    assert not empty, "panels without data:\n" + "\n".join(f"{n}: {p}: {e}" for (n, p), e in empty.items())


async def test_every_dashboard_variable_query_offers_values(live: Live) -> None:
    for path in DASHBOARDS:
        for variable in json.loads(path.read_text())["templating"]["list"]:
            if variable["type"] != "query":
                continue
            definition = substitute(variable["definition"], live)
            if match := re.fullmatch(r"label_values\((.+), (\w+)\)", definition):
                result = await live.query(match.group(1))
                values = {series["metric"].get(match.group(2)) for series in result} - {None}
            else:
                match = re.fullmatch(r"query_result\((.+)\)", definition)
                assert match, f"{path.name} ${variable['name']}: unexpected query {definition}"
                # Grafana prints each series as name{label="value",...} with the labels sorted, then applies
                # the variable's regex (JavaScript named groups) for the text and the value of each option.
                regex = re.compile(variable["regex"].strip("/").replace("(?<", "(?P<"))
                values = set()
                for series in await live.query(match.group(1)):
                    metric = series["metric"]
                    labels = ",".join(f'{k}="{v}"' for k, v in sorted(metric.items()) if k != "__name__")
                    if found := regex.search(f"{metric['__name__']}{{{labels}}}"):
                        values.add((found.group("text"), found.group("value")))
            assert values, f"{path.name}: variable ${variable['name']} offers nothing"
            if variable["name"] == "server":
                assert (live.sim.installation.server(live.main_server).name, live.main_server) in values
            if variable["name"] == "camera":
                assert (live.sim.installation.camera(live.down_camera).name, live.down_camera) in values
