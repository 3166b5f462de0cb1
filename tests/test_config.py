"""Configuration: strict parsing, one-line errors naming the option, secrets never echoed."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from eocexporter.config import ConfigError, load_settings

CONFIGS = Path(__file__).parent / "configs"

# Each invalid file and the exact error it must produce (blackbox_exporter's config table test).
INVALID = {
    "invalid-auth-mode.yml": "targets.0.auth: Input should be 'basic' or 'query'",
    "invalid-both-passwords.yml": "targets.0: give password or password_file, not both",
    "invalid-discovery-off.yml": (
        "collectors.discovery: discovery cannot be disabled: every other collector needs the server list"
    ),
    "invalid-duplicate-names.yml": "targets: duplicate target name shop",
    "invalid-interval.yml": "collectors.cameras.interval: expected a duration such as 15, 15s, 500ms, 5m, 1h or 7d",
    "invalid-interval-too-short.yml": "collectors.cameras.interval: must be at least 1s",
    "invalid-interval-infinite.yml": "collectors.licenses.interval: Input should be a finite number",
    "invalid-timeout-over-interval.yml": "collectors.visitors: timeout (60s) must not exceed interval (30s)",
    "invalid-request-timeout-over-deadline.yml": (
        "targets.0.request_timeout (20s) is longer than the deadline of collectors.cameras (10s): lower it, or"
        " raise that interval"
    ),
    "invalid-listen.yml": "listen: expected HOST:PORT, e.g. 0.0.0.0:10070 or [::1]:10070",
    "invalid-md5-for-ad.yml": (
        "targets.0: password_encoding md5 is for internal users; Active Directory needs the plain password"
    ),
    "invalid-md5-not-hex.yml": "targets.0: password_encoding is md5 but the password is not 32 hex digits",
    "invalid-target-name.yml": (
        "targets.0.name: use 1-63 letters, digits, '_', '.' or '-', starting with a letter or digit"
    ),
    "invalid-timezone.yml": "targets.0.timezone: unknown IANA time zone",
    "invalid-top-level-list.yml": "config file {path}: expected a mapping at the top level",
    "invalid-unknown-key.yml": "targets.0.pasword: unknown option (did you mean 'password'?)",
    "invalid-url-credentials.yml": "targets.0.url: must not contain credentials; use username and password",
    "invalid-url-scheme.yml": "targets.0.url: must be an http:// or https:// URL with a host",
    "invalid-yaml.yml": "config file {path} line 4: not valid YAML",
}

SECRETS_IN_FILES = ("hunter2", "s3cr3t-in-url", "typo")


def test_every_invalid_file_has_an_expected_message() -> None:
    assert sorted(INVALID) == sorted(p.name for p in CONFIGS.glob("invalid-*.yml"))


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_config_gives_one_line_naming_the_option(name: str) -> None:
    path = CONFIGS / name
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert message == INVALID[name].format(path=path)
    assert "\n" not in message
    for secret in SECRETS_IN_FILES:
        assert secret not in message


def test_full_config_reads_every_option(tmp_path: Path) -> None:
    password_file = tmp_path / "password"
    password_file.write_text("pa55 word\n")  # the trailing newline of `echo` / k8s secrets is not kept
    config = tmp_path / "config.yml"
    config.write_text((CONFIGS / "valid-full.yml").read_text().replace("PASSWORD_FILE", str(password_file)))
    settings = load_settings(config)
    target = settings.targets[0]
    assert target.url == "https://eocortex.example.invalid:8080"
    assert target.secret() == "pa55 word"
    assert target.password_md5() == hashlib.md5(b"pa55 word").hexdigest()
    assert target.request_timeout == 5.0
    assert target.tls.insecure_skip_verify is True
    assert target.server_addresses == {"192.168.100.51:8080": "https://eocortex-2.example.invalid:8080"}
    assert target.politeness.model_dump() == {
        "server_concurrency": 4,
        "server_requests_per_second": 200,
        "adaptive": False,
        "slow_after": 2.0,
        "first_run_spread": 0,
    }
    assert settings.collectors.cameras.interval == 30.0
    assert settings.collectors.cameras.status_of_disabled is True
    assert settings.collectors.visitors.enabled is False
    assert settings.collectors.licenses.deadline == 60.0
    assert settings.collectors.object_counting.deadline == 15.0
    assert settings.stale_after_intervals == 2


def test_defaults_are_the_documented_ones() -> None:
    settings = load_settings(None)
    collectors = settings.collectors
    assert settings.listen == "0.0.0.0:10070"
    assert (collectors.cameras.interval, collectors.object_counting.interval) == (15.0, 15.0)
    assert (collectors.visitors.interval, collectors.licenses.interval) == (60.0, 300.0)
    assert settings.targets == []


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.yml"
    config.write_text("collectors:\n  cameras: {interval: 30s, status_of_disabled: true}\n")
    monkeypatch.setenv("EOCEXPORTER_COLLECTORS__CAMERAS__INTERVAL", "45s")
    monkeypatch.setenv("EOCEXPORTER_TARGETS", '[{"name": "env", "url": "http://127.0.0.1:8080"}]')
    settings = load_settings(config)
    assert settings.collectors.cameras.interval == 45.0
    assert settings.collectors.cameras.status_of_disabled is True
    assert [target.name for target in settings.targets] == ["env"]


def test_bad_environment_value_names_the_option(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EOCEXPORTER_COLLECTORS__LICENSES__INTERVAL", "-5")
    with pytest.raises(ConfigError) as caught:
        load_settings(None)
    assert str(caught.value) == (
        "collectors.licenses.interval: expected a duration such as 15, 15s, 500ms, 5m, 1h or 7d"
    )


def test_zero_interval_is_rejected(tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    config.write_text("collectors:\n  licenses: {interval: 0}\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert str(caught.value) == "collectors.licenses.interval: Input should be greater than 0"


def test_md5_password_is_used_as_given(tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    digest = hashlib.md5(b"1234").hexdigest().upper()
    config.write_text(
        f"targets:\n- {{name: a, url: 'http://127.0.0.1:1', password: {digest}, password_encoding: md5}}\n"
    )
    assert load_settings(config).targets[0].password_md5() == digest.lower()


def test_password_never_in_repr(tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    config.write_text("targets:\n- {name: a, url: 'http://127.0.0.1:1', password: hunter2}\n")
    settings = load_settings(config)
    assert "hunter2" not in repr(settings)
    assert "hunter2" not in str(settings)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "eocexporter", *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_check_config_accepts_a_good_file(tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    config.write_text("targets:\n- {name: shop, url: 'http://127.0.0.1:8080', password: hunter2}\n")
    result = _cli("check-config", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("config OK: 1 target(s) (shop)")
    assert "hunter2" not in result.stdout + result.stderr


def test_check_config_rejects_a_bad_file_with_one_line() -> None:
    result = _cli("check-config", "--config", str(CONFIGS / "invalid-both-passwords.yml"))
    assert result.returncode == 2
    assert result.stderr == (
        "eocexporter: config error: targets.0: give password or password_file, not both\n"
    )
    assert "hunter2" not in result.stdout + result.stderr


def test_missing_config_file_is_one_line() -> None:
    result = _cli("check-config", "--config", "/nonexistent/eocexporter.yml")
    assert result.returncode == 2
    assert result.stderr == (
        "eocexporter: config error: config file /nonexistent/eocexporter.yml: No such file or directory\n"
    )


def test_parquet_sink_is_off_without_a_root_and_configurable_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings(None).parquet.enabled is False
    monkeypatch.setenv("EOCEXPORTER_PARQUET__ROOT", "s3://analytics/eocortex")
    monkeypatch.setenv("EOCEXPORTER_PARQUET__REPORT_INTERVAL", "1h")
    monkeypatch.setenv("EOCEXPORTER_PARQUET__DATASETS__CAMERA_STATUS__INTERVAL", "10m")
    parquet = load_settings(None).parquet
    assert (parquet.root, parquet.report_interval, parquet.catch_up_window) == (
        "s3://analytics/eocortex",
        3600,
        7 * 86400,
    )
    assert parquet.datasets.camera_status.interval == 600
    assert parquet.datasets.license_usage.interval == 3600


CREDENTIALS_IN_THE_URL = (
    "credentials do not belong in the URL: use parquet.s3.access_key and parquet.s3.secret_key_file "
    "(or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
)


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        (
            "report_interval",
            "7m",
            "parquet.report_interval: must be whole minutes that divide a day: 1m, 5m, 15m, 30m, 1h, ... 24h",
        ),
        ("root", "ftp://host/x", "parquet.root: use a local directory or s3://bucket/prefix"),
        ("root", "s3://", "parquet.root: s3:// needs a bucket: s3://bucket/prefix"),
        *(
            ("root", url, f"parquet.root: {CREDENTIALS_IN_THE_URL}")
            for url in ("s3://KEY:SECRET@bucket/prefix", "s3://KEY@bucket", "s3://bucket/prefix?secret_key=S")
        ),
    ],
)
def test_bad_parquet_options_name_themselves(option: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(None, parquet={option: value})
    assert str(caught.value) == message
    assert "KEY:SECRET" not in message and "KEY@" not in message and "key=S" not in message  # never quoted


def test_an_s3_root_with_an_at_sign_in_its_prefix_is_a_path() -> None:
    settings = load_settings(None, parquet={"root": "s3://bucket/team@site/eocortex"})
    assert settings.parquet.location == "s3://bucket/team@site/eocortex"


def test_an_environment_variable_that_is_not_json_is_one_line_naming_it(monkeypatch) -> None:
    monkeypatch.setenv("EOCEXPORTER_TARGETS", "[{name: shop}]")
    with pytest.raises(ConfigError) as caught:
        load_settings(None)
    assert str(caught.value) == (
        "EOCEXPORTER_TARGETS: not valid JSON (a list or object of options is given as JSON)"
    )


def test_flags_win_over_the_environment_which_wins_over_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.yml"
    config.write_text("listen: 127.0.0.1:1001\nlog_level: error\nshard_count: 4\n")
    monkeypatch.setenv("EOCEXPORTER_LISTEN", "127.0.0.1:1002")
    monkeypatch.setenv("EOCEXPORTER_LOG_LEVEL", "warning")
    settings = load_settings(config, listen="127.0.0.1:1003", shard_index=None)
    assert settings.listen == "127.0.0.1:1003"  # the flag
    assert settings.log_level == "warning"  # the environment over the file
    assert settings.shard_count == 4  # the file over the default
    assert settings.shard_index == 0  # a flag not given (None) is no value: the default stays
    # Sources are read per load, nothing is left behind: the same file without flags is the environment's.
    assert load_settings(config).listen == "127.0.0.1:1002"


def test_two_loads_of_one_file_compare_equal(tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    config.write_text("targets:\n  - {name: shop, url: 'http://127.0.0.1:1'}\n")
    assert load_settings(config) == load_settings(config)  # what a reload compares


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a\n- b\n", "expected a mapping at the top level"),
        ("targets: [\n", "line 2: not valid YAML"),
    ],
)
def test_a_file_that_is_no_configuration_is_one_line(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "config.yml"
    config.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert str(caught.value).startswith(f"config file {config}")
    assert message in str(caught.value)


def test_a_directory_named_as_the_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=f"^config file {tmp_path}: is a directory$"):
        load_settings(tmp_path)
