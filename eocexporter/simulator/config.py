"""Configuration of one simulated installation."""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .clock import Clock
from .variants import PROFILES, Variants

DEFAULT_PORT = 8080
# Bounds that keep the model in memory and its build within seconds (100,000 cameras: ~4 s, ~190 MB), so a
# typo cannot grow the process to gigabytes or keep it building past a SIGTERM; beyond the largest
# installation the exporter is benchmarked against (docs/benchmarks.md).
MAX_CAMERAS = 100_000
MAX_SERVERS = 100


@dataclass(frozen=True)
class SimUser:
    login: str
    password: str
    user_type: str = "internal"  # or "ActiveDirectory"
    senior_admin: bool = True

    def __post_init__(self) -> None:
        if self.user_type not in ("internal", "ActiveDirectory"):
            raise ValueError(f"user_type must be 'internal' or 'ActiveDirectory', not {self.user_type!r}")


@dataclass(frozen=True)
class SimulatorConfig:
    servers: int = 1
    cameras: int = 20
    seed: int = 0
    timezone: str = "UTC"
    host: str = "127.0.0.1"
    # 0: every server picks a free port; otherwise server i listens on port + i.
    port: int = DEFAULT_PORT
    # A fresh Eocortex has `root` with an empty password.
    users: tuple[SimUser, ...] = (SimUser("root", ""),)
    clock: Clock | None = None
    variants: Variants = field(default_factory=Variants)
    # Line counters reset every `counter_reset_hours` (0 = never) at `counter_reset_time` local wall
    # time; 168 anchors on Mondays. Mirrors the peoplecounter module's IntervalInHours (L1992-1994).
    counter_reset_hours: int = 24
    counter_reset_time: time = time(0, 0)
    request_log_size: int = 1000
    # Serve HTTPS with this context (certificate loaded) instead of plain HTTP, as an Eocortex server
    # behind TLS would; tests use it for the exporter's verification options.
    ssl_context: ssl.SSLContext | None = None
    # "reference": the reference as printed; "real-world": the quirks of real installations on top
    # (docs/simulator.md, "Profiles").
    profile: str = "reference"

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(f"profile must be one of {list(PROFILES)}, not {self.profile!r}")
        if not 1 <= self.servers <= MAX_SERVERS:
            raise ValueError(f"servers must be 1 to {MAX_SERVERS}")
        if not 0 <= self.cameras <= MAX_CAMERAS:
            raise ValueError(f"cameras must be 0 to {MAX_CAMERAS:,}")
        if not 0 <= self.port <= 65535 or (self.port and self.port + self.servers - 1 > 65535):
            raise ValueError("port out of range")
        if self.counter_reset_hours < 0:
            raise ValueError("counter_reset_hours must not be negative")
        if not self.users:
            raise ValueError("at least one user is needed")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {self.timezone!r}") from exc
