"""Archive days (webapi/cameras/{cameraId}/archive_days, L636-698): which server-local days a camera's
archive holds and the first recording moment of each, as functions of the seed, the camera, the model
actions and the clock (docs/simulator.md, "Archive days").

Instants are integer milliseconds since the Unix epoch, so every served value is exact.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .seeded import unit
from .signals import is_motion_minute
from .topology import SimCamera

DAY_MS = 86_400_000
_MINUTE_MS = 60_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Long-running cameras started recording at an instant of 2016 (from the seed): longer than any retention.
_LONG_RUNNING_FROM_MS = int((datetime(2016, 1, 1, tzinfo=UTC) - _EPOCH).total_seconds()) * 1000
# A "recent" camera started 2 to 9 days ago: its start is fixed for a week, then moves on a week (as if
# it had been added again with an empty archive), so one is recent at any clock.
RECENT_PERIOD_MS = 7 * DAY_MS
RECENT_MIN_AGE_MS = 2 * DAY_MS
# A camera disabled or with archiving off when the model is built stopped recording 1 to 15 days ago,
# by the same periodic rule with a 14-day period.
STOP_PERIOD_MS = 14 * DAY_MS
STOP_MIN_AGE_MS = DAY_MS
# A "gaps" camera records nothing on every day whose ordinal + its offset is a multiple of GAP_PERIOD,
# and on about GAP_SHARE of the others (fixed dates: a gap stays where it is as the clock moves).
GAP_PERIOD = 9
GAP_SHARE = 0.05


@dataclass
class ArchiveOverride:
    """What model actions changed about one camera's archive."""

    oldest: date | None = None
    gaps: frozenset[date] | None = None  # replaces the seeded gap days
    added_gaps: frozenset[date] = frozenset()  # days missed while the camera was disabled
    stopped_at: int | None = None  # disabled at run time (ms)
    resumed_at: int | None = None  # enabled again at run time (ms)


@dataclass(frozen=True)
class ArchiveProfile:
    """Everything that decides a camera's archive_days at one instant."""

    kind: str  # "normal" | "shallow" | "gaps" | "recent" (the seeded kind; see `stopped`)
    recording_start: datetime
    recording_stop: datetime | None  # None while the camera records
    kept_depth: int  # days the retention keeps before today
    min_depth: int  # configured ArchivingMinDeepnessInDays
    max_depth: int  # configured ArchivingMaxDeepnessInDays
    oldest_day: date  # first local day the archive may hold
    newest_day: date  # last local day it may hold (today, or the day recording stopped)
    gap_days: tuple[date, ...]  # missing days within [oldest_day, newest_day]
    days: tuple[date, ...]  # the days held, oldest first
    first_recordings: tuple[datetime, ...] = field(default=())  # per held day, as served

    @property
    def stopped(self) -> bool:
        return self.recording_stop is not None


class ArchiveModel:
    def __init__(self, seed: int, tz: ZoneInfo) -> None:
        self.seed = seed
        self.tz = tz
        self.overrides: dict[str, ArchiveOverride] = {}

    # --- the rules -------------------------------------------------------------------------------

    def recording_start_ms(self, camera: SimCamera, now_ms: int) -> int:
        if camera.archive_kind == "recent":
            phase = int(camera.archive_phase * RECENT_PERIOD_MS)
            return now_ms - (now_ms - phase) % RECENT_PERIOD_MS - RECENT_MIN_AGE_MS
        return _LONG_RUNNING_FROM_MS + int(unit(self.seed, camera.id, "recording-start") * 365 * DAY_MS)

    def stop_ms(self, camera: SimCamera, now_ms: int) -> int | None:
        """When the camera stopped recording; None while it records."""
        if not (camera.disabled or camera.archiving_off):
            return None
        override = self.overrides.get(camera.id)
        if override is not None and override.stopped_at is not None:
            return override.stopped_at
        phase = int(camera.archive_phase * STOP_PERIOD_MS)
        return now_ms - STOP_MIN_AGE_MS - (now_ms - phase) % STOP_PERIOD_MS

    def kept_depth(self, camera: SimCamera) -> int:
        return camera.shallow_depth if camera.archive_kind == "shallow" else camera.max_depth

    def _seeded_gap(self, camera: SimCamera, day: date) -> bool:
        ordinal = day.toordinal()
        offset = int(camera.archive_phase * GAP_PERIOD)
        return (ordinal + offset) % GAP_PERIOD == 0 or unit(
            self.seed, camera.id, "archive-gap", ordinal
        ) < GAP_SHARE

    def _is_gap(self, camera: SimCamera, override: ArchiveOverride | None, day: date) -> bool:
        """A gap is a fixed date on which nothing was recorded (today too, when it is one: the camera
        has recorded nothing yet today), so a day never turns into a gap after being served."""
        if override is not None and override.gaps is not None:
            return day in override.gaps
        if override is not None and day in override.added_gaps:
            return True
        return camera.archive_kind == "gaps" and self._seeded_gap(camera, day)

    def _first_recording_ms(
        self, camera: SimCamera, day: date, start_ms: int, resumed_at: int | None
    ) -> int | None:
        """The first recording moment of a local day: the recording start (or resumption) when it
        falls inside the day; else the first frame after midnight (continuous recording) or the first
        motion minute (MDandManual)."""
        day_start = self.day_start_ms(day)
        lower = max(day_start, start_ms)
        if resumed_at is not None and self.local_date(resumed_at) == day:
            lower = max(lower, resumed_at)
        jitter = unit(self.seed, camera.id, "first-frame", day.toordinal())
        if camera.archiving_mode == "MDandManual":
            key = (self.seed, camera.id)
            day_end = self.day_start_ms(day + timedelta(days=1))
            for minute in range(lower // _MINUTE_MS, -(-day_end // _MINUTE_MS)):
                if is_motion_minute(key, minute):
                    moment = max(lower, minute * _MINUTE_MS + int(jitter * _MINUTE_MS))
                    return moment if moment < day_end else None
            return None
        if lower > day_start:
            return lower
        return day_start + int(jitter * 1000)

    # --- what is served ----------------------------------------------------------------------------

    def profile(self, camera: SimCamera, now: datetime) -> ArchiveProfile:
        now_ms = to_ms(now)
        return self._profile(camera, now_ms, None, None)

    def days(self, camera: SimCamera, now: datetime, start: datetime, end: datetime) -> list[str]:
        """ArchiveDays for the window [start, end]: the held local days that overlap it."""
        now_ms = to_ms(now)
        first = self.local_date(to_ms(start))
        last = self.local_date(to_ms(end))
        profile = self._profile(camera, now_ms, first, last)
        return [format_ms(to_ms(moment)) for moment in profile.first_recordings]

    def _profile(
        self, camera: SimCamera, now_ms: int, window_first: date | None, window_last: date | None
    ) -> ArchiveProfile:
        override = self.overrides.get(camera.id)
        start_ms = self.recording_start_ms(camera, now_ms)
        stop_ms = self.stop_ms(camera, now_ms)
        end_ms = now_ms if stop_ms is None else min(now_ms, stop_ms)
        today = self.local_date(now_ms)
        start_day = self.local_date(start_ms)
        kept = self.kept_depth(camera)
        oldest = today - timedelta(days=kept)
        if override is not None and override.oldest is not None:
            oldest = override.oldest
        oldest = max(oldest, start_day)
        newest = self.local_date(end_ms)
        resumed_at = override.resumed_at if override is not None else None
        gaps, days, firsts = [], [], []
        scan_first = oldest if window_first is None else max(oldest, window_first)
        scan_last = newest if window_last is None else min(newest, window_last)
        for day in _dates(scan_first, scan_last):
            if self._is_gap(camera, override, day):
                gaps.append(day)
                continue
            first = self._first_recording_ms(camera, day, start_ms, resumed_at)
            if first is not None and start_ms <= first <= end_ms:
                days.append(day)
                firsts.append(from_ms(first))
        return ArchiveProfile(
            kind=camera.archive_kind,
            recording_start=from_ms(start_ms),
            recording_stop=None if stop_ms is None else from_ms(stop_ms),
            kept_depth=kept,
            min_depth=camera.min_depth,
            max_depth=camera.max_depth,
            oldest_day=oldest,
            newest_day=newest,
            gap_days=tuple(gaps),
            days=tuple(days),
            first_recordings=tuple(firsts),
        )

    # --- model actions -------------------------------------------------------------------------

    def set_archive(
        self,
        camera: SimCamera,
        *,
        oldest: date | None = None,
        gaps: Iterable[date] | None = None,
        reset: bool = False,
    ) -> None:
        if reset:
            self.overrides.pop(camera.id, None)
        if oldest is None and gaps is None:
            return
        override = self.overrides.setdefault(camera.id, ArchiveOverride())
        if oldest is not None:
            override.oldest = oldest
        if gaps is not None:
            override.gaps = frozenset(gaps)

    def toggled(self, camera: SimCamera, stop_before: int | None, now: datetime) -> None:
        """Record a run-time change of `disabled`: recording stops now, or resumes now after the days
        missed since it stopped (those become gaps)."""
        now_ms = to_ms(now)
        stopped_now = camera.disabled or camera.archiving_off
        if stop_before is None and stopped_now:
            self.overrides.setdefault(camera.id, ArchiveOverride()).stopped_at = now_ms
        elif stop_before is not None and not stopped_now:
            override = self.overrides.setdefault(camera.id, ArchiveOverride())
            override.stopped_at = None
            stop_day, today = self.local_date(stop_before), self.local_date(now_ms)
            if stop_day < today:
                missed = _dates(stop_day + timedelta(days=1), today - timedelta(days=1))
                override.added_gaps = override.added_gaps | frozenset(missed)
                override.resumed_at = now_ms

    def forget(self, camera_id: str) -> None:
        self.overrides.pop(camera_id, None)

    # --- time helpers ------------------------------------------------------------------------------

    def local_date(self, ms: int) -> date:
        return from_ms(ms).astimezone(self.tz).date()

    def day_start_ms(self, day: date) -> int:
        return to_ms(datetime.combine(day, time(0), tzinfo=self.tz))


def _dates(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def to_ms(instant: datetime) -> int:
    delta = instant - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1000 + delta.microseconds // 1000


def from_ms(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


def format_ms(ms: int) -> str:
    """`2024-08-20T08:51:12.732Z`, the form of the reference's ArchiveDays (L685)."""
    moment = from_ms(ms)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{ms % 1000:03d}Z"
