"""Report intervals aligned to the clock of a target's time zone, and the API's time formats.

An interval is ``[start, end)`` in UTC. Boundaries fall where the *local* wall clock is a multiple of
the interval length since local midnight, so a 15-minute interval starts at :00, :15, :30 and :45 local
time, and a 1-hour interval at whole local hours even in zones such as +05:45. At a daylight-saving
change the interval that contains it is shorter or longer; intervals always tile time without gaps.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

# The object counting report takes server-local times as dd.MM.yyyy HH:mm:ss.fff (L6789-6793).
OBJECT_REPORT_TIME_FORMAT = "%d.%m.%Y %H:%M:%S.000"
# The unique visitor report's example (L7829) is dd.MM.yyyy HH:mm:ss; its parameters are named ...utc.
VISITOR_REPORT_TIME_FORMAT = "%d.%m.%Y %H:%M:%S"


@dataclass(frozen=True, slots=True, order=True)
class Interval:
    start: datetime  # aware UTC
    end: datetime  # aware UTC, exclusive

    def key(self) -> str:
        """Compact, sortable, file-name-safe form: ``20261125T0900Z-20261125T0915Z``."""
        return f"{_stamp(self.start)}-{_stamp(self.end)}"


def _stamp(moment: datetime) -> str:
    # Boundaries fall on whole minutes: lengths are whole minutes and zone offsets are too.
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%MZ")


def _offset_seconds(moment: datetime, zone: ZoneInfo) -> int:
    offset = moment.astimezone(zone).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def boundary_at_or_after(moment: datetime, length: float, zone: ZoneInfo) -> datetime:
    """The first interval boundary at or after ``moment`` (aware)."""
    step = int(length)
    utc = moment.astimezone(UTC)
    for _ in range(3):  # an offset change between `utc` and the candidate needs one more look
        offset = _offset_seconds(utc, zone)
        local_seconds = utc.timestamp() + offset
        candidate_local = math.ceil(local_seconds / step) * step
        candidate = datetime.fromtimestamp(candidate_local - offset, UTC)
        if _offset_seconds(candidate, zone) == offset:
            return candidate
        # The zone's offset changed before the candidate: the change itself ends this interval.
        utc = _transition_between(utc, candidate, zone)
        if (utc.timestamp() + _offset_seconds(utc, zone)) % step == 0:
            return utc
    return utc


def _transition_between(low: datetime, high: datetime, zone: ZoneInfo) -> datetime:
    """The first instant in (low, high] with the offset of ``high`` (bisection to the second)."""
    target = _offset_seconds(high, zone)
    lo, hi = low.timestamp(), high.timestamp()
    while hi - lo > 1:
        mid = math.floor((lo + hi) / 2)
        if _offset_seconds(datetime.fromtimestamp(mid, UTC), zone) == target:
            hi = mid
        else:
            lo = mid
    return datetime.fromtimestamp(hi, UTC)


def interval_starting_at(start: datetime, length: float, zone: ZoneInfo) -> Interval:
    end = boundary_at_or_after(start + timedelta(seconds=1), length, zone)
    return Interval(start.astimezone(UTC), end)


def intervals_between(
    first_start: datetime, until: datetime, length: float, zone: ZoneInfo
) -> Iterator[Interval]:
    """Consecutive intervals from the boundary at or after ``first_start`` whose end is <= ``until``."""
    start = boundary_at_or_after(first_start, length, zone)
    while True:
        interval = interval_starting_at(start, length, zone)
        if interval.end > until:
            return
        yield interval
        start = interval.end


def last_closed_end(now: datetime, length: float, zone: ZoneInfo, grace: float) -> datetime:
    """The latest boundary that is at least ``grace`` seconds in the past: intervals ending by it are due."""
    settled = now - timedelta(seconds=grace)
    boundary = boundary_at_or_after(settled, length, zone)
    if boundary > settled:
        boundary = previous_boundary(boundary, length, zone)
    return boundary


def previous_boundary(boundary: datetime, length: float, zone: ZoneInfo) -> datetime:
    """The boundary before ``boundary`` (which must be a boundary)."""
    probe = boundary - timedelta(seconds=length)
    candidate = boundary_at_or_after(probe, length, zone)
    while candidate >= boundary:  # a longer interval across a DST change
        probe -= timedelta(seconds=length)
        candidate = boundary_at_or_after(probe, length, zone)
    following = interval_starting_at(candidate, length, zone).end
    while following < boundary:
        candidate = following
        following = interval_starting_at(candidate, length, zone).end
    return candidate


def local_text(moment: datetime, zone: ZoneInfo, pattern: str) -> str:
    return moment.astimezone(zone).strftime(pattern)


def utc_text(moment: datetime, pattern: str) -> str:
    return moment.astimezone(UTC).strftime(pattern)
