"""Configuration: environment variables ``EOCEXPORTER_*`` (nested with ``__``) over an optional YAML file.

Every model forbids unknown keys, so a typo is an error instead of a silently ignored option.
:func:`load_settings` turns any validation problem into :class:`ConfigError` with one line naming each
bad option and why, and never echoes the offending value (it may be a password).
"""

from __future__ import annotations

import hashlib
import re
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

DEFAULT_PORT = 10070
DEFAULT_LISTEN = f"0.0.0.0:{DEFAULT_PORT}"

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_TARGET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


class ConfigError(Exception):
    """A configuration that cannot be used; the message is one line and free of secrets."""


def parse_duration(value: Any) -> Any:
    """Accept seconds as a number or a Prometheus-style string: ``15``, ``"15s"``, ``"500ms"``, ``"5m"``."""
    if isinstance(value, str):
        match = _DURATION.match(value)
        if not match:
            raise ValueError("expected a duration such as 15, 15s, 500ms, 5m, 1h or 7d")
        return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    return value


Duration = Annotated[float, BeforeValidator(parse_duration), Field(gt=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TlsConfig(_Strict):
    """TLS towards the Eocortex servers; verification is on unless explicitly switched off."""

    ca_file: Path | None = None
    insecure_skip_verify: bool = False

    @field_validator("ca_file")
    @classmethod
    def _ca_file_readable(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError("file not found")
        return value


class TargetConfig(_Strict):
    """One Eocortex installation: its main server and how to log in."""

    # The name labels every series and names Parquet files, so it is kept to a safe alphabet.
    name: str
    url: str
    username: str = "root"
    password: SecretStr | None = None
    password_file: Path | None = None
    # "md5": the password (or the file) already holds the MD5 hex digest, as Eocortex expects for
    # internal users; "plain": the exporter hashes it itself.
    password_encoding: Literal["plain", "md5"] = "plain"
    user_type: Literal["internal", "active_directory"] = "internal"
    auth: Literal["basic", "query"] = "basic"
    timezone: str = "UTC"
    tls: TlsConfig = TlsConfig()
    max_concurrency: int = Field(16, ge=1, le=512)
    request_timeout: Duration = 10.0
    retries: int = Field(3, ge=0, le=10)
    backoff_initial: Duration = 0.2
    backoff_max: Duration = 5.0
    # Where to reach a server whose configure/servers address is not reachable from the exporter:
    # key = server id or "hostname:port" as configure/servers reports it, value = base URL.
    server_addresses: dict[str, str] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _safe_name(cls, value: str) -> str:
        if not _TARGET_NAME.fullmatch(value):
            raise ValueError("use 1-63 letters, digits, '_', '.' or '-', starting with a letter or digit")
        return value

    @field_validator("url")
    @classmethod
    def _url_is_base(cls, value: str) -> str:
        return _validate_base_url(value)

    @field_validator("server_addresses")
    @classmethod
    def _addresses_are_base_urls(cls, value: dict[str, str]) -> dict[str, str]:
        return {key: _validate_base_url(url) for key, url in value.items()}

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("unknown IANA time zone") from None
        return value

    @model_validator(mode="after")
    def _one_password_source(self) -> TargetConfig:
        if self.password is not None and self.password_file is not None:
            raise ValueError("give password or password_file, not both")
        if self.password_file is not None and not self.password_file.is_file():
            raise ValueError("password_file: file not found")
        if self.user_type == "active_directory" and self.password_encoding == "md5":
            raise ValueError(
                "password_encoding md5 is for internal users; Active Directory needs the plain password"
            )
        if self.password_encoding == "md5":
            digest = self.secret()
            if digest and not re.fullmatch(r"[0-9a-fA-F]{32}", digest):
                raise ValueError("password_encoding is md5 but the password is not 32 hex digits")
        return self

    def secret(self) -> str:
        """The password as configured (read from password_file if given); empty when none."""
        if self.password_file is not None:
            # Kubernetes secrets and `echo` leave a trailing newline that is not part of the password.
            return self.password_file.read_text(encoding="utf-8").rstrip("\r\n")
        return self.password.get_secret_value() if self.password is not None else ""

    def password_md5(self) -> str:
        """MD5 hex of the password, as internal users send it (reference L253-255, L302-304)."""
        if self.password_encoding == "md5":
            return self.secret().lower()
        return hashlib.md5(self.secret().encode("utf-8"), usedforsecurity=False).hexdigest()


def _validate_base_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL with a host")
    if parts.username or parts.password:
        raise ValueError("must not contain credentials; use username and password")
    if parts.query or parts.fragment:
        raise ValueError("must not contain a query or fragment")
    return value.rstrip("/")


class CollectorConfig(_Strict):
    enabled: bool = True
    interval: Duration
    # A run that takes longer is abandoned and counted as failed. Default: the interval itself.
    timeout: Duration | None = None

    @property
    def deadline(self) -> float:
        return self.timeout if self.timeout is not None else self.interval


class CamerasCollectorConfig(CollectorConfig):
    interval: Duration = 15.0
    # A disabled camera streams nothing, so its status is skipped unless asked for.
    status_of_disabled: bool = False


class ObjectCountingCollectorConfig(CollectorConfig):
    interval: Duration = 15.0


class VisitorsCollectorConfig(CollectorConfig):
    interval: Duration = 60.0
    # Cameras per unique_visitor/report request: bounds the URL length on large servers.
    cameras_per_request: int = Field(50, ge=1, le=500)


class LicensesCollectorConfig(CollectorConfig):
    interval: Duration = 300.0


class ArchivingCollectorConfig(CollectorConfig):
    interval: Duration = 600.0


class DiscoveryConfig(CollectorConfig):
    interval: Duration = 15.0


class CollectorsConfig(_Strict):
    discovery: DiscoveryConfig = DiscoveryConfig()
    cameras: CamerasCollectorConfig = CamerasCollectorConfig()
    object_counting: ObjectCountingCollectorConfig = ObjectCountingCollectorConfig()
    visitors: VisitorsCollectorConfig = VisitorsCollectorConfig()
    licenses: LicensesCollectorConfig = LicensesCollectorConfig()
    archiving: ArchivingCollectorConfig = ArchivingCollectorConfig()

    @field_validator("discovery")
    @classmethod
    def _discovery_on(cls, value: DiscoveryConfig) -> DiscoveryConfig:
        if not value.enabled:
            raise ValueError("discovery cannot be disabled: every other collector needs the server list")
        return value


class S3Config(_Strict):
    """Credentials and endpoint of an S3-compatible store (AWS, MinIO, Ceph RGW...)."""

    endpoint_override: str | None = None  # host:port of MinIO/Ceph; None = AWS
    scheme: Literal["https", "http"] = "https"
    region: str | None = None
    access_key: str | None = None
    secret_key: SecretStr | None = None
    secret_key_file: Path | None = None

    @model_validator(mode="after")
    def _one_secret_source(self) -> S3Config:
        if self.secret_key is not None and self.secret_key_file is not None:
            raise ValueError("give secret_key or secret_key_file, not both")
        if self.secret_key_file is not None and not self.secret_key_file.is_file():
            raise ValueError("secret_key_file: file not found")
        return self

    def secret(self) -> str | None:
        if self.secret_key_file is not None:
            return self.secret_key_file.read_text(encoding="utf-8").rstrip("\r\n")
        return self.secret_key.get_secret_value() if self.secret_key is not None else None


class ReportDatasetConfig(_Strict):
    enabled: bool = True


class SnapshotDatasetConfig(_Strict):
    enabled: bool = True
    interval: Duration

    @field_validator("interval")
    @classmethod
    def _divides_a_day(cls, value: float) -> float:
        return _divides_a_day(value)


class CameraStatusDatasetConfig(SnapshotDatasetConfig):
    interval: Duration = 300.0


class LicenseUsageDatasetConfig(SnapshotDatasetConfig):
    interval: Duration = 3600.0


class DatasetsConfig(_Strict):
    object_counts: ReportDatasetConfig = ReportDatasetConfig()
    visitor_reports: ReportDatasetConfig = ReportDatasetConfig()
    camera_status: CameraStatusDatasetConfig = CameraStatusDatasetConfig()
    license_usage: LicenseUsageDatasetConfig = LicenseUsageDatasetConfig()


class ParquetConfig(_Strict):
    """The Parquet sink; off while ``root`` is unset."""

    root: str | None = None  # a local directory or s3://bucket/prefix
    s3: S3Config = S3Config()
    # Report intervals, aligned to the clock in each target's time zone; must divide a day.
    report_interval: Duration = 900.0
    # How long after an interval closes before it is fetched: the server may still be writing it.
    grace: Duration = 120.0
    # Closed intervals older than this are no longer caught up (and are counted as skipped).
    catch_up_window: Duration = 7 * 86400.0
    # On the very first start (no checkpoint yet), start this far back; 0 = the last closed interval.
    initial_catch_up: float = Field(0.0, ge=0)
    # How often the sink looks for closed intervals and due snapshots.
    check_every: Duration = 30.0
    datasets: DatasetsConfig = DatasetsConfig()

    @field_validator("initial_catch_up", mode="before")
    @classmethod
    def _duration_or_zero(cls, value: Any) -> Any:
        return parse_duration(value)

    @field_validator("report_interval")
    @classmethod
    def _report_interval_divides_a_day(cls, value: float) -> float:
        return _divides_a_day(value)

    @field_validator("root")
    @classmethod
    def _root_form(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if "://" in value and not value.startswith("s3://"):
            raise ValueError("use a local directory or s3://bucket/prefix")
        if value.startswith("s3://") and len(value.rstrip("/")) <= len("s3://"):
            raise ValueError("s3:// needs a bucket: s3://bucket/prefix")
        return value

    @property
    def enabled(self) -> bool:
        return self.root is not None


def _divides_a_day(value: float) -> float:
    if value < 60 or value != int(value) or 86400 % int(value):
        raise ValueError("must be whole minutes that divide a day: 1m, 5m, 15m, 30m, 1h, ... 24h")
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="EOCEXPORTER_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    listen: str = DEFAULT_LISTEN
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    targets: list[TargetConfig] = Field(default_factory=list)
    collectors: CollectorsConfig = CollectorsConfig()
    # A server's data from a failing collector is kept (and marked by success=0) for this many of the
    # collector's intervals, so a short blip does not make series vanish and reset alerts' `for:`.
    stale_after_intervals: int = Field(3, ge=0, le=100)
    parquet: ParquetConfig = ParquetConfig()
    # This replica's share of the work (docs/scaling.md). The index may be given as a StatefulSet pod name
    # ("eocexporter-2"), whose ordinal is the index.
    shard_index: int = Field(0, ge=0)
    shard_count: int = Field(1, ge=1, le=1024)

    @field_validator("shard_index", mode="before")
    @classmethod
    def _ordinal_of_pod_name(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip().isdigit():
            match = re.fullmatch(r".*-(\d+)", value.strip())
            if not match:
                raise ValueError("expected a number or a StatefulSet pod name ending in -<ordinal>")
            return int(match.group(1))
        return value

    @model_validator(mode="after")
    def _index_within_count(self) -> Settings:
        if self.shard_index >= self.shard_count:
            raise ValueError(f"shard_index {self.shard_index} is not below shard_count {self.shard_count}")
        return self

    @field_validator("listen")
    @classmethod
    def _listen_host_port(cls, value: str) -> str:
        split_listen(value)
        return value

    @field_validator("targets")
    @classmethod
    def _unique_names(cls, value: list[TargetConfig]) -> list[TargetConfig]:
        names = [target.name for target in value]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"duplicate target name {', '.join(duplicates)}")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Command-line flags win over the environment, which wins over the file (init kwargs carry the
        # YAML), as operators override a mounted config file with container environment variables.
        return (_CommandLine(settings_cls), env_settings, init_settings)


_COMMAND_LINE: ContextVar[dict[str, Any] | None] = ContextVar("command_line", default=None)


class _CommandLine(PydanticBaseSettingsSource):
    """Options given as command-line flags (``run --listen``, ``--shard-index``)."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return (_COMMAND_LINE.get() or {}).get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(_COMMAND_LINE.get() or {})


def split_listen(value: str) -> tuple[str, int]:
    """``"HOST:PORT"`` or ``"[::1]:PORT"`` -> (host, port)."""
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError("expected HOST:PORT, e.g. 0.0.0.0:10070 or [::1]:10070")
    host = host.strip("[]") or "0.0.0.0"
    return host, int(port)


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Read the YAML file (if any) and the environment; raise :class:`ConfigError` on any problem."""
    data: dict[str, Any] = {}
    if config_file is not None:
        try:
            loaded = yaml.safe_load(config_file.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"config file {config_file}: {exc.strerror or exc}") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" line {mark.line + 1}" if mark is not None else ""
            raise ConfigError(f"config file {config_file}{where}: not valid YAML") from None
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise ConfigError(f"config file {config_file}: expected a mapping at the top level")
        data.update(loaded)
    flags = {key: value for key, value in overrides.items() if value is not None}
    token = _COMMAND_LINE.set(flags)
    try:
        return Settings(**data)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc)) from None
    finally:
        _COMMAND_LINE.reset(token)


def describe_validation_error(exc: ValidationError) -> str:
    """One line: ``option.path: reason; other.option: reason`` — never the input value."""
    problems = []
    for error in exc.errors(include_input=False, include_url=False):
        location = ".".join(str(part) for part in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown option"
        # A check across options names them in its message.
        problems.append(f"{location}: {message}" if location else message)
    return "; ".join(problems)
