"""The compose stack (examples/compose), checked without a Docker engine (none can run here).

- docker-compose.yml parses, has the four services, and every file it mounts or builds from exists;
- Prometheus' config, laid out as the compose mounts lay it out, passes ``promtool check config``, which
  finds and checks both rule files of alerts/; ``promtool check rules`` passes on each of them;
- Grafana's provisioning files are well-formed: a Prometheus data source at the Prometheus service, and
  a dashboards provider whose path is where the compose mounts dashboards/;
- the exporter's config passes ``check-config`` (with the Parquet root from the environment, as in the
  stack), and its ``server_addresses`` reach both servers of a simulator that reports its servers under
  one address while the exporter knows it by another (simulator:8080 in the stack, localhost here).
- the access-control override (docker-compose.web-config.yml) only adds the web config and the HTTPS
  scrape; its make-certs.sh runs; the web config passes ``check-config`` and Prometheus' config
  ``promtool check config``; the exporter with that web config admits Prometheus' CA, name and password.
"""

from __future__ import annotations

import base64
import os
import queue
import re
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import parse_samples, promtool_path, series, value

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_DIR = ROOT / "examples" / "compose"
COMPOSE = COMPOSE_DIR / "docker-compose.yml"


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def compose() -> dict[str, Any]:
    return load_yaml(COMPOSE)


def bind_mounts(service: str) -> list[tuple[Path, str]]:
    """(host path, container path) of the service's bind mounts (named volumes left out)."""
    mounts = []
    for volume in compose()["services"][service].get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith((".", "/")):
            mounts.append(((COMPOSE_DIR / source).resolve(), target))
    return mounts


def container_path(service: str, path: str) -> Path:
    """The host file or directory the compose stack shows ``service`` at ``path``."""
    for source, target in sorted(bind_mounts(service), key=lambda m: -len(m[1])):
        if path == target or path.startswith(target.rstrip("/") + "/"):
            return source / path[len(target) :].lstrip("/")
    raise AssertionError(f"{path} is not mounted into {service}")


def env() -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("EOCEXPORTER_")}
    clean.pop("PYTHONPATH", None)
    return clean


# ---- the compose file -----------------------------------------------------------------------------


def test_compose_file_has_the_stack() -> None:
    document = compose()
    services = document["services"]
    assert set(services) == {"simulator", "exporter", "prometheus", "grafana"}
    for name in ("simulator", "exporter"):
        service = services[name]
        assert service["image"] == "eocexporter:compose"
        assert (COMPOSE_DIR / service["build"]["context"] / service["build"]["dockerfile"]).is_file()
    assert services["simulator"]["command"][:3] == ["simulate", "--listen", "0.0.0.0:8080"]
    assert services["exporter"]["command"] == ["run", "--config", "/etc/eocexporter/config.yml"]
    assert services["prometheus"]["image"].startswith("prom/prometheus:v")
    assert services["grafana"]["image"].startswith("grafana/grafana:")
    # published on the loopback interface only
    for service in services.values():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), port
    named = {
        v.split(":")[0]
        for s in services.values()
        for v in s.get("volumes", [])
        if not v.startswith((".", "/"))
    }
    assert named <= set(document["volumes"])


def test_every_mounted_file_exists() -> None:
    for service in compose()["services"]:
        for source, target in bind_mounts(service):
            assert source.exists(), f"{service}: {source} (mounted at {target}) does not exist"


# ---- Prometheus -----------------------------------------------------------------------------------


@pytest.fixture
def prometheus_layout(tmp_path: Path) -> Path:
    """The Prometheus container's /etc/prometheus, rebuilt under tmp_path from the compose mounts."""
    root = tmp_path / "container"
    for source, target in bind_mounts("prometheus"):
        destination = root / target.lstrip("/")
        destination.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, destination)
        else:
            shutil.copy2(source, destination)
    return root / "etc" / "prometheus" / "prometheus.yml"


def loaded_rule_files() -> list[Path]:
    config = load_yaml(container_path("prometheus", "/etc/prometheus/prometheus.yml"))
    files: list[Path] = []
    for pattern in config["rule_files"]:
        directory, _, glob = pattern.rpartition("/")
        files += sorted(container_path("prometheus", f"/etc/prometheus/{directory}").glob(glob))
    return files


def test_prometheus_loads_exactly_the_rule_files_of_alerts() -> None:
    assert [p.resolve() for p in loaded_rule_files()] == sorted(
        p.resolve() for p in (ROOT / "alerts").glob("eocortex-*.yml")
    )


def test_promtool_check_config(prometheus_layout: Path) -> None:
    promtool = promtool_path()
    result = subprocess.run(
        [promtool, "check", "config", str(prometheus_layout)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    checked = re.findall(r"Checking (\S+eocortex-\w+\.yml)\s+SUCCESS: (\d+) rules found", output)
    assert sorted(Path(name).name for name, _ in checked) == ["eocortex-alerts.yml", "eocortex-rules.yml"], (
        output
    )
    assert all(int(count) > 0 for _, count in checked)


def test_promtool_check_rules_on_the_loaded_rules() -> None:
    promtool = promtool_path()
    files = loaded_rule_files()
    result = subprocess.run(
        [promtool, "check", "rules", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_prometheus_scrapes_the_exporter_service() -> None:
    config = load_yaml(container_path("prometheus", "/etc/prometheus/prometheus.yml"))
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    targets = [t for sc in jobs["eocortex"]["static_configs"] for t in sc["targets"]]
    assert targets == ["exporter:10070"]
    assert "exporter" in compose()["services"]


# ---- Grafana --------------------------------------------------------------------------------------


def provisioning(kind: str) -> list[dict[str, Any]]:
    directory = container_path("grafana", f"/etc/grafana/provisioning/{kind}")
    files = sorted(directory.glob("*.y*ml"))
    assert files, f"no {kind} provisioning files"
    return [load_yaml(path) for path in files]


def test_grafana_datasource_provisioning() -> None:
    (document,) = provisioning("datasources")
    assert document["apiVersion"] == 1
    (source,) = document["datasources"]
    for key in ("name", "type", "uid", "url", "access"):
        assert source.get(key), f"datasources[].{key}"
    assert source["type"] == "prometheus"
    assert source["isDefault"] is True  # the dashboards' datasource variable picks it
    host, port = re.fullmatch(r"http://([\w-]+):(\d+)", source["url"]).groups()
    assert host == "prometheus" and host in compose()["services"]
    assert any(p.endswith(f":{port}") for p in compose()["services"]["prometheus"]["ports"])


def test_grafana_dashboard_provisioning_reads_the_dashboards() -> None:
    (document,) = provisioning("dashboards")
    assert document["apiVersion"] == 1
    (provider,) = document["providers"]
    assert provider["name"] and provider["type"] == "file"
    path = provider["options"]["path"]
    mounted = container_path("grafana", path)
    assert mounted.resolve() == (ROOT / "dashboards").resolve()
    assert sorted(p.name for p in mounted.glob("*.json")) == sorted(
        p.name for p in (ROOT / "dashboards").glob("*.json")
    )
    home = compose()["services"]["grafana"]["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert container_path("grafana", home).is_file()


# ---- the exporter's config ------------------------------------------------------------------------


def exporter_config() -> Path:
    return container_path("exporter", "/etc/eocexporter/config.yml")


def test_exporter_config_passes_check_config(tmp_path: Path) -> None:
    environment = {**env(), **compose()["services"]["exporter"]["environment"]}
    environment["EOCEXPORTER_PARQUET__ROOT"] = str(tmp_path / "parquet")  # the volume, here
    result = subprocess.run(
        [sys.executable, "-m", "eocexporter", "check-config", "--config", str(exporter_config())],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "1 target(s) (demo)" in result.stdout


def _read_lines(process: subprocess.Popen[str], count: int, timeout: float) -> list[str]:
    """Up to ``count`` lines of the process's stdout, waiting at most ``timeout`` seconds in all."""
    assert process.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    read: list[str] = []
    deadline = time.monotonic() + timeout
    while len(read) < count:
        try:
            read.append(lines.get(timeout=max(0.01, deadline - time.monotonic())))
        except queue.Empty:
            break
    return read


def test_server_addresses_reach_every_simulated_server(tmp_path: Path) -> None:
    """The compose stack's addressing, with `localhost` playing the simulator service's name."""
    command = compose()["services"]["simulator"]["command"]
    arguments = command[command.index("--servers") :]
    simulator = subprocess.Popen(
        [sys.executable, "-m", "eocexporter", "simulate", "--listen", "127.0.0.1:0", *arguments],
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        servers = int(arguments[arguments.index("--servers") + 1])
        lines = _read_lines(simulator, servers, timeout=30)
        ports = [int(p) for p in re.findall(r"http://127\.0\.0\.1:(\d+)", "".join(lines))]
        assert len(ports) == servers, f"simulator said {lines!r}"
        # The stack's config, with simulator:8080, simulator:8081 replaced by where they are here.
        config = load_yaml(exporter_config())
        addresses = config["targets"][0]["server_addresses"]
        stack_ports = [int(url.rpartition(":")[2]) for url in addresses.values()]
        assert stack_ports == [8080 + i for i in range(servers)]
        assert list(addresses) == [f"127.0.0.1:{port}" for port in stack_ports]
        here = dict(zip(stack_ports, ports, strict=True))
        text = re.sub(
            r"(127\.0\.0\.1|http://simulator):(\d+)",
            lambda m: f"{m[1].replace('simulator', 'localhost')}:{here[int(m[2])]}",
            exporter_config().read_text(encoding="utf-8"),
        )
        assert "simulator" not in re.sub(r"#.*", "", text)
        local = tmp_path / "config.yml"
        local.write_text(text, encoding="utf-8")
        once = subprocess.run(
            [sys.executable, "-m", "eocexporter", "once", "--config", str(local)],
            env=env(),
            capture_output=True,
            timeout=120,
            check=False,
        )
        assert once.returncode == 0, once.stderr.decode()[-3000:]
    finally:
        simulator.terminate()
        try:
            simulator.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            simulator.kill()
            simulator.communicate()
    samples = parse_samples(once.stdout)
    assert value(samples, "eocortex_up", target="demo") == 1
    up = series(samples, "eocortex_server_up", target="demo")
    assert len(up) == servers and set(up.values()) == {1.0}
    # 127.0.0.1 is reachable here (in the stack it is the exporter container's own loopback), so what shows
    # that the overrides took effect is the main server being recognised through its override: without
    # them no reported address equals the target URL and no server is marked main.
    assert sorted(series(samples, "eocortex_server_main", target="demo").values()) == [0.0] * (
        servers - 1
    ) + [1.0]
    cameras = series(samples, "eocortex_camera_info", target="demo")
    assert len({dict(labels)["server_id"] for labels in cameras}) == servers


# ---- the access-control example: docker-compose.web-config.yml (docs/security.md) ----------------

WEB_OVERRIDE = COMPOSE_DIR / "docker-compose.web-config.yml"
WEB_DIR = COMPOSE_DIR / "web-config"


def override() -> dict[str, Any]:
    return load_yaml(WEB_OVERRIDE)


def merged_bind_mounts(service: str, web_dir: Path = WEB_DIR) -> list[tuple[Path, str]]:
    """The service's bind mounts with the override over the stack's (compose merges volumes by container
    path); ``web_dir`` stands in for examples/compose/web-config."""
    mounts = {target: source for source, target in bind_mounts(service)}
    for volume in override()["services"].get(service, {}).get("volumes", []):
        source, target = volume.split(":")[:2]
        path = (COMPOSE_DIR / source).resolve()
        if path.is_relative_to(WEB_DIR.resolve()):
            path = web_dir / path.relative_to(WEB_DIR.resolve())
        mounts[target] = path
    return [(source, target) for target, source in mounts.items()]


def merged_path(service: str, path: str, web_dir: Path = WEB_DIR) -> Path:
    for source, target in sorted(merged_bind_mounts(service, web_dir), key=lambda m: -len(m[1])):
        if path == target or path.startswith(target.rstrip("/") + "/"):
            return source / path[len(target) :].lstrip("/")
    raise AssertionError(f"{path} is not mounted into {service}")


@pytest.fixture
def web_dir(tmp_path: Path) -> Path:
    """examples/compose/web-config copied, and its make-certs.sh run in the copy."""
    if shutil.which("openssl") is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("openssl not found but CI=true")
        pytest.skip("openssl not installed")
    copy = tmp_path / "web-config"
    shutil.copytree(WEB_DIR, copy)
    result = subprocess.run(
        ["sh", str(copy / "make-certs.sh")], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    for made in ("exporter/tls.crt", "exporter/tls.key", "prometheus/ca.crt"):
        assert (copy / made).is_file(), made
    return copy


def test_web_config_override_only_adds_access_control() -> None:
    services = override()["services"]
    assert set(services) == {"exporter", "prometheus"} <= set(compose()["services"])
    for service in services.values():
        assert "ports" not in service and "image" not in service and "command" not in service
    web_config = services["exporter"]["environment"]["EOCEXPORTER_WEB_CONFIG_FILE"]
    assert (
        merged_path("exporter", web_config).resolve() == (WEB_DIR / "exporter" / "web-config.yml").resolve()
    )
    # Prometheus gets the other config, and the CA and password beside it; the exporter's key is not in it
    config = merged_path("prometheus", "/etc/prometheus/prometheus.yml")
    assert config.resolve() == (WEB_DIR / "prometheus" / "prometheus.yml").resolve()
    for source, _ in merged_bind_mounts("prometheus"):
        assert not source.resolve().is_relative_to((WEB_DIR / "exporter").resolve())
    job = next(j for j in load_yaml(config)["scrape_configs"] if j["job_name"] == "eocortex")
    assert job["scheme"] == "https"
    assert job["static_configs"] == [{"targets": ["exporter:10070"]}]
    for key in (job["tls_config"]["ca_file"], job["basic_auth"]["password_file"]):
        assert merged_path("prometheus", key).parent.resolve() == (WEB_DIR / "prometheus").resolve()
    # the files make-certs.sh creates stay out of git
    ignored = (WEB_DIR / ".gitignore").read_text(encoding="utf-8").split()
    assert {"ca.key", "exporter/tls.key", "exporter/tls.crt", "prometheus/ca.crt"} <= set(ignored)


def test_web_config_example_passes_check_config_and_promtool(web_dir: Path, tmp_path: Path) -> None:
    web_config = merged_path(
        "exporter", override()["services"]["exporter"]["environment"]["EOCEXPORTER_WEB_CONFIG_FILE"], web_dir
    )
    result = subprocess.run(
        [sys.executable, "-m", "eocexporter", "check-config", "--web.config.file", str(web_config)],
        env=env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "web config OK: TLS, basic auth for 1 user(s)" in result.stdout
    promtool = promtool_path()
    root = tmp_path / "container"
    for source, target in merged_bind_mounts("prometheus", web_dir):
        destination = root / target.lstrip("/")
        destination.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, destination)
        else:
            shutil.copy2(source, destination)
    checked = subprocess.run(
        [promtool, "check", "config", str(root / "etc" / "prometheus" / "prometheus.yml")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "eocortex-alerts.yml" in checked.stdout + checked.stderr


def _https_status(port: int, ca_file: Path, server_name: str, authorization: str | None) -> int:
    """GET /metrics over TLS to 127.0.0.1, verifying the certificate for ``server_name``."""
    context = ssl.create_default_context(cafile=str(ca_file))
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=server_name) as tls,
    ):
        request = f"GET /metrics HTTP/1.1\r\nHost: {server_name}:{port}\r\nConnection: close\r\n"
        if authorization:
            request += f"Authorization: {authorization}\r\n"
        tls.sendall((request + "\r\n").encode("ascii"))
        status_line = tls.makefile("rb").readline().decode("ascii")
    return int(status_line.split()[1])


def test_prometheus_credentials_of_the_example_open_the_exporter(web_dir: Path) -> None:
    """The exporter with the example's web config; Prometheus' CA, server name and password get in."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    web_config = web_dir / "exporter" / "web-config.yml"
    process = subprocess.Popen(
        [sys.executable, "-m", "eocexporter", "run"],
        env={
            **env(),
            "EOCEXPORTER_WEB_CONFIG_FILE": str(web_config),
            "EOCEXPORTER_LISTEN": f"127.0.0.1:{port}",
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [lines.put(line) for line in process.stderr], daemon=True).start()
        deadline = time.monotonic() + 60
        seen: list[str] = []
        while not any("serving https://" in line for line in seen):
            seen.append(lines.get(timeout=max(0.01, deadline - time.monotonic())))
        job = next(
            j
            for j in load_yaml(web_dir / "prometheus" / "prometheus.yml")["scrape_configs"]
            if j["job_name"] == "eocortex"
        )
        ca = web_dir / "prometheus" / Path(job["tls_config"]["ca_file"]).name
        password = (
            (web_dir / "prometheus" / Path(job["basic_auth"]["password_file"]).name).read_text().strip()
        )
        server_name = job["static_configs"][0]["targets"][0].rpartition(":")[0]
        token = base64.b64encode(f"{job['basic_auth']['username']}:{password}".encode()).decode("ascii")
        assert _https_status(port, ca, server_name, f"Basic {token}") == 200
        assert _https_status(port, ca, server_name, None) == 401
        assert _https_status(port, ca, "localhost", f"Basic {token}") == 200  # the name you use from the host
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
