"""Configuration: command-line flags over environment variables ``EOCEXPORTER_*`` (nested with ``__``)
over an optional YAML file over the defaults.

:class:`Settings` assembles the parts defined in :mod:`eocexporter.options` and, under ``collectors``,
the options of every collector in :mod:`eocexporter.registry` (one field each, by the entry's name).
The order of the sources is pydantic-settings' own: flags are init arguments, the environment its
``EnvSettingsSource``, the file its ``YamlConfigSettingsSource``. :func:`load_settings` turns any problem
into :class:`ConfigError` with one line naming each bad option and why, and never echoes the offending
value (it may be a password).
"""

from __future__ import annotations

import difflib
import functools
import re
import types
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, create_model, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    YamlConfigSettingsSource,
)

from eocexporter.options import (
    CollectorConfig,
    DiscoveryConfig,
    LowerCase,
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
    log_level: Annotated[Literal["debug", "info", "warning", "error"], LowerCase] = "info"
    # "json": one JSON object per line, for log pipelines (docs/logging.md).
    log_format: Annotated[Literal["text", "json"], LowerCase] = "text"
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
        # Command-line flags (init arguments) win over the environment, which wins over the file, as
        # operators override a mounted config file with container environment variables. The file is
        # the one in model_config["yaml_file"] (see _reading); plain Settings reads none.
        return (init_settings, env_settings, _YamlFile(settings_cls))


class _YamlFile(YamlConfigSettingsSource):
    """The YAML file, read by pydantic-settings; one that cannot be used is a ConfigError naming it."""

    def _read_file(self, file_path: Any) -> dict[str, Any]:
        try:
            loaded = super()._read_file(file_path)
        except OSError as exc:
            raise ConfigError(f"config file {file_path}: {exc.strerror or exc}") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" line {mark.line + 1}" if mark is not None else ""
            raise ConfigError(f"config file {file_path}{where}: not valid YAML") from None
        if not isinstance(loaded, dict):
            raise ConfigError(f"config file {file_path}: expected a mapping at the top level")
        return loaded


@functools.lru_cache(maxsize=16)
def _reading(config_file: Path | None) -> type[Settings]:
    """Settings that read ``config_file``: the library takes the file from the class's model_config, so
    each file gets a subclass naming it, made once (two loads of one file give settings that compare
    equal, as a reload needs)."""
    if config_file is None:
        return Settings
    config = SettingsConfigDict(yaml_file=config_file, yaml_file_encoding="utf-8")
    return type("Settings", (Settings,), {"model_config": config, "__module__": __name__})


def split_listen(value: str) -> tuple[str, int]:
    """``"HOST:PORT"`` or ``"[::1]:PORT"`` -> (host, port)."""
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError("expected HOST:PORT, e.g. 0.0.0.0:10070 or [::1]:10070")
    host = host.strip("[]") or "0.0.0.0"
    return host, int(port)


def load_settings(config_file: Path | None = None, **flags: Any) -> Settings:
    """The settings from ``flags`` (None: not given), the environment and the YAML file (if any), in that
    order of precedence; raise :class:`ConfigError` on any problem."""
    if config_file is not None and not config_file.is_file():
        # pydantic-settings skips a file that is not there; a file named on the command line must be.
        reason = "is a directory" if config_file.is_dir() else "No such file or directory"
        raise ConfigError(f"config file {config_file}: {reason}")
    given = {key: value for key, value in flags.items() if value is not None}
    try:
        return _reading(config_file)(**given)
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


def describe_validation_error(exc: ValidationError) -> str:
    """One line: ``option.path: reason; other.option: reason`` — every problem at once, never an input
    value (it may be a password)."""
    problems = []
    for error in exc.errors(include_url=False):
        location = [str(part) for part in error["loc"]]
        message = error["msg"].removeprefix("Value error, ")
        # A check across a model's options names the option first ("password_file: ..."): one spelling
        # of every path, targets.0.password_file, whoever found the problem.
        named = re.fullmatch(r"([a-z][a-z0-9_]*): (.+)", message)
        if named:
            location.append(named.group(1))
            message = named.group(2)
        if error["type"] == "extra_forbidden":
            message = "unknown option" + _did_you_mean(error["loc"])
        elif error["type"] == "string_type" and isinstance(error.get("input"), int | float):
            # YAML reads `password: 1234` as a number; the type is all this says of the value.
            message += ' (YAML read a number: quote it, e.g. "1234")'
        path = ".".join(location)
        problems.append(f"{path}: {message}" if path else message)
    return "; ".join(problems)


def _did_you_mean(location: tuple[int | str, ...]) -> str:
    """`` (did you mean 'password'?)`` for an unknown key close to an option of the same model."""
    options = _options_at(Settings, location[:-1])
    key = str(location[-1]).lower()
    close = difflib.get_close_matches(key, options, n=1, cutoff=0.75)
    # A part of a longer name: timeout -> request_timeout.
    close = close or [option for option in options if key in option.split("_")]
    return f" (did you mean {close[0]!r}?)" if len(close) == 1 else ""


def _options_at(model: type[BaseModel], location: tuple[int | str, ...]) -> list[str]:
    """The option names of the model found at ``location`` under ``model`` (list indexes and mapping keys
    skipped); none when the path leads elsewhere."""
    current: type[BaseModel] | None = model
    for part in location:
        if current is None:
            return []
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part)
        current = _model_in(field.annotation) if field is not None else None
    return list(current.model_fields) if current is not None else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model an annotation holds: itself, or inside Optional, list[...], dict[..., ...], Annotated."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType, list, dict, Annotated):
        for argument in typing.get_args(annotation):
            found = _model_in(argument)
            if found is not None:
                return found
    return None
