"""Configuration: environment variables ``EOCEXPORTER_*`` (nested with ``__``) over an optional YAML file.

:class:`Settings` assembles the parts defined in :mod:`eocexporter.options` and, under ``collectors``,
the options of every collector in :mod:`eocexporter.registry` (one field each, by the entry's name).
:func:`load_settings` turns any validation problem into :class:`ConfigError` with one line naming each
bad option and why, and never echoes the offending value (it may be a password).
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, create_model, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, SettingsError

from eocexporter.options import (
    CollectorConfig,
    DiscoveryConfig,
    ParquetConfig,
    S3Config,
    StrictModel,
    TargetConfig,
)
from eocexporter.registry import COLLECTORS

DEFAULT_PORT = 10070
DEFAULT_LISTEN = f"0.0.0.0:{DEFAULT_PORT}"

__all__ = [
    "DEFAULT_LISTEN",
    "DEFAULT_PORT",
    "CollectorConfig",
    "CollectorsConfig",
    "ConfigError",
    "ParquetConfig",
    "S3Config",
    "Settings",
    "TargetConfig",
    "load_settings",
    "split_listen",
]


class ConfigError(Exception):
    """A configuration that cannot be used; the message is one line and free of secrets."""


class _CollectorsBase(StrictModel):
    discovery: DiscoveryConfig = DiscoveryConfig()

    @field_validator("discovery")
    @classmethod
    def _discovery_on(cls, value: DiscoveryConfig) -> DiscoveryConfig:
        if not value.enabled:
            raise ValueError("discovery cannot be disabled: every other collector needs the server list")
        return value


# Discovery, then one field per registered collector, named as the entry and defaulting to its options.
CollectorsConfig = create_model(  # type: ignore[call-overload]
    "CollectorsConfig",
    __base__=_CollectorsBase,
    __doc__="Options of discovery and of every collector, by name.",
    **{entry.name: (entry.config, entry.config()) for entry in COLLECTORS},
)


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
    def _requests_fit_the_runs(self) -> Settings:
        # A request that may take longer than the run that makes it is cut off by the run's deadline
        # before its own timeout can say what happened.
        deadlines = {"discovery": self.collectors.discovery.deadline}
        for entry in COLLECTORS:
            options = entry.options(self.collectors)
            if options.enabled:
                deadlines[entry.name] = options.deadline
        shortest = min(deadlines, key=deadlines.__getitem__)
        for index, target in enumerate(self.targets):
            if target.request_timeout > deadlines[shortest]:
                raise ValueError(
                    f"targets.{index}.request_timeout ({target.request_timeout:g}s) is longer than the deadline "
                    f"of collectors.{shortest} ({deadlines[shortest]:g}s): lower it, or raise that interval"
                )
        return self

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
    except SettingsError as exc:
        # A complex option given as an environment variable that is not JSON (pydantic-settings' own
        # message names the field and the source, never the value).
        field = re.search(r'field "([^"]+)"', str(exc))
        variable = f"EOCEXPORTER_{field.group(1).upper()}" if field else "an EOCEXPORTER_ variable"
        raise ConfigError(
            f"{variable}: not valid JSON (a list or object of options is given as JSON)"
        ) from None
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
