"""Report intervals aligned to the wall clock of a target's time zone.

An interval is ``[start, end)`` between two consecutive boundaries, in aware UTC datetimes. The boundaries
are the instants at which the zone's *local* wall clock shows a multiple of the interval length since
local midnight: 15-minute intervals start at :00, :15, :30 and :45 local time, 1-hour intervals at whole
local hours even in zones such as +05:45. The boundaries of each local day are found by converting its
wall times midnight, midnight + length, ... to UTC, so that at a daylight-saving change:

* a wall time in a gap (the clock jumps over it) never shows and is no boundary: the interval around the
  gap spans more wall time and so lasts longer or shorter than the length (Berlin 2 h: 00:00-04:00 lasts
  3 hours; Berlin 3 h: 00:00-03:00 lasts 2 hours);
* a wall time in a fold (the clock is set back and shows it twice) is a boundary both times, so each pass
  through the repeated wall times has its own intervals (Berlin 15 min: 02:00-03:00 gives 8 intervals)
  and a boundary repeated on its own leaves a short interval between its two instants (Berlin 2 h: 02:00
  to 02:00, 1 hour; Havana, where midnight repeats, 24 h: a 1-hour interval, then a 24-hour one);
* a local day's first instant is a boundary too, even when its midnight is in a gap (Havana and Santiago
  skip 00:00-01:00: the day and its first interval start at 01:00), so whole intervals tile every day.

Boundaries are just a sorted set of instants, so the intervals tile time without gaps or overlaps. A
length must be whole seconds that divide a day (the configuration allows whole minutes that do).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

_DAY = 86400


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


def boundary_at_or_after(moment: datetime, length: float, zone: ZoneInfo) -> datetime:
    """The first interval boundary at or after ``moment`` (aware)."""
    return _next(moment, length, zone, inclusive=True)


def interval_starting_at(start: datetime, length: float, zone: ZoneInfo) -> Interval:
    """The interval from ``start`` (normally a boundary) to the next boundary."""
    return Interval(start.astimezone(UTC), _next(start, length, zone, inclusive=False))


def intervals_between(
    first_start: datetime, until: datetime, length: float, zone: ZoneInfo
) -> Iterator[Interval]:
    """Consecutive intervals from the boundary at or after ``first_start`` whose end is <= ``until``."""
    start = boundary_at_or_after(first_start, length, zone)
    while (end := _next(start, length, zone, inclusive=False)) <= until:
        yield Interval(start, end)
        start = end


def last_closed_end(now: datetime, length: float, zone: ZoneInfo, grace: float) -> datetime:
    """The latest boundary that is at least ``grace`` seconds in the past: intervals ending by it are due."""
    return _previous(now - timedelta(seconds=grace), length, zone, inclusive=True)


def previous_boundary(boundary: datetime, length: float, zone: ZoneInfo) -> datetime:
    """The latest boundary before ``boundary``: for a boundary, the start of the interval ending there."""
    return _previous(boundary, length, zone, inclusive=False)


def _next(moment: datetime, length: float, zone: ZoneInfo, *, inclusive: bool) -> datetime:
    moment = moment.astimezone(UTC)
    find = bisect_left if inclusive else bisect_right
    return min(
        days[i] for days in _days_around(moment, length, zone) if (i := find(days, moment)) < len(days)
    )


def _previous(moment: datetime, length: float, zone: ZoneInfo, *, inclusive: bool) -> datetime:
    moment = moment.astimezone(UTC)
    find = bisect_right if inclusive else bisect_left
    return max(days[i - 1] for days in _days_around(moment, length, zone) if (i := find(days, moment)) > 0)


def _days_around(moment: datetime, length: float, zone: ZoneInfo) -> Iterator[tuple[datetime, ...]]:
    """The boundaries of the local days from two before ``moment``'s to two after.

    The next boundary is at the latest the next day's first instant, and the previous one at the latest in
    the day before; two days cover a day that is skipped whole (Pacific/Apia, 2011-12-30) and days that
    overlap (a clock set back across midnight, as St John's did until 2011)."""
    step = int(length)
    if step != length or step <= 0 or _DAY % step:
        raise ValueError(f"interval length {length!r} s is not whole seconds that divide a day")
    day = moment.astimezone(zone).date()
    for shift in range(-2, 3):
        yield _day_boundaries(day + timedelta(days=shift), step, zone)


# Bounded: a day of 1-minute intervals holds up to 2,880 instants, of 15-minute ones 96.
@lru_cache(maxsize=512)
def _day_boundaries(day: date, step: int, zone: ZoneInfo) -> tuple[datetime, ...]:
    """The boundaries of one local day, sorted."""
    midnight = datetime.combine(day, time(), zone)
    found = set()
    for k in range(_DAY // step):
        # Adding a timedelta to an aware datetime moves its wall clock, whatever the offset does.
        wall = midnight + timedelta(seconds=k * step)
        for fold in (0, 1):
            instant = wall.replace(fold=fold).astimezone(UTC)
            # A wall time in a gap comes back as another one (either fold); one in a fold comes back from
            # both folds, as two instants; any other comes back from both as the same instant.
            if instant.astimezone(zone).replace(tzinfo=None) == wall.replace(tzinfo=None):
                found.add(instant)
    # The day's first instant: its midnight, the first pass if repeated. A midnight in a gap reads with the
    # offset before the gap, which is the instant the gap ends if it began at midnight, as every gap over a
    # midnight in tzdata since 1970 does (of older ones, Toronto's of 1919 began at 23:30). A day whose
    # wall clock never shows (skipped whole) has no first instant: the conversion lands on a later day.
    first = midnight.astimezone(UTC)
    if first.astimezone(zone).date() == day:
        found.add(first)
    return tuple(sorted(found))
