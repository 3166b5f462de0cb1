"""Shared fixtures: a simulated installation on 127.0.0.1 and exporters pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from eocexporter.config import Settings, load_settings
from eocexporter.exporter import Exporter
from eocexporter.simulator import SettableClock, SimulatorConfig, SimUser, running_simulator

# 12:30 in Moscow: mid-day, so counters and visitors have accumulated.
FIXED_TIME = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
TIMEZONE = "Europe/Moscow"
SEED = 7

ROOT = SimUser("root", "")
MONITOR = SimUser("monitor", "s3cret-Пароль")
OPERATOR = SimUser("operator", "op-pass", senior_admin=False)
AD_USER = SimUser("ivanov@corp.example", "AdPa55:word", user_type="ActiveDirectory")
USERS = (ROOT, MONITOR, OPERATOR, AD_USER)

# Fast failure for tests: short timeouts and back-off, so a retried fault costs milliseconds; and the
# collectors' first runs spread over 1 s instead of 15, so a test of the running loops waits little.
FAST_CLIENT = {
    "request_timeout": 1.0,
    "retries": 2,
    "backoff_initial": 0.01,
    "backoff_max": 0.02,
    "politeness": {"first_run_spread": 1.0},
}


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(FIXED_TIME)


def sim_config(clock: SettableClock, **overrides: Any) -> SimulatorConfig:
    options: dict[str, Any] = {
        "servers": 2,
        "cameras": 50,
        "seed": SEED,
        "timezone": TIMEZONE,
        "host": "127.0.0.1",
        "port": 0,
        "users": USERS,
        "clock": clock,
    }
    options.update(overrides)
    return SimulatorConfig(**options)


@pytest.fixture
async def sim(clock: SettableClock) -> AsyncIterator[Any]:
    async with running_simulator(sim_config(clock)) as running:
        yield running


@pytest.fixture
async def small(clock: SettableClock) -> AsyncIterator[Any]:
    """The default installation with 20 cameras: every kind of camera, little to wait for."""
    async with running_simulator(sim_config(clock, cameras=20)) as running:
        yield running


def make_settings(url: str, *, target: dict[str, Any] | None = None, **settings: Any) -> Settings:
    """Settings with one target named ``eoc`` at ``url`` (root, empty password unless overridden)."""
    options = {
        "name": "eoc",
        "url": url,
        "username": "root",
        "password": "",
        "timezone": TIMEZONE,
        **FAST_CLIENT,
    }
    options.update(target or {})
    if "password_file" in options:
        del options["password"]
    return load_settings(None, targets=[options], **settings)


@pytest.fixture
async def exporter_factory(clock: SettableClock) -> AsyncIterator[Callable[[Settings], Exporter]]:
    made: list[Exporter] = []

    def make(settings: Settings) -> Exporter:
        exporter = Exporter(settings, now=clock.now)
        made.append(exporter)
        return exporter

    yield make
    for exporter in made:
        await exporter.stop()
