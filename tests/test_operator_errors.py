"""Operator mistakes, each answered in one clear line with the documented exit code (README, "Exit codes").

The commands run in-process through ``eocexporter.cli.main`` where nothing needs a loop of its own, and as
separate processes where they collect from the simulator.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from conftest import sim_config
from helpers import parse_samples, series
from test_cli import free_port, run_cli

from eocexporter import cli
from eocexporter.config import ConfigError, load_settings
from eocexporter.simulator import running_simulator

SECRET = "s3cret-Пароль"


def main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


def write(tmp_path: Path, text: str, name: str = "config.yml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ---- 1, 7: configuration errors ------------------------------------------------------------------------


def test_bad_json_in_an_environment_variable_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EOCEXPORTER_TARGETS", "[{name:x}]")
    code, _, err = main(capsys, "check-config")
    assert code == 2
    assert "EOCEXPORTER_TARGETS" in one_line(err)


def test_every_problem_at_once_with_one_path_spelling_and_did_you_mean(tmp_path: Path) -> None:
    config = write(
        tmp_path,
        "log_levl: info\n"
        "targets:\n"
        "  - name: a\n    url: http://127.0.0.1:1\n    pasword: x\n    timeout: 5\n"
        "    password_file: /nonexistent/secret\n"
        "collectors:\n  camras: {}\n  cameras: {intervall: 5}\n"
        "parquet: {s3: {acces_key: k}}\n",
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    message = str(caught.value)
    assert "\n" not in message
    for expected in (
        "log_levl: unknown option (did you mean 'log_level'?)",
        "targets.0.pasword: unknown option (did you mean 'password'?)",
        "targets.0.timeout: unknown option (did you mean 'request_timeout'?)",
        "targets.0.password_file: file not found",
        "collectors.camras: unknown option (did you mean 'cameras'?)",
        "collectors.cameras.intervall: unknown option (did you mean 'interval'?)",
        "parquet.s3.acces_key: unknown option (did you mean 'access_key'?)",
    ):
        assert expected in message, message


def test_a_key_like_no_option_gets_no_guess(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, "wibble: 1\n"))
    assert str(caught.value) == "wibble: unknown option"


def test_an_unreadable_password_file_is_a_config_error_not_a_traceback(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.mkdir()  # a directory where a file is expected: is_file() is False
    config = write(
        tmp_path, f"targets:\n  - {{name: a, url: 'http://127.0.0.1:1', password_file: '{secret}'}}\n"
    )
    with pytest.raises(ConfigError, match=r"^targets\.0\.password_file: file not found$"):
        load_settings(config)


def test_an_unquoted_numeric_password_gets_a_hint_without_its_value(tmp_path: Path) -> None:
    config = write(tmp_path, "targets:\n  - {name: a, url: 'http://127.0.0.1:1', password: 918273}\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    message = str(caught.value)
    assert message.startswith(
        "targets.0.password: Input should be a valid string (YAML read a number: quote it"
    )
    assert "918273" not in message


@pytest.mark.parametrize(
    ("variable", "value", "attribute", "expected"),
    [
        ("EOCEXPORTER_LOG_LEVEL", "DEBUG", "log_level", "debug"),
        ("EOCEXPORTER_LOG_LEVEL", "Warning", "log_level", "warning"),
        ("EOCEXPORTER_LOG_FORMAT", "JSON", "log_format", "json"),
    ],
)
def test_choices_from_the_environment_match_without_regard_to_case(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, attribute: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    assert getattr(load_settings(None), attribute) == expected


def test_target_choices_match_without_regard_to_case(tmp_path: Path) -> None:
    config = write(
        tmp_path,
        "targets:\n  - {name: a, url: 'http://127.0.0.1:1', auth: QUERY, user_type: Active_Directory}\n",
    )
    target = load_settings(config).targets[0]
    assert (target.auth, target.user_type) == ("query", "active_directory")


def test_an_empty_password_is_a_check_config_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(
        tmp_path,
        "targets:\n  - {name: lab, url: 'http://127.0.0.1:1'}\n"
        f"  - {{name: shop, url: 'http://127.0.0.1:2', password: '{SECRET}'}}\n",
    )
    code, out, err = main(capsys, "check-config", "--config", str(config))
    assert code == 0
    assert out.startswith("config OK: 2 target(s)")
    assert one_line(err) == "warning: targets.0 (lab): the password is empty"
    assert SECRET not in out + err


# ---- 2: once honours the shard flags ---------------------------------------------------------------------


async def test_once_validates_the_shard_flags(tmp_path: Path) -> None:
    code, _, stderr = await run_cli("once", "--shard-index", "5", "--shard-count", "2")
    assert code == 2
    assert stderr.decode().strip() == "eocexporter: config error: shard_index 5 is not below shard_count 2"


async def test_once_collects_only_its_shard(clock, tmp_path: Path) -> None:
    from eocexporter.sharding import Shard

    async with running_simulator(sim_config(clock, servers=4, cameras=8)) as sim:
        config = write(
            tmp_path, f"targets:\n- {{name: shop, url: '{sim.main_url}', timezone: Europe/Moscow}}\n"
        )
        everything = {server.id for server in sim.installation.servers}
        seen: list[set[str]] = []
        for index in (0, 1):
            code, stdout, stderr = await run_cli(
                "once", "--config", str(config), "--shard-index", str(index), "--shard-count", "2"
            )
            assert code == 0, stderr.decode()
            polled = {
                dict(labels)["server_id"] for labels in series(parse_samples(stdout), "eocortex_server_up")
            }
            assert polled == Shard(index, 2).owned_servers("shop", everything)
            seen.append(polled)
    assert seen[0] | seen[1] == everything
    assert not seen[0] & seen[1]


# ---- 3: /ready without targets ---------------------------------------------------------------------------


async def test_ready_without_targets_says_so(tmp_path: Path) -> None:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "eocexporter", "run", "--listen", f"127.0.0.1:{port}"),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        env={key: value for key, value in os.environ.items() if not key.startswith("EOCEXPORTER_")},
    )
    try:
        status, body = await _ready_answer(port, process)
    finally:
        process.terminate()
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert status == 200, body
    assert body == "ready: no targets configured, serving only the exporter's own metrics\n"
    assert "no targets configured" in stderr.decode()


async def _ready_answer(port: int, process: asyncio.subprocess.Process) -> tuple[int, str]:
    """/ready's first answer once the exporter listens and has rendered (bounded: 30 s)."""
    async with aiohttp.ClientSession() as http, asyncio.timeout(30):
        for _ in range(300):
            if process.returncode is not None:
                raise AssertionError("the exporter exited")
            try:
                async with http.get(f"http://127.0.0.1:{port}/ready") as response:
                    text = await response.text()
                    if "first exposition" not in text:  # rendered once: the answer no longer changes
                        return response.status, text
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)  # polling a separate process: there is nothing to wait on
    raise AssertionError("/ready never answered")


# ---- 4, 8: compact ----------------------------------------------------------------------------------------


def test_compact_of_a_root_that_does_not_exist_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(tmp_path, f"parquet: {{root: '{tmp_path / 'typo'}'}}\n")
    code, _, err = main(capsys, "compact", "--config", str(config), "--date", "2026-11-29")
    assert code == 2
    assert one_line(err) == f"eocexporter: compact: parquet.root {tmp_path / 'typo'} does not exist"


def test_compact_of_a_day_without_files_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write(tmp_path, f"parquet: {{root: '{tmp_path}'}}\n")
    code, _, err = main(
        capsys, "compact", "--config", str(config), "--date", "2026-11-29", "--dataset", "camera_status"
    )
    assert code == 0
    assert one_line(err) == f"compact: no Parquet files for 2026-11-29 under {tmp_path} (camera_status)"


@pytest.mark.parametrize("days_ahead", [0, 1])
def test_compact_refuses_today_and_later_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], days_ahead: int
) -> None:
    config = write(tmp_path, f"parquet: {{root: '{tmp_path}'}}\n")
    day = (datetime.now(UTC) + timedelta(days=days_ahead)).date().isoformat()
    code, _, err = main(capsys, "compact", "--config", str(config), "--date", day)
    assert code == 2
    assert "the exporter is still writing that partition" in one_line(err)
    code, _, err = main(capsys, "compact", "--config", str(config), "--date", day, "--force")
    assert code == 0, err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["compact", "--date", "29.11.2026"], "'29.11.2026' is not a date; use YYYY-MM-DD, e.g. 2026-11-29"),
        (
            ["backfill", "--from", "1.11.2026", "--to", "2026-11-02"],
            "'1.11.2026' is not a time; use ISO 8601, YYYY-MM-DD[THH:MM[:SS]][+HH:MM]",
        ),
    ],
)
def test_date_arguments_name_the_accepted_forms(
    capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(argv)
    assert exited.value.code == 2
    assert expected in capsys.readouterr().err


# ---- 5: the Parquet root ---------------------------------------------------------------------------------


def test_check_config_refuses_a_root_that_cannot_be_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    root = blocker / "parquet"
    config = write(tmp_path, f"parquet: {{root: '{root}'}}\n")
    code, out, err = main(capsys, "check-config", "--config", str(config))
    assert code == 2
    assert out == ""
    assert one_line(err).startswith(f"eocexporter: config error: parquet.root {root} cannot be written: ")


def test_check_config_says_where_parquet_goes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "new" / "parquet"  # created, as the sink would
    config = write(tmp_path, f"parquet: {{root: '{root}'}}\n")
    code, out, _ = main(capsys, "check-config", "--config", str(config))
    assert code == 0
    assert f"parquet: writing to {root};" in one_line(out)
    assert root.is_dir() and not [path for path in root.rglob("*") if path.is_file()]  # the probe is gone
    code, out, _ = main(capsys, "check-config")
    assert "parquet: off;" in one_line(out)


async def test_run_stops_at_start_for_a_local_root_that_cannot_be_written(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    config = write(tmp_path, f"parquet: {{root: '{blocker / 'parquet'}'}}\n")
    code, _, stderr = await run_cli("run", "--config", str(config), "--listen", f"127.0.0.1:{free_port()}")
    assert code == 2
    assert one_line(stderr.decode()).startswith("eocexporter: config error: parquet.root ")


# ---- 6: exit codes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["check-config", "--config", "/nonexistent/config.yml"],
        ["once", "--shard-count", "0"],
        ["compact", "--date", "2026-11-29"],  # no parquet.root
        ["run", "--web.config.file", "/nonexistent/web.yml"],
    ],
)
def test_usage_and_config_errors_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    for key in [key for key in os.environ if key.startswith("EOCEXPORTER_")]:
        monkeypatch.delenv(key)
    code, _, err = main(capsys, *argv)
    assert code == 2
    one_line(err)


def test_a_command_without_arguments_it_needs_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["compact"])
    assert exited.value.code == 2


# ---- 11: help ---------------------------------------------------------------------------------------------


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = cli._parser()
    subparsers = next(action for action in parser._actions if isinstance(action, argparse._SubParsersAction))
    return dict(subparsers.choices)


@pytest.mark.parametrize("command", sorted(_commands()))
def test_every_option_has_help_with_its_default(command: str) -> None:
    parser = _commands()[command]
    text = " ".join(parser.format_help().split())
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        assert action.help, f"{command} {action.option_strings}: no help"
        has_default = action.default not in (None, False, [], argparse.SUPPRESS)
        if has_default:
            shown = parser._get_formatter()._get_help_string(action) % {"default": action.default}
            assert "default" in shown, (
                f"{command} {action.option_strings}: default {action.default!r} not shown"
            )
            assert " ".join(shown.split()) in text
