"""Report intervals across daylight-saving changes.

Every local day around a change is tiled exactly, the boundaries are the ones a brute-force scan of the
zone's wall clock finds (an independent computation: it walks UTC minutes instead of converting wall
times), only the intervals that span a change differ from the length (by the amounts in ``ANOMALIES``),
and the lookup functions agree with each other on both sides of every change.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from eocexporter.parquet.intervals import (
    Interval,
    boundary_at_or_after,
    interval_starting_at,
    intervals_between,
    last_closed_end,
    previous_boundary,
)

MINUTE, HOUR, DAY = 60, 3600, 86400
US = timedelta(microseconds=1)

# Lengths the configuration allows (whole minutes that divide a day), from a minute to a day.
LENGTHS = [m * MINUTE for m in (1, 2, 5, 10, 15, 20, 30)] + [h * HOUR for h in (1, 2, 3, 4, 6, 8, 12, 24)]
# The lengths whose intervals across each change are listed by hand in ANOMALIES.
TABLE_LENGTHS = [60, 900, 1800, HOUR, 2 * HOUR, 3 * HOUR, DAY]

# (zone, local day of the change, offset before, offset after), as tzdata 2025b and 2026f both have them.
CHANGES = [
    ("Europe/Berlin", "2026-03-29", "+01:00", "+02:00"),  # 02:00 -> 03:00
    ("Europe/Berlin", "2026-10-25", "+02:00", "+01:00"),  # 03:00 -> 02:00
    ("America/New_York", "2026-03-08", "-05:00", "-04:00"),  # 02:00 -> 03:00
    ("America/New_York", "2026-11-01", "-04:00", "-05:00"),  # 02:00 -> 01:00
    ("Australia/Lord_Howe", "2026-04-05", "+11:00", "+10:30"),  # 02:00 -> 01:30
    ("Australia/Lord_Howe", "2026-10-04", "+10:30", "+11:00"),  # 02:00 -> 02:30
    ("America/St_Johns", "2026-03-08", "-03:30", "-02:30"),  # 02:00 -> 03:00
    ("America/St_Johns", "2026-11-01", "-02:30", "-03:30"),  # 02:00 -> 01:00
    ("America/Santiago", "2026-04-04", "-03:00", "-04:00"),  # 24:00 -> 23:00: 23:00-24:00 twice
    ("America/Santiago", "2026-09-06", "-04:00", "-03:00"),  # 00:00 -> 01:00: the day starts at 01:00
    # Cuba's 2025 changes: tzdata 2025b also has one on 2026-11-01, 2026f (the tzdata package) does not.
    ("America/Havana", "2025-03-09", "-05:00", "-04:00"),  # 00:00 -> 01:00: the day starts at 01:00
    ("America/Havana", "2025-11-02", "-04:00", "-05:00"),  # 01:00 -> 00:00: midnight twice
]
# The days whose midnight falls in a gap: they begin at 01:00.
MIDNIGHT_GAPS = {("America/Santiago", "2026-09-06"), ("America/Havana", "2025-03-09")}
STEADY = [("Asia/Kathmandu", "2026-03-29"), ("Europe/Moscow", "2026-10-25")]

# The day before, of and after every change, and three days in zones without changes.
DAYS = [
    (zone, date.fromisoformat(day) + timedelta(days=shift))
    for zone, day in [(zone, day) for zone, day, _, _ in CHANGES] + STEADY
    for shift in (-1, 0, 1)
]

# (zone, day) -> {length: [(local start of an interval, its duration minus the length in minutes)]}, for
# the TABLE_LENGTHS: every other interval of those days is exactly as long as the length.
ANOMALIES: dict[tuple[str, str], dict[int, list[tuple[str, int]]]] = {
    # Gap 02:00-03:00: 02:00 never shows, so at 2 h the interval is 00:00-04:00, four wall hours that
    # last three (one more than 2 h); at 3 h it is 00:00-03:00, three wall hours that last two.
    ("Europe/Berlin", "2026-03-29"): {
        2 * HOUR: [("00:00+01:00", 60)],
        3 * HOUR: [("00:00+01:00", -60)],
        DAY: [("00:00+01:00", -60)],
    },
    # Fold 02:00-03:00: 02:00 is a boundary twice, so 2 h has a 1-hour interval between the two 02:00s.
    ("Europe/Berlin", "2026-10-25"): {
        2 * HOUR: [("02:00+02:00", -60)],
        3 * HOUR: [("00:00+02:00", 60)],
        DAY: [("00:00+02:00", 60)],
    },
    ("America/New_York", "2026-03-08"): {
        2 * HOUR: [("00:00-05:00", 60)],
        3 * HOUR: [("00:00-05:00", -60)],
        DAY: [("00:00-05:00", -60)],
    },
    # Fold 01:00-02:00: 01:00 twice makes no short interval at 1 h, 02:00 is not repeated.
    ("America/New_York", "2026-11-01"): {
        2 * HOUR: [("00:00-04:00", 60)],
        3 * HOUR: [("00:00-04:00", 60)],
        DAY: [("00:00-04:00", 60)],
    },
    # Fold 01:30-02:00 (half an hour): 01:00-02:00 holds 90 minutes.
    ("Australia/Lord_Howe", "2026-04-05"): {
        HOUR: [("01:00+11:00", 30)],
        2 * HOUR: [("00:00+11:00", 30)],
        3 * HOUR: [("00:00+11:00", 30)],
        DAY: [("00:00+11:00", 30)],
    },
    # Gap 02:00-02:30: 02:00 is dropped, so 01:00-03:00 is one 90-minute interval and 00:00-04:00 one
    # of 3.5 hours (longer), while 00:00-03:00 loses half an hour (shorter).
    ("Australia/Lord_Howe", "2026-10-04"): {
        HOUR: [("01:00+10:30", 30)],
        2 * HOUR: [("00:00+10:30", 90)],
        3 * HOUR: [("00:00+10:30", -30)],
        DAY: [("00:00+10:30", -30)],
    },
    ("America/St_Johns", "2026-03-08"): {
        2 * HOUR: [("00:00-03:30", 60)],
        3 * HOUR: [("00:00-03:30", -60)],
        DAY: [("00:00-03:30", -60)],
    },
    ("America/St_Johns", "2026-11-01"): {
        2 * HOUR: [("00:00-02:30", 60)],
        3 * HOUR: [("00:00-02:30", 60)],
        DAY: [("00:00-02:30", 60)],
    },
    # Fold 23:00-24:00 at the end of the day: the last interval is an hour longer.
    ("America/Santiago", "2026-04-04"): {
        2 * HOUR: [("22:00-03:00", 60)],
        3 * HOUR: [("21:00-03:00", 60)],
        DAY: [("00:00-03:00", 60)],
    },
    # Gap 00:00-01:00: the day starts at 01:00, and its first interval ends at the next multiple.
    ("America/Santiago", "2026-09-06"): {
        2 * HOUR: [("01:00-03:00", -60)],
        3 * HOUR: [("01:00-03:00", -60)],
        DAY: [("01:00-03:00", -60)],
    },
    ("America/Havana", "2025-03-09"): {
        2 * HOUR: [("01:00-04:00", -60)],
        3 * HOUR: [("01:00-04:00", -60)],
        DAY: [("01:00-04:00", -60)],
    },
    # Fold 00:00-01:00: midnight is a boundary twice, so the day opens with a 1-hour interval at every
    # length of an hour or more (even 24 h: a 1-hour interval, then a 24-hour one).
    ("America/Havana", "2025-11-02"): {
        2 * HOUR: [("00:00-04:00", -60)],
        3 * HOUR: [("00:00-04:00", -120)],
        DAY: [("00:00-04:00", -1380)],
    },
}


def length_id(length: int) -> str:
    return f"{length // HOUR}h" if length % HOUR == 0 else f"{length // MINUTE}m"


def day_id(value: object) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


# ---- the brute-force reference --------------------------------------------------------------------


@cache
def wall_clock(zone_name: str, day: date) -> tuple[tuple[datetime, datetime], ...]:
    """Every whole UTC minute from the day before ``day`` to the day after it, with the local time then.

    Offsets are within ±14 h, so this covers the whole local day and the start of the next one."""
    zone = ZoneInfo(zone_name)
    first = datetime.combine(day - timedelta(days=1), time(), UTC)
    return tuple(
        (moment, moment.astimezone(zone))
        for moment in (first + timedelta(minutes=m) for m in range(3 * 1440))
    )


def first_instant(zone_name: str, day: date) -> datetime:
    """The first instant whose local date is ``day`` (all the changes here are at whole minutes)."""
    return next(moment for moment, local in wall_clock(zone_name, day) if local.date() == day)


def expected_boundaries(zone_name: str, day: date, length: int) -> list[datetime]:
    """The instants from the day's first to the next day's first where the wall clock is a multiple of
    ``length`` since local midnight, and those two instants themselves."""
    start, end = first_instant(zone_name, day), first_instant(zone_name, day + timedelta(days=1))
    return [
        moment
        for moment, local in wall_clock(zone_name, day)
        if start <= moment <= end and (moment in (start, end) or seconds_since_midnight(local) % length == 0)
    ]


def seconds_since_midnight(local: datetime) -> int:
    return local.hour * HOUR + local.minute * MINUTE + local.second


def day_tiling(zone_name: str, day: date, length: int) -> list[Interval]:
    start, end = first_instant(zone_name, day), first_instant(zone_name, day + timedelta(days=1))
    return list(intervals_between(start, end, length, ZoneInfo(zone_name)))


def label(moment: datetime, zone: ZoneInfo) -> str:
    """``HH:MM+hh:mm`` local: the offset tells the two passes through a fold apart."""
    return moment.astimezone(zone).isoformat(timespec="minutes")[11:]


# ---- the tables' assumptions ----------------------------------------------------------------------


@pytest.mark.parametrize(("zone_name", "day", "before", "after"), CHANGES, ids=day_id)
def test_the_installed_tzdata_has_the_changes_the_tables_assume(
    zone_name: str, day: str, before: str, after: str
) -> None:
    zone, change = ZoneInfo(zone_name), date.fromisoformat(day)
    noon = [datetime.combine(change + timedelta(days=shift), time(12), zone) for shift in (-1, 1)]
    assert [moment.isoformat()[-6:] for moment in noon] == [before, after]
    offsets = {local.utcoffset() for _, local in wall_clock(zone_name, change)}
    assert len(offsets) == 2, "one change in the three days around it"


# ---- every local day is tiled exactly -------------------------------------------------------------


@pytest.mark.parametrize("length", LENGTHS, ids=length_id)
@pytest.mark.parametrize(("zone_name", "day"), DAYS, ids=day_id)
def test_each_local_day_is_tiled_by_the_wall_clock_boundaries(zone_name: str, day: date, length: int) -> None:
    start, end = first_instant(zone_name, day), first_instant(zone_name, day + timedelta(days=1))
    tiling = day_tiling(zone_name, day, length)
    assert tiling, "a day has at least one interval"
    assert tiling[0].start == start
    assert tiling[-1].end == end
    assert all(before.end == after.start for before, after in pairwise(tiling))
    assert all(interval.end > interval.start for interval in tiling)
    assert len({interval.start for interval in tiling}) == len(tiling)
    assert all(interval.start.utcoffset() == timedelta(0) for interval in tiling)
    assert [interval.start for interval in tiling] + [end] == expected_boundaries(zone_name, day, length)


@pytest.mark.parametrize("length", TABLE_LENGTHS, ids=length_id)
@pytest.mark.parametrize(("zone_name", "day"), DAYS, ids=day_id)
def test_only_the_intervals_across_a_change_differ_from_the_length(
    zone_name: str, day: date, length: int
) -> None:
    zone, nominal = ZoneInfo(zone_name), timedelta(seconds=length)
    differing = [
        (label(interval.start, zone), (interval.end - interval.start - nominal) // timedelta(minutes=1))
        for interval in day_tiling(zone_name, day, length)
        if interval.end - interval.start != nominal
    ]
    assert differing == ANOMALIES.get((zone_name, day.isoformat()), {}).get(length, [])


@pytest.mark.parametrize("length", LENGTHS, ids=length_id)
@pytest.mark.parametrize(("zone_name", "day"), DAYS, ids=day_id)
def test_boundaries_are_wall_clock_multiples_except_a_day_start_in_a_gap(
    zone_name: str, day: date, length: int
) -> None:
    zone = ZoneInfo(zone_name)
    tiling = day_tiling(zone_name, day, length)
    off_the_clock = [
        interval.start
        for interval in tiling
        if seconds_since_midnight(interval.start.astimezone(zone)) % length
    ]
    # Only a day whose midnight is skipped starts off the clock: at 01:00, a multiple of up to an hour.
    midnight_skipped = (zone_name, day.isoformat()) in MIDNIGHT_GAPS
    assert off_the_clock == ([tiling[0].start] if midnight_skipped and HOUR % length else [])
    for moment in off_the_clock:
        assert (moment - US).astimezone(zone).utcoffset() != moment.astimezone(zone).utcoffset()
        assert (moment - US).astimezone(zone).date() < day


def test_a_day_starting_in_a_gap_starts_its_first_interval_there() -> None:
    zone = ZoneInfo("America/Santiago")
    tiling = day_tiling("America/Santiago", date(2026, 9, 6), 2 * HOUR)
    assert [label(interval.start, zone) for interval in tiling[:3]] == [
        "01:00-03:00",
        "02:00-03:00",
        "04:00-03:00",
    ]
    assert tiling[0].start == datetime(2026, 9, 6, 4, tzinfo=UTC)


# ---- the fold and the fractional offsets ----------------------------------------------------------


def test_berlin_repeated_hour_gets_each_quarter_hour_once_per_pass() -> None:
    zone = ZoneInfo("Europe/Berlin")
    tiling = day_tiling("Europe/Berlin", date(2026, 10, 25), 15 * MINUTE)
    repeated = [interval for interval in tiling if interval.start.astimezone(zone).hour == 2]
    assert [label(interval.start, zone) for interval in repeated] == [
        "02:00+02:00",
        "02:15+02:00",
        "02:30+02:00",
        "02:45+02:00",
        "02:00+01:00",
        "02:15+01:00",
        "02:30+01:00",
        "02:45+01:00",
    ]
    assert [interval.start for interval in repeated] == [
        datetime(2026, 10, 25, 0, 0, tzinfo=UTC) + timedelta(minutes=15 * n) for n in range(8)
    ]
    assert len(tiling) == 100  # a 25-hour day


@pytest.mark.parametrize(
    ("zone_name", "days", "utc_minute"),
    [
        ("Asia/Kathmandu", ["2026-03-28", "2026-03-29", "2026-03-30"], 15),
        (
            "America/St_Johns",
            ["2026-03-07", "2026-03-08", "2026-03-09", "2026-10-31", "2026-11-01", "2026-11-02"],
            30,
        ),
    ],
    ids=["Asia/Kathmandu", "America/St_Johns"],
)
def test_hours_are_local_hours_in_zones_with_fractional_offsets(
    zone_name: str, days: list[str], utc_minute: int
) -> None:
    zone = ZoneInfo(zone_name)
    for day in days:
        tiling = day_tiling(zone_name, date.fromisoformat(day), HOUR)
        assert {interval.start.minute for interval in tiling} == {utc_minute}
        assert {interval.start.astimezone(zone).minute for interval in tiling} == {0}
        assert all(interval.end - interval.start == timedelta(hours=1) for interval in tiling)


# ---- the lookups agree with each other ------------------------------------------------------------


@pytest.mark.parametrize("length", TABLE_LENGTHS, ids=length_id)
@pytest.mark.parametrize(("zone_name", "day"), DAYS, ids=day_id)
def test_the_lookups_agree_with_the_tiling(zone_name: str, day: date, length: int) -> None:
    zone, grace = ZoneInfo(zone_name), 120.0
    settle = timedelta(seconds=grace)
    for interval in day_tiling(zone_name, day, length):
        start, end = interval.start, interval.end
        assert boundary_at_or_after(start, length, zone) == start
        assert boundary_at_or_after(start + US, length, zone) == end
        assert boundary_at_or_after(end - US, length, zone) == end
        # A moment given in the zone (fold and all) is the same instant as in UTC.
        assert boundary_at_or_after(start.astimezone(zone), length, zone) == start
        assert boundary_at_or_after((start + US).astimezone(zone), length, zone) == end
        assert interval_starting_at(start, length, zone) == interval
        assert interval_starting_at(start.astimezone(zone), length, zone) == interval
        assert previous_boundary(end, length, zone) == start
        assert last_closed_end(end + settle, length, zone, grace) == end
        assert last_closed_end(end + settle - US, length, zone, grace) == start


@pytest.mark.parametrize("length", TABLE_LENGTHS, ids=length_id)
@pytest.mark.parametrize(("zone_name", "day"), [(zone, day) for zone, day, _, _ in CHANGES], ids=day_id)
def test_a_week_across_a_change_is_the_days_one_after_another(zone_name: str, day: str, length: int) -> None:
    zone, change = ZoneInfo(zone_name), date.fromisoformat(day)
    days = [change + timedelta(days=shift) for shift in range(-3, 4)]
    week_start, week_end = (
        first_instant(zone_name, days[0]),
        first_instant(zone_name, days[-1] + timedelta(days=1)),
    )
    expected = [interval for one in days for interval in day_tiling(zone_name, one, length)]
    assert list(intervals_between(week_start, week_end, length, zone)) == expected
    # Off a boundary: from the next boundary on, up to the last interval that has ended by ``until``.
    assert list(intervals_between(week_start + US, week_end - US, length, zone)) == expected[1:-1]


@pytest.mark.parametrize(("zone_name", "day"), [(zone, day) for zone, day, _, _ in CHANGES], ids=day_id)
def test_intervals_between_an_empty_range_is_empty(zone_name: str, day: str) -> None:
    zone = ZoneInfo(zone_name)
    start = first_instant(zone_name, date.fromisoformat(day))
    assert list(intervals_between(start, start, HOUR, zone)) == []
    assert list(intervals_between(start, start + timedelta(minutes=59), HOUR, zone)) == []


# ---- tzdata's oddities ----------------------------------------------------------------------------


@pytest.mark.parametrize("length", TABLE_LENGTHS, ids=length_id)
@pytest.mark.parametrize(
    ("zone_name", "first_day", "last_day"),
    [
        # 2011-12-30 never happened in Samoa: 2011-12-29 24:00 -10:00 was 2011-12-31 00:00 +14:00.
        ("Pacific/Apia", "2011-12-28", "2012-01-01"),
        # Until 2011 St John's set its clocks back at 00:01 to 23:01 of the day before: the local date goes
        # back, and 23:01-00:01 shows twice, across midnight.
        ("America/St_Johns", "2010-11-05", "2010-11-09"),
    ],
    ids=["Pacific/Apia-2011", "America/St_Johns-2010"],
)
def test_a_skipped_day_and_a_fold_across_midnight(
    zone_name: str, first_day: str, last_day: str, length: int
) -> None:
    zone = ZoneInfo(zone_name)
    start = datetime.combine(date.fromisoformat(first_day), time(), zone).astimezone(UTC)
    end = datetime.combine(date.fromisoformat(last_day), time(), zone).astimezone(UTC)
    # Brute force: the minutes whose wall clock is a multiple of the length, or where a later date begins.
    expected, latest = [], date.min
    for moment in (start + timedelta(minutes=m) for m in range((end - start) // timedelta(minutes=1) + 1)):
        local = moment.astimezone(zone)
        if seconds_since_midnight(local) % length == 0 or local.date() > latest:
            expected.append(moment)
        latest = max(latest, local.date())
    tiling = list(intervals_between(start, end, length, zone))
    assert [interval.start for interval in tiling] + [tiling[-1].end] == expected
    for interval in tiling:
        assert boundary_at_or_after(interval.start + US, length, zone) == interval.end
        assert previous_boundary(interval.end, length, zone) == interval.start


# ---- the small things ---------------------------------------------------------------------------------


def test_interval_key_and_order() -> None:
    nine = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    first = Interval(nine, nine + timedelta(minutes=15))
    second = Interval(nine + timedelta(minutes=15), nine + timedelta(minutes=30))
    assert first.key() == "20261125T0900Z-20261125T0915Z"
    assert sorted([second, first]) == [first, second]
    berlin = ZoneInfo("Europe/Berlin")
    folded = interval_starting_at(datetime(2026, 10, 25, 1, 0, tzinfo=UTC), 15 * MINUTE, berlin)
    assert folded.key() == "20261025T0100Z-20261025T0115Z"


@pytest.mark.parametrize("length", [0, 59.5, 7 * MINUTE, 25 * HOUR], ids=["0", "59.5s", "7m", "25h"])
def test_a_length_that_does_not_divide_a_day_is_refused(length: float) -> None:
    with pytest.raises(ValueError, match="divide a day"):
        boundary_at_or_after(datetime(2026, 11, 25, 9, 0, tzinfo=UTC), length, ZoneInfo("Europe/Berlin"))
