"""Fixtures for the simulator's own tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from eocexporter.simulator import Simulator, running_simulator

from .helpers import make_config


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with running_simulator(make_config()) as simulator:
        yield simulator


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        yield session
