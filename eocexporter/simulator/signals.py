"""Values that move with time: pure functions of the seed, an entity and an instant.

Counters are cumulative functions S(t) = volume * shape(t) whose derivative is never negative, so
floor(S) is monotone and any interval's count is a difference of two O(1) evaluations: reports add up
exactly and a report of a month ago costs the same as one of the last minute.
"""

from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo

from .seeded import unit

DAY = 86400.0
_TWO_PI = 2 * math.pi
_EPOCH_2000 = 946684800.0
_WOBBLE_PERIOD = 6.7  # days: slow day-to-day variation
_RIPPLE_PERIOD = 0.037  # days: ~53 minutes of short-term variation
STATUS_SLOT_SECONDS = 600
_BITRATE_SLOT_SECONDS = 10


def standard_offset(tz: ZoneInfo) -> float:
    """Offset of local *standard* time. The daily profile follows it rather than the wall clock so
    that a DST change never runs a cumulative counter backwards."""
    offsets = (datetime(2025, month, 15, tzinfo=tz).utcoffset() for month in (1, 7))
    return min(offset.total_seconds() for offset in offsets if offset is not None)


def local_days(instant: datetime, offset: float) -> float:
    """Days since 2000-01-01 00:00 local standard time."""
    return (instant.timestamp() + offset - _EPOCH_2000) / DAY


def cumulative_shape(days: float, shift: float, wobble: tuple[float, float]) -> float:
    """Integral of the normalised rate: a daily bell (0.1 at midnight, 2.5 at noon) plus a slow and a
    fast non-negative ripple. Mean rate about 1.35 per day."""
    d = days - shift
    diurnal = 0.1 * d + 0.6 * (
        1.5 * d - math.sin(_TWO_PI * d) / math.pi + math.sin(2 * _TWO_PI * d) / (4 * _TWO_PI)
    )
    slow = 0.25 * (d + _WOBBLE_PERIOD / _TWO_PI * math.sin(_TWO_PI * d / _WOBBLE_PERIOD + wobble[0]))
    fast = 0.1 * (d + _RIPPLE_PERIOD / _TWO_PI * math.sin(_TWO_PI * d / _RIPPLE_PERIOD + wobble[1]))
    return diurnal + slow + fast


def diurnal_rate(days: float, shift: float) -> float:
    """The instantaneous daily bell in [0.1, 2.5]."""
    return 0.1 + 0.6 * (1 - math.cos(_TWO_PI * (days - shift))) ** 2


def occupancy(peak: float, days: float, shift: float, key: tuple[object, ...], instant: datetime) -> int:
    """Objects present in an area: follows the daily bell, re-drawn every minute."""
    minute = int(instant.timestamp() // 60)
    noise = 0.5 + unit(*key, "occupancy", minute)
    return math.floor(peak * diurnal_rate(days, shift) / 2.5 * noise)


def byte_rate(nominal: int, key: tuple[object, ...], instant: datetime) -> int:
    """Bytes per second wandering around `nominal`: a slow swing plus a 10-second jitter."""
    seconds = instant.timestamp()
    phase = unit(*key, "phase") * _TWO_PI
    swing = 0.1 * math.sin(_TWO_PI * seconds / 900 + phase)
    jitter = 0.08 * (unit(*key, "jitter", int(seconds // _BITRATE_SLOT_SECONDS)) - 0.5)
    return max(1, int(nominal * (1 + swing + jitter)))


def scheduled_status(key: tuple[object, ...], instant: datetime, alt_enabled: bool, sound: bool) -> str:
    """Per 10-minute slot a seeded draw puts a camera into trouble for the whole slot (~4.5% of
    slots). Returns "Ok" for no trouble; the route decides its spelling."""
    draw = unit(*key, "status", int(instant.timestamp() // STATUS_SLOT_SECONDS))
    if draw < 0.02:
        return "ErrorMain"
    if draw < 0.03:
        return "ErrorAlt" if alt_enabled else "Ok"
    if draw < 0.035:
        return "ErrorSound" if sound else "Ok"
    if draw < 0.045:
        return "Wait"
    return "Ok"


def is_recording(archiving_mode: str, key: tuple[object, ...], instant: datetime) -> bool:
    if archiving_mode == "AlwaysOn":
        return True
    if archiving_mode == "MDandManual":
        return is_motion_minute(key, int(instant.timestamp() // 60))
    return False


def is_motion_minute(key: tuple[object, ...], minute: int) -> bool:
    """Motion-triggered recording is on for about a third of the minutes (minutes since the epoch)."""
    return unit(*key, "motion", minute) < 0.35
