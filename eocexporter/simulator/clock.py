"""Clocks: every time-dependent value is computed from `clock.now()` at request time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Current instant as an aware UTC datetime."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class SettableClock:
    """A clock that only moves when told to, so tests can pin every served value."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = _as_utc(start) if start is not None else datetime.now(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, instant: datetime) -> None:
        self._now = _as_utc(instant)

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)


def _as_utc(instant: datetime) -> datetime:
    # A naive datetime would silently mean "local time of the test machine"; refuse it.
    if instant.tzinfo is None:
        raise ValueError("clock instants must be timezone-aware")
    return instant.astimezone(UTC)
