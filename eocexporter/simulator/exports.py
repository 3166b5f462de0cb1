"""Archive export tasks (webapi/archive_export/tasks, L7182-7308): a per-server history that moves with
the clock, plus tasks added by a model action (docs/simulator.md, "Archive export tasks")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .seeded import derived_uuid, rng, unit

STATES = {1: "InQueue", 2: "InProcess", 3: "Cancelled", 4: "Error", 5: "Done", 6: "Expired"}
ERRORS = {0: "None", 1: "InternalServerFailure", 2: "NotEnoughSpace", 3: "FileLocked"}
# unknown_values: codes the reference does not list (L7278-7304).
UNKNOWN_STATE = (7, "Paused")
UNKNOWN_ERROR = (4, "ArchiveNotFound")

# A new task every EXPORT_PERIOD; the history lists the HISTORY newest. The two newest are InQueue, the
# third InProcess; older ones have reached their outcome, and Done ones EXPIRE_AFTER tasks old are Expired.
EXPORT_PERIOD = timedelta(minutes=40)
HISTORY = 20
QUEUED = 2
EXPIRE_AFTER = 12
# Outcomes by task number (plus a per-server offset): (state, error). Every 10 consecutive tasks hold
# each outcome, so the 17 finished tasks of a history show every one of them.
OUTCOMES = ((5, 0), (5, 0), (4, 1), (5, 0), (3, 0), (5, 0), (4, 2), (5, 0), (5, 0), (4, 3))
_FPS = (0, 0, 0, 25, 12.5, 5)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class ExportTask:
    id: str
    channel_id: str
    start: datetime
    end: datetime
    creation: datetime
    sound: bool
    timestamps: bool
    fps: float
    hvc1: bool
    state: int
    error: int
    # Position in the seeded history (0: newest); None for a task added by a model action.
    ordinal: int | None = None


def seeded_tasks(seed: int, server_id: str, channels: tuple[str, ...], now: datetime) -> list[ExportTask]:
    """The server's seeded history at `now`, newest first. A server without cameras has none."""
    if not channels:
        return []
    period_ms = int(EXPORT_PERIOD.total_seconds() * 1000)
    phase_ms = int(unit(seed, server_id, "export-phase") * period_ms)
    offset = int(unit(seed, server_id, "export-outcomes") * len(OUTCOMES))
    now_ms = _ms(now)
    newest = (now_ms - phase_ms) // period_ms
    tasks = []
    for ordinal in range(HISTORY):
        number = newest - ordinal
        draw = rng(seed, server_id, "export-task", number)
        creation = _EPOCH + timedelta(milliseconds=phase_ms + number * period_ms + draw.randrange(1000))
        if ordinal < QUEUED:
            state, error = 1, 0
        elif ordinal == QUEUED:
            state, error = 2, 0
        else:
            state, error = OUTCOMES[(number + offset) % len(OUTCOMES)]
            if state == 5 and ordinal >= EXPIRE_AFTER:
                state = 6
        end = creation - timedelta(milliseconds=draw.randrange(5 * 60_000, 2 * 86_400_000))
        tasks.append(
            ExportTask(
                id=derived_uuid(seed, "export-task-id", server_id, number),
                channel_id=channels[draw.randrange(len(channels))],
                start=end - timedelta(milliseconds=draw.randrange(60_000, 3_600_000)),
                end=end,
                creation=creation,
                sound=draw.random() < 0.3,
                timestamps=draw.random() < 0.5,
                fps=draw.choice(_FPS),
                hvc1=draw.random() < 0.3,
                state=state,
                error=error,
                ordinal=ordinal,
            )
        )
    return tasks


def added_task(
    seed: int, server_id: str, number: int, channel_id: str, now: datetime, state: int, error: int
):
    """A task added by `add_export_task`: created now, exporting the 10 minutes before now; it keeps its
    state and stays in the history."""
    draw = rng(seed, server_id, "added-export-task", number)
    creation = now.astimezone(UTC)
    return ExportTask(
        id=derived_uuid(seed, "added-export-task-id", server_id, number),
        channel_id=channel_id,
        start=creation - timedelta(minutes=10),
        end=creation,
        creation=creation,
        sound=draw.random() < 0.3,
        timestamps=draw.random() < 0.5,
        fps=draw.choice(_FPS),
        hvc1=draw.random() < 0.3,
        state=state,
        error=error,
    )


def parse_code(value: int | str, names: dict[int, str], what: str) -> int:
    """A code as an int, its name (`"Done"`) or the reference's text (`"5 - Done"`)."""
    if isinstance(value, bool):
        raise ValueError(f"{what} must be one of {names}")
    if isinstance(value, int):
        if value in names:
            return value
    elif isinstance(value, str):
        text = value.strip()
        head, _, tail = text.partition(" - ")
        for code, name in names.items():
            if text.lower() in (name.lower(), str(code)) or (
                head == str(code) and tail.lower() == name.lower()
            ):
                return code
    raise ValueError(f"{what} must be one of {names}, not {value!r}")


def _ms(instant: datetime) -> int:
    delta = instant - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1000 + delta.microseconds // 1000
