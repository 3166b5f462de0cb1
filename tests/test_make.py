"""The Makefile's two commands of the README, without installing anything.

- `make test` runs four stages (install, tools, lint, tests) through tools/stage, each announced with how
  long it took, and stops with a non-zero status at the first that fails, pytest's 5 ("no tests
  collected") included: run against a stand-in virtualenv whose tools are stubs;
- `make demo` installs the exporter without its test extras, with its own stamp, and none at all in a
  virtualenv that has the test extras; LISTEN, SIM_LISTEN, PROFILE and ARGS reach `eocexporter demo` as
  options its parser accepts (`make -n`);
- `make demo LISTEN=... SIM_LISTEN=...` run for real (the stand-in virtualenv's `eocexporter` is this
  interpreter's): /metrics answers on LISTEN with the simulator it started answering on SIM_LISTEN.

Each make is bounded by a timeout; nothing here creates a virtualenv or reaches a package index.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from eocexporter.cli import _parser

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("install", "tools", "lint", "tests")


def make_env(**extra: str) -> dict[str, str]:
    """This environment without the variables of a make that runs these tests (`make test`)."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEFILES")}
    env.update(extra)
    return env


def make(
    *arguments: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", *arguments],
        cwd=ROOT,
        env=env or make_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def stub(path: Path, script: str) -> None:
    path.write_text(f"#!/bin/sh\n{script}\n", encoding="utf-8")
    path.chmod(0o755)


@pytest.fixture
def fake_venv(tmp_path: Path) -> Path:
    """A virtualenv in name only: its stamps are newer than pyproject.toml, its tools are stubs."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    stub(venv / "bin" / "python", 'exit "${STUB_PYTHON_EXIT:-0}"')
    stub(venv / "bin" / "ruff", 'exit "${STUB_RUFF_EXIT:-0}"')
    stub(venv / "bin" / "pytest", 'echo "pytest $*"; exit "${STUB_PYTEST_EXIT:-0}"')
    later = (ROOT / "pyproject.toml").stat().st_mtime + 60
    for stamp in (".installed-test", ".installed-demo"):
        (venv / stamp).touch()
        os.utime(venv / stamp, (later, later))
    return venv


@pytest.fixture
def stub_path(tmp_path: Path) -> str:
    """A PATH on which promtool and prometheus are found (stubs), so the tools stage installs nothing."""
    tools = tmp_path / "tools"
    tools.mkdir()
    for name in ("promtool", "prometheus"):
        stub(tools / name, "exit 0")
    return f"{tools}{os.pathsep}{os.environ['PATH']}"


# ---- make test: stages --------------------------------------------------------------------------------


def test_a_stage_says_how_long_it_took_and_keeps_the_command_s_status() -> None:
    done = subprocess.run(
        ["sh", "tools/stage", "lint", "true"], cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0
    assert re.search(r"^make test: lint \.\.\.$", done.stdout, re.MULTILINE)
    assert re.search(r"^make test: lint done in \d+ s$", done.stdout, re.MULTILINE)
    for status in (1, 2, 5):
        failed = subprocess.run(
            ["sh", "tools/stage", "tests", "sh", "-c", f"exit {status}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert failed.returncode == status
        assert re.search(rf"make test: tests FAILED \(exit {status}\) after \d+ s", failed.stderr)


def test_make_test_announces_and_times_every_stage(fake_venv: Path, stub_path: str) -> None:
    result = make("test", f"VENV={fake_venv}", env=make_env(PATH=stub_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "make test: stages install, tools, lint, tests" in result.stdout
    for stage in STAGES:
        assert re.search(rf"^make test: {stage} done in \d+ s$", result.stdout, re.MULTILINE), result.stdout
    # The tests stage runs pytest with the slowest tests listed.
    assert re.search(r"^pytest --durations=\d+$", result.stdout, re.MULTILINE), result.stdout


@pytest.mark.parametrize("status", [1, 5])
def test_make_test_fails_when_pytest_does_even_with_no_tests(
    fake_venv: Path, stub_path: str, status: int
) -> None:
    result = make("test", f"VENV={fake_venv}", env=make_env(PATH=stub_path, STUB_PYTEST_EXIT=str(status)))
    assert result.returncode != 0
    assert f"make test: tests FAILED (exit {status})" in result.stderr


def test_make_test_stops_at_the_first_failing_stage(fake_venv: Path, stub_path: str) -> None:
    result = make("test", f"VENV={fake_venv}", env=make_env(PATH=stub_path, STUB_RUFF_EXIT="1"))
    assert result.returncode != 0
    assert "make test: lint FAILED" in result.stderr
    assert "make test: tests" not in result.stdout + result.stderr


# ---- make demo: what it installs, what it passes on ---------------------------------------------------


def test_make_demo_installs_the_exporter_without_the_test_extras(tmp_path: Path) -> None:
    venv = tmp_path / "fresh"  # does not exist: everything would be made
    demo = make("-n", "demo", f"VENV={venv}").stdout
    installs = [line for line in demo.splitlines() if " -m pip install " in line]
    assert installs, demo
    assert all("[test]" not in line for line in installs), demo
    assert any(line.rstrip().endswith(" -e .") for line in installs), demo
    assert f"touch {venv}/.installed-demo" in demo
    assert "[test]" in make("-n", "test", f"VENV={venv}").stdout
    # A virtualenv with the test extras has what the demo needs: nothing is installed.
    venv.mkdir()
    (venv / "bin").mkdir()
    (venv / "bin" / "python").touch()
    later = (ROOT / "pyproject.toml").stat().st_mtime + 60
    (venv / ".installed-test").touch()
    os.utime(venv / ".installed-test", (later, later))
    demo = make("-n", "demo", f"VENV={venv}").stdout
    assert "pip install" not in demo and "-m venv" not in demo, demo


def demo_argv(fake_venv: Path, *variables: str) -> list[str]:
    """The arguments `make demo` gives `eocexporter`, from its dry run."""
    dry = make("-n", "demo", f"VENV={fake_venv}", *variables)
    assert dry.returncode == 0, dry.stderr
    [line] = [line for line in dry.stdout.splitlines() if "/bin/eocexporter demo" in line]
    argv = shlex.split(line)
    assert argv[0] == f"{fake_venv}/bin/eocexporter"
    return argv[1:]


def test_make_demo_passes_its_variables_as_options_the_demo_accepts(fake_venv: Path, tmp_path: Path) -> None:
    assert demo_argv(fake_venv) == ["demo"]
    argv = demo_argv(
        fake_venv,
        "LISTEN=0.0.0.0:10071",
        "SIM_LISTEN=127.0.0.1:18080",
        "PROFILE=real-world",
        f"ARGS=--cameras 7 --parquet-root {tmp_path}",
    )
    args = _parser().parse_args(argv)
    assert args.command == "demo"
    assert (args.listen, args.simulator_listen, args.profile) == (
        "0.0.0.0:10071",
        "127.0.0.1:18080",
        "real-world",
    )
    assert (args.cameras, args.parquet_root) == (7, str(tmp_path))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, ""
    except OSError:
        return 0, ""


def test_make_demo_serves_metrics_on_listen_from_a_simulator_on_sim_listen(
    fake_venv: Path, tmp_path: Path
) -> None:
    stub(fake_venv / "bin" / "eocexporter", f'exec {shlex.quote(sys.executable)} -m eocexporter "$@"')
    port, sim_port = free_port(), free_port()
    demo = subprocess.Popen(
        [
            "make",
            "--no-print-directory",
            "demo",
            f"VENV={fake_venv}",
            f"LISTEN=127.0.0.1:{port}",
            f"SIM_LISTEN=127.0.0.1:{sim_port}",
            f"ARGS=--servers 1 --cameras 5 --parquet-root {tmp_path / 'parquet'}",
        ],
        cwd=ROOT,
        env=make_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # make and the demo in a group of their own, stopped together below
    )
    try:
        deadline = time.monotonic() + 60
        status, body = 0, ""
        for _ in range(300):  # bounded in count and in time
            if demo.poll() is not None or time.monotonic() > deadline:
                break
            status, body = get(f"http://127.0.0.1:{port}/metrics")
            if status == 200 and re.search(r'^eocortex_up\{target="demo"\} 1', body, re.MULTILINE):
                break
            time.sleep(0.2)
        assert status == 200, f"/metrics never answered on LISTEN (last {status}); make exited {demo.poll()}"
        assert re.search(r'^eocortex_up\{target="demo"\} 1', body, re.MULTILINE), body[-2000:]
        # The exporter reached the simulator, and the simulator is where SIM_LISTEN put it.
        sim_status, _ = get(f"http://127.0.0.1:{sim_port}/api/channels")
        assert sim_status in (200, 401, 403), f"nothing answered on SIM_LISTEN (status {sim_status})"
    finally:
        os.killpg(demo.pid, signal.SIGTERM)
        try:
            _, stderr = demo.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(demo.pid, signal.SIGKILL)
            _, stderr = demo.communicate()
    assert "Traceback" not in stderr, stderr[-3000:]
