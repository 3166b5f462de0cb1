"""The parts of the configuration that the layers below ``config`` read.

A target (one Eocortex installation), the options every collector shares, discovery's and the Parquet
sink's. Each collector's own options class lives in its module and is registered in
:mod:`eocexporter.registry`; :mod:`eocexporter.config` assembles all of them into ``Settings``.

Every model forbids unknown keys, so a typo is an error instead of a silently ignored option, and is
frozen. Values that are used often in another form (the time zone, the parts of the target URL) are
converted once, here, at validation.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import SplitResult, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    field_validator,
    model_validator,
)

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_TARGET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}
_DEFAULT_PORTS = {"http": 80, "https": 443}


def parse_duration(value: Any) -> Any:
    """Accept seconds as a number or a Prometheus-style string: ``15``, ``"15s"``, ``"500ms"``, ``"5m"``."""
    if isinstance(value, str):
        match = _DURATION.match(value)
        if not match:
            raise ValueError("expected a duration such as 15, 15s, 500ms, 5m, 1h or 7d")
        return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    return value


Duration = Annotated[float, BeforeValidator(parse_duration), Field(gt=0, allow_inf_nan=False)]


def lower_case(value: Any) -> Any:
    """Choices match without regard to case (``DEBUG``, ``MD5``, ``HTTP``): environment variables are
    conventionally upper case, and Prometheus' own flags take levels in any case."""
    return value.strip().lower() if isinstance(value, str) else value


# The choices of an option, matched without regard to case.
LowerCase = BeforeValidator(lower_case)

# Floors: below them an option only sends Eocortex more requests than any dashboard can use (a 1 ms
# interval was once measured at ~174 requests/s, every run failing). docs/configuration.md lists them.
MIN_COLLECTOR_INTERVAL = 1.0
MIN_REQUEST_TIMEOUT = 0.1
MIN_CHECK_EVERY = 1.0


class StrictModel(BaseModel):
    """Unknown keys are errors; values never change after validation."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class TlsConfig(StrictModel):
    """TLS towards the Eocortex servers; verification is on unless explicitly switched off."""

    ca_file: Path | None = None
    insecure_skip_verify: bool = False

    @field_validator("ca_file")
    @classmethod
    def _ca_file_readable(cls, value: Path | None) -> Path | None:
        return readable_file(value)


class PolitenessConfig(StrictModel):
    """How hard the exporter may press each Eocortex server of a target (docs/configuration.md,
    "Politeness to Eocortex"). Limits are per server, never per target: an installation's servers are
    separate machines, and one slow server must not slow the polling of the others."""

    # Requests in flight to one server at most; max_concurrency stays the cap of the whole target.
    server_concurrency: int = Field(8, ge=1, le=256)
    # Requests per second to one server at most, in a token bucket with a burst of max(1, rate/10);
    # 0 = unlimited. Unlimited by default: the rate a server needs grows with its cameras (10,000 cameras
    # every 15 s are 667 status requests a second), so any fixed default would starve a large server or
    # mean nothing to a small one.
    server_requests_per_second: float = Field(0.0, ge=0, le=100_000, allow_inf_nan=False)
    # Halve a server's concurrency when its latency rises, win it back one request at a time (AIMD).
    adaptive: bool = True
    # Latency below this never counts as slow, whatever the server's own baseline: on a LAN a server
    # answers in milliseconds, and doubling 2 ms is no sign of load.
    slow_after: Duration = 0.5
    # A collector's first run waits a stable share of min(this, its interval), so a start (or a restart of
    # many replicas) does not send every collector's requests at once; 0 = all start at once.
    first_run_spread: Annotated[float, BeforeValidator(parse_duration), Field(ge=0, allow_inf_nan=False)] = (
        15.0
    )


def _zone(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("unknown IANA time zone") from None
    return value


class TargetConfig(StrictModel):
    """One Eocortex installation: its main server and how to log in."""

    # The name labels every series and names Parquet files, so it is kept to a safe alphabet.
    name: str
    url: str
    username: str = "root"
    password: SecretStr | None = None
    password_file: Path | None = None
    # "md5": the password (or the file) already holds the MD5 hex digest, as Eocortex expects for
    # internal users; "plain": the exporter hashes it itself.
    password_encoding: Annotated[Literal["plain", "md5"], LowerCase] = "plain"
    user_type: Annotated[Literal["internal", "active_directory"], LowerCase] = "internal"
    auth: Annotated[Literal["basic", "query"], LowerCase] = "basic"
    # Report intervals and "since local midnight" follow this zone's wall clock.
    timezone: Annotated[ZoneInfo, BeforeValidator(_zone)] = ZoneInfo("UTC")
    tls: TlsConfig = TlsConfig()
    max_concurrency: int = Field(16, ge=1, le=512)
    request_timeout: Annotated[Duration, Field(ge=MIN_REQUEST_TIMEOUT)] = 10.0
    retries: int = Field(3, ge=0, le=10)
    backoff_initial: Duration = 0.2
    backoff_max: Duration = 5.0
    # Where to reach a server whose configure/servers address is not reachable from the exporter:
    # key = server id or "hostname:port" as configure/servers reports it, value = base URL.
    server_addresses: dict[str, str] = Field(default_factory=dict)
    politeness: PolitenessConfig = PolitenessConfig()

    _address: SplitResult = PrivateAttr()
    _secret_digest: str = PrivateAttr()

    def model_post_init(self, context: Any, /) -> None:
        self._address = urlsplit(self.url)
        # What the password was when this configuration was read: a password file rotated in place leaves
        # the options equal, and a reload tells the change by this (never the password itself).
        self._secret_digest = hashlib.sha256(self.secret().encode("utf-8")).hexdigest()

    @property
    def secret_digest(self) -> str:
        return self._secret_digest

    @property
    def scheme(self) -> str:
        """``http`` or ``https``, from ``url``."""
        return self._address.scheme

    @property
    def host(self) -> str:
        """The main server's host name or address from ``url``, lower case, without IPv6 brackets."""
        return (self._address.hostname or "").lower()

    @property
    def port(self) -> int:
        """The main server's port from ``url``, or the scheme's default."""
        return self._address.port or _DEFAULT_PORTS[self.scheme]

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

    @field_validator("password_file")
    @classmethod
    def _password_file_readable(cls, value: Path | None) -> Path | None:
        # Here, not in the model validator: model_post_init reads the file before that runs.
        return readable_file(value)

    @field_validator("server_addresses")
    @classmethod
    def _addresses_are_base_urls(cls, value: dict[str, str]) -> dict[str, str]:
        return {key: _validate_base_url(url) for key, url in value.items()}

    @model_validator(mode="after")
    def _one_password_source(self) -> TargetConfig:
        if self.password is not None and self.password_file is not None:
            raise ValueError("give password or password_file, not both")
        if self.user_type == "active_directory" and self.password_encoding == "md5":
            raise ValueError(
                "password_encoding md5 is for internal users; Active Directory needs the plain password"
            )
        if self.password_encoding == "md5":
            digest = self.secret()
            if digest and not re.fullmatch(r"[0-9a-fA-F]{32}", digest):
                raise ValueError("password_encoding is md5 but the password is not 32 hex digits")
        if self.backoff_initial > self.backoff_max:
            raise ValueError(
                f"backoff_initial ({self.backoff_initial:g}s) is longer than backoff_max ({self.backoff_max:g}s)"
            )
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


def readable_file(path: Path | None) -> Path | None:
    """``path`` if it names a file this process can read (a secret, a CA bundle)."""
    if path is None:
        return None
    if not path.is_file():
        raise ValueError("file not found")
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        raise ValueError(f"cannot read the file: {exc.strerror or type(exc).__name__}") from None
    return path


def _validate_base_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL with a host")
    if parts.username or parts.password:
        raise ValueError("must not contain credentials; use username and password")
    if parts.query or parts.fragment:
        raise ValueError("must not contain a query or fragment")
    return value.rstrip("/")


class CollectorConfig(StrictModel):
    """What every collector's options share; each collector subclasses it with its own default interval."""

    enabled: bool = True
    interval: Duration
    # A run that takes longer is abandoned and counted as failed. Default: the interval itself.
    timeout: Duration | None = None

    @field_validator("interval")
    @classmethod
    def _at_least_the_floor(cls, value: float) -> float:
        if value < MIN_COLLECTOR_INTERVAL:
            raise ValueError(f"must be at least {MIN_COLLECTOR_INTERVAL:g}s")
        return value

    @model_validator(mode="after")
    def _timeout_within_interval(self) -> CollectorConfig:
        # As Prometheus' scrape_timeout may not exceed scrape_interval: a run that may last longer than its
        # interval makes the interval a fiction.
        if self.timeout is not None and self.timeout > self.interval:
            raise ValueError(f"timeout ({self.timeout:g}s) must not exceed interval ({self.interval:g}s)")
        return self

    @property
    def deadline(self) -> float:
        return self.timeout if self.timeout is not None else self.interval


class DiscoveryConfig(CollectorConfig):
    interval: Duration = 15.0


class S3Config(StrictModel):
    """Credentials and endpoint of an S3-compatible store (AWS, MinIO, Ceph RGW...)."""

    endpoint_override: str | None = None  # host:port of MinIO/Ceph; None = AWS
    scheme: Annotated[Literal["https", "http"], LowerCase] = "https"
    region: str | None = None
    access_key: str | None = None
    secret_key: SecretStr | None = None
    secret_key_file: Path | None = None

    @model_validator(mode="after")
    def _one_secret_source(self) -> S3Config:
        if self.secret_key is not None and self.secret_key_file is not None:
            raise ValueError("give secret_key or secret_key_file, not both")
        return self

    @field_validator("secret_key_file")
    @classmethod
    def _secret_key_file_readable(cls, value: Path | None) -> Path | None:
        return readable_file(value)

    def secret(self) -> str | None:
        if self.secret_key_file is not None:
            return self.secret_key_file.read_text(encoding="utf-8").rstrip("\r\n")
        return self.secret_key.get_secret_value() if self.secret_key is not None else None


class ReportDatasetConfig(StrictModel):
    enabled: bool = True


class SnapshotDatasetConfig(StrictModel):
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


class ArchiveDepthDatasetConfig(SnapshotDatasetConfig):
    # Daily: archive days change once a day, and capacity planning looks at weeks and months.
    interval: Duration = 86400.0


class DatasetsConfig(StrictModel):
    object_counts: ReportDatasetConfig = ReportDatasetConfig()
    visitor_reports: ReportDatasetConfig = ReportDatasetConfig()
    camera_status: CameraStatusDatasetConfig = CameraStatusDatasetConfig()
    license_usage: LicenseUsageDatasetConfig = LicenseUsageDatasetConfig()
    archive_depth: ArchiveDepthDatasetConfig = ArchiveDepthDatasetConfig()


class ParquetConfig(StrictModel):
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
    check_every: Annotated[Duration, Field(ge=MIN_CHECK_EVERY)] = 30.0
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
        if value.startswith("s3://") and (
            "@" in value.removeprefix("s3://").partition("/")[0] or "?" in value
        ):
            # pyarrow's URIs accept s3://KEY:SECRET@bucket; the root is shown on the status page, by
            # check-config and in error messages, so a secret in it would be too. The message never
            # quotes the value.
            raise ValueError(
                "credentials do not belong in the URL: use parquet.s3.access_key and "
                "parquet.s3.secret_key_file (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
            )
        return value

    @property
    def enabled(self) -> bool:
        return self.root is not None

    @property
    def on_s3(self) -> bool:
        return self.root is not None and self.root.startswith("s3://")

    @property
    def location(self) -> str | None:
        """The root as an operator recognises it, wherever it is shown (the start-up summary,
        check-config, the status page, error messages): an absolute directory, resolved as the sink
        resolves it, or s3://bucket/prefix; None while the sink is off."""
        if self.root is None:
            return None
        if self.on_s3:
            return self.root.rstrip("/")
        return str(Path(self.root).expanduser().absolute())


def _divides_a_day(value: float) -> float:
    if value < 60 or value != int(value) or 86400 % int(value):
        raise ValueError("must be whole minutes that divide a day: 1m, 5m, 15m, 30m, 1h, ... 24h")
    return value
