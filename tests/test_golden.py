"""A golden exposition for a fixed seed and time, and `promtool check metrics` on live output.

Values that depend on the machine (durations, timestamps, latency histograms, the Python version, the
simulator's free ports) are masked; everything else must be byte-identical. `make golden` rewrites the
file after an intended change; review its diff.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from conftest import make_settings
from helpers import check_golden, promtool_path

GOLDEN = Path(__file__).parent / "golden" / "exposition.prom"

_VOLATILE = (
    re.compile(r"^eocortex_collector_duration_seconds\{.*"),
    re.compile(r"^eocortex_collector_last_success_timestamp_seconds\{.*"),
    re.compile(r"^eocortex_api_request_duration_seconds_(bucket|sum)\{.*"),
    re.compile(r"^eocortex_exporter_config_last_reload_success_timestamp_seconds .*"),
    re.compile(r"^eocortex_exporter_render_cpu_seconds_total\{.*"),
    re.compile(r"^eocortex_api_parse_cpu_seconds_total\{.*"),
    re.compile(r"^eocortex_api_throttled_seconds_total\{.*"),
)
# The build's versions, which change with every release and Python.
_BUILD_INFO = re.compile(r"^eocortex_exporter_build_info\{.*")


def masked(body: bytes, ports: dict[int, str]) -> bytes:
    lines = []
    for line in body.decode("utf-8").splitlines():
        if _BUILD_INFO.match(line):
            line = "eocortex_exporter_build_info{<versions>} 1.0"
        elif any(pattern.match(line) for pattern in _VOLATILE):
            line = line.rsplit(" ", 1)[0] + " <volatile>"
        line = re.sub(r'port="(\d+)"', lambda m: f'port="{ports.get(int(m.group(1)), m.group(1))}"', line)
        lines.append(line)
    return ("\n".join(lines) + "\n").encode("utf-8")


async def test_golden_exposition(sim, exporter_factory) -> None:
    exporter = exporter_factory(make_settings(sim.main_url))
    assert await exporter.collect_once()
    ports = {
        server.port: f"<port of server {index}>" for index, server in enumerate(sim.installation.servers)
    }
    check_golden(GOLDEN, masked(exporter.exposition.body, ports))


async def test_promtool_accepts_the_live_exposition(sim, exporter_factory) -> None:
    exporter = exporter_factory(make_settings(sim.main_url))
    assert await exporter.collect_once()
    result = subprocess.run(
        [promtool_path(), "check", "metrics"],
        input=exporter.exposition.body,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()
    assert (result.stdout + result.stderr).strip() == b""
