"""Helpers for the simulator's own tests: real HTTP on 127.0.0.1, a pinned clock."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import aiohttp

from eocexporter.simulator import SettableClock, SimulatorConfig, SimUser

# 15:00 in Moscow.
T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
USERS = (
    SimUser("root", ""),
    SimUser("user", "1234"),
    SimUser("novikov@ent.eocortex.com", "password", "ActiveDirectory"),
    SimUser("viewer", "v", senior_admin=False),
)


def make_config(**overrides: Any) -> SimulatorConfig:
    # Seed 2 gives one time-limited and one unlimited licence over two servers.
    settings: dict[str, Any] = {
        "servers": 2,
        "cameras": 30,
        "seed": 2,
        "timezone": "Europe/Moscow",
        "port": 0,
        "users": USERS,
        "clock": SettableClock(T0),
    }
    settings.update(overrides)
    return SimulatorConfig(**settings)


def basic(login: str, secret: str, **extra: str) -> dict[str, str]:
    token = base64.b64encode(f"{login}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}", **extra}


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


ROOT = basic("root", "")


async def fetch(
    session: aiohttp.ClientSession, url: str, *, headers: dict[str, str] | None = None, **kwargs: Any
) -> tuple[int, Any]:
    """Status and parsed JSON body, as root unless other headers are given."""
    async with session.get(url, headers=ROOT if headers is None else headers, **kwargs) as response:
        text = await response.text()
        return response.status, json.loads(text) if text else None


async def fetch_text(session: aiohttp.ClientSession, url: str, **kwargs: Any) -> tuple[int, str]:
    async with session.get(url, headers=ROOT, **kwargs) as response:
        return response.status, await response.text()
