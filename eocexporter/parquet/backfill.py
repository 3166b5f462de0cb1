"""Writing report history into the same layout the live sink writes.

Every interval between ``start`` and ``end`` of every polled server of every target in the snapshot is
fetched through the :class:`~eocexporter.parquet.sources.ReportSource` and written under the name the live
sink would give it. Intervals already present (as a file, or merged into a compacted file) are skipped,
so an interrupted backfill resumes where it stopped and a second run changes nothing. The checkpoints of
the live sink are not touched. Only report datasets have history in the API.

The unit of work, of the progress and of the summary is one report interval of one dataset of one server
(of one target): a day of 15-minute intervals of both datasets on 2 servers is 96 x 2 x 2 = 384 of them.
On a terminal the progress is a tqdm bar (count, rate, ETA); elsewhere (a log, CI, a pipe) it is a plain
line per tenth of the work, or after :data:`PLAIN_EVERY_SECONDS` without one. Each interval that fails
gets a line naming its target, server (id, name and address), dataset and interval, and the reason. With
no stream (``log_format: json``) the same lines are log records (eocexporter.logs), a failure's with its
target, server and dataset as fields.

The ``backfill`` command (:mod:`eocexporter.backfill`) runs discovery and hands this module its snapshot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TextIO

from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from eocexporter.parquet.compaction import present_names
from eocexporter.parquet.intervals import Interval, intervals_between
from eocexporter.parquet.sink import report_fetchers, report_file_name
from eocexporter.parquet.sources import IntervalUnanswerable, ReportSource, ReportUnavailable
from eocexporter.parquet.storage import ParquetStore, StoreError
from eocexporter.snapshot import ExporterSnapshot

log = logging.getLogger(__name__)

UNIT = "intervals"
UNIT_EXPLAINED = "one = one report interval of one dataset of one server"
# Off a terminal: a progress line per tenth of the work, and one after this long without any.
PLAIN_EVERY_SECONDS = 30.0

FAILED = "failed"
UNANSWERABLE = "cannot be asked about"
# A server that gave no answer at all (refused, reset, timed out, after every retry) to this many intervals
# of a dataset in a row is asked about no more of them in this run: each would cost up to request_timeout
# x (retries + 1) to learn the same, hours over a month of intervals. They count as failed, and a second
# run, once the server answers, fetches them (what was written is skipped).
GIVE_UP_AFTER = 3
GIVEN_UP = (
    f"not asked, the server having given no answer to {GIVE_UP_AFTER} intervals of this dataset in a row"
)


class BackfillError(Exception):
    """Backfill cannot go on (a target's discovery failed): a runtime failure; the message is one line."""


class BackfillUsageError(BackfillError):
    """The request or the configuration is wrong (no Parquet root, an unknown target or dataset): nothing
    was asked of any server; the message is one line."""


@dataclass
class Problem:
    """The intervals that went wrong in one way: how many, and the first one's line."""

    count: int
    first: str


@dataclass
class BackfillResult:
    written: int = 0  # intervals fetched and written (files written, or nothing to write)
    skipped: int = 0  # intervals already present
    failed: int = 0  # intervals that could not be fetched or written
    unanswerable: int = 0  # intervals the API can never be asked about (see IntervalUnanswerable)
    # (FAILED or UNANSWERABLE, the error's kind: its message without what varies) -> count and first line,
    # in the order they first happened
    problems: dict[tuple[str, str], Problem] = field(default_factory=dict)
    # "target NAME: why" for each chosen target whose discovery failed: not backfilled at all
    unreached_targets: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Every interval of every chosen target was written, found present or cannot be asked about."""
        return not self.failed and not self.unreached_targets

    def record(self, outcome: str, kind: str, line: str) -> None:
        problem = self.problems.get((outcome, kind))
        if problem is None:
            self.problems[(outcome, kind)] = Problem(1, line)
        else:
            problem.count += 1

    def summary(self) -> list[str]:
        """The final report: the counts, then the first interval of each kind of error, with its count."""
        lines = [
            f"backfill: {self.written} written, {self.skipped} already present, {self.unanswerable} the API "
            f"cannot be asked about, {self.failed} failed ({UNIT}: {UNIT_EXPLAINED})"
        ]
        for (outcome, _), problem in self.problems.items():
            times = "once" if problem.count == 1 else f"{problem.count} times, the first"
            lines.append(f"backfill: {outcome} {times}: {problem.first}")
        lines.extend(
            f"backfill: not backfilled, discovery failed: {printable(line)}"
            for line in self.unreached_targets
        )
        return lines


def error_kind(message: str) -> str:
    """``message`` without what differs between occurrences of one error (server ids, byte counts,
    attempts, times), so that failures group by kind; HTTP statuses are kept."""
    return _NUMBER.sub("N", _ID.sub("<id>", message))


_ID = re.compile(r"[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}")
_NUMBER = re.compile(r"(?<!HTTP )(?<!\d)\d+")


def printable(text: str) -> str:
    """``text`` safe for a terminal: control, format and unpaired surrogate characters escaped."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else ascii(char)[1:-1] for char in text)


class Progress:
    """How far a backfill is, counted in :data:`UNIT` (see the module): a tqdm bar with count, rate and
    ETA on a terminal; elsewhere a plain line per tenth of the work or per ``every`` seconds without one,
    each with count, share, rate and ETA. :meth:`line` writes a line that stays (above the bar). Without
    a stream, every line is a log record (for ``log_format: json``), at info unless said otherwise."""

    def __init__(
        self,
        total: int,
        stream: TextIO | None = sys.stderr,
        *,
        every: float = PLAIN_EVERY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total, self.done, self.stream = total, 0, stream
        self._every, self._clock = every, clock
        self._started = self._last_line = clock()
        self._last_tenth = 0
        self._bar: tqdm | None = None
        if total and stream is not None and _is_terminal(stream):
            self._bar = tqdm(
                total=total,
                file=stream,
                desc="backfill",
                unit=f" {UNIT}",
                bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} "
                + UNIT
                + " [{elapsed}<{remaining}, {rate_noinv_fmt}]",
                dynamic_ncols=True,
                mininterval=0.2,
                disable=False,
            )

    @contextlib.contextmanager
    def showing(self) -> Iterator[Progress]:
        """While the bar is on, log records to the console go above it instead of through it."""
        try:
            if self._bar is None:
                yield self
            else:
                with logging_redirect_tqdm():
                    yield self
        finally:
            self.close()

    def advance(self) -> None:
        self.done += 1
        if self._bar is not None:
            self._bar.update(1)
            return
        now = self._clock()
        tenth = self.done * 10 // self.total if self.total else 10
        if tenth > self._last_tenth or now - self._last_line >= self._every or self.done == self.total:
            self._last_tenth, self._last_line = tenth, now
            self._write(self.plain_line(now))

    def plain_line(self, now: float) -> str:
        """``backfill: 39/384 intervals (10%), 48.1 intervals/s, ETA 00:07``."""
        elapsed = now - self._started
        rate = self.done / elapsed if elapsed > 0 else None
        percent = self.done * 100 // self.total if self.total else 100  # 100% only when done
        text = f"backfill: {self.done}/{self.total} {UNIT} ({percent}%), {_rate(rate)}"
        if self.done >= self.total:
            return f"{text}, took {tqdm.format_interval(elapsed)}"
        eta = tqdm.format_interval((self.total - self.done) / rate) if rate else "?"
        return f"{text}, ETA {eta}"

    def line(self, text: str, level: int = logging.INFO, about: Mapping[str, str] | None = None) -> None:
        """A line that stays: on a terminal above the bar, elsewhere between the progress lines; as a log
        record, at ``level`` with ``about`` as its fields."""
        if self._bar is not None:
            self._bar.write(text, file=self.stream)
        else:
            self._write(text, level, about)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def _write(self, text: str, level: int = logging.INFO, about: Mapping[str, str] | None = None) -> None:
        if self.stream is None:
            log.log(level, "%s", text, extra=about)
            return
        self.stream.write(text + "\n")
        self.stream.flush()


def _is_terminal(stream: TextIO) -> bool:
    """A terminal a bar can be drawn on: one that says it has no columns (a pseudo-terminal nobody sized)
    would show nothing at all, so it gets the plain lines."""
    try:
        if not stream.isatty():
            return False
    except (AttributeError, ValueError):  # no isatty, or closed
        return False
    try:
        return os.get_terminal_size(stream.fileno()).columns > 0
    except (AttributeError, OSError, ValueError):  # no descriptor to ask: take its word
        return True


def _rate(rate: float | None) -> str:
    if rate is None:
        return f"? {UNIT}/s"
    return f"{rate:.{0 if rate >= 100 else 1 if rate >= 1 else 2}f} {UNIT}/s"


@dataclass(frozen=True, slots=True)
class _Planned:
    target: str
    dataset: str
    server_id: str
    interval: Interval
    present: bool


@dataclass(frozen=True, slots=True)
class _Shape:
    """What one target's share of the work is made of."""

    target: str
    intervals: int
    servers: int


async def backfill_reports(
    store: ParquetStore,
    snapshot: ExporterSnapshot,
    source: ReportSource,
    datasets: Sequence[str],
    start: datetime,
    end: datetime,
    length: float,
    progress_stream: TextIO | None = sys.stderr,
    addresses: Mapping[tuple[str, str], str] | None = None,
) -> BackfillResult:
    """Fetch and write every missing interval of ``datasets`` in ``[start, end)``; ``end`` must not be in
    the future (an open interval's numbers would still change). ``addresses`` ((target, server id) ->
    the server's base URL, without credentials) only names servers in the failure lines. Progress and
    failures go to ``progress_stream``, or as log records when it is None."""
    fetchers = report_fetchers(source)
    await asyncio.to_thread(store.remove_leftovers)
    plan, shapes = await asyncio.to_thread(_plan, store, snapshot, datasets, start, end, length)
    result = BackfillResult(skipped=sum(1 for planned in plan if planned.present))
    todo = [planned for planned in plan if not planned.present]
    names = {
        (target.target, server.server_id): server.name
        for target in snapshot.targets
        if target.topology is not None
        for server in target.topology.servers
    }

    def where_server(planned: _Planned) -> str:
        key = (planned.target, planned.server_id)
        about = ", ".join(
            part
            for part in (repr(names[key]) if key in names else "", (addresses or {}).get(key, ""))
            if part
        )
        server = f"server {planned.server_id}" + (f" ({about})" if about else "")
        return printable(f"target {planned.target}, {server}")

    def about(planned: _Planned) -> dict[str, str]:
        """The fields of a JSON log line about ``planned`` (eocexporter.logs)."""
        return {"target": planned.target, "server_id": planned.server_id, "dataset": planned.dataset}

    def where(planned: _Planned) -> str:
        return f"{where_server(planned)}, {printable(planned.dataset)} {planned.interval.key()}"

    # (target, server id, dataset) -> intervals in a row the server gave no answer to (GIVE_UP_AFTER)
    unanswered: Counter[tuple[str, str, str]] = Counter()
    left = Counter((planned.target, planned.server_id, planned.dataset) for planned in todo)
    progress = Progress(len(todo), progress_stream)
    with progress.showing():
        progress.line(_plan_line(len(todo), result.skipped, datasets, shapes, length))
        for planned in todo:
            interval, dataset = planned.interval, planned.dataset
            key = (planned.target, planned.server_id, dataset)
            left[key] -= 1
            if unanswered[key] >= GIVE_UP_AFTER:
                # Said once, when given up; the summary counts them.
                result.failed += 1
                result.record(FAILED, GIVEN_UP, f"{where(planned)}: {GIVEN_UP}")
                progress.advance()
                continue
            try:
                table = await fetchers[dataset](planned.target, planned.server_id, interval)
                if table.num_rows:
                    file_name = report_file_name(dataset, planned.target, planned.server_id, interval)
                    await asyncio.to_thread(store.write, dataset, interval.start.date(), file_name, table)
                result.written += 1
                unanswered[key] = 0
            except IntervalUnanswerable as exc:
                result.unanswerable += 1
                line = f"{where(planned)}: {printable(str(exc))}"
                result.record(UNANSWERABLE, error_kind(str(exc)), line)
                progress.line(f"backfill: {UNANSWERABLE}: {line}", logging.WARNING, about(planned))
            except (ReportUnavailable, StoreError) as exc:
                result.failed += 1
                kind = f"write: {exc.reason}" if isinstance(exc, StoreError) else str(exc)
                line = f"{where(planned)}: {printable(str(exc))}"
                result.record(FAILED, error_kind(kind), line)
                progress.line(f"backfill: {FAILED}: {line}", logging.WARNING, about(planned))
                unanswered[key] = unanswered[key] + 1 if getattr(exc, "unanswered", False) else 0
                if unanswered[key] == GIVE_UP_AFTER and left[key]:
                    progress.line(
                        f"backfill: giving up on {where_server(planned)}: no answer to {GIVE_UP_AFTER} "
                        f"{dataset} intervals in a row; its {left[key]} later ones are not asked (run "
                        "backfill again once it answers)",
                        logging.WARNING,
                        about(planned),
                    )
            progress.advance()
    return result


def _plan_line(
    todo: int, present: int, datasets: Sequence[str], shapes: Sequence[_Shape], length: float
) -> str:
    """``backfill: 384 intervals to fetch, 0 already present (one = one report interval of one dataset of
    one server; eoc: 96 report intervals of 15m x 2 dataset(s) x 2 server(s))``."""
    step = f"{length / 3600:g}h" if length % 3600 == 0 else f"{length / 60:g}m"
    made_of = "; ".join(
        f"{shape.target}: {shape.intervals} report intervals of {step} x {len(datasets)} dataset(s) "
        f"x {shape.servers} server(s)"
        for shape in shapes
    )
    return f"backfill: {todo} {UNIT} to fetch, {present} already present ({UNIT_EXPLAINED}; {made_of or 'no target'})"


def _plan(
    store: ParquetStore,
    snapshot: ExporterSnapshot,
    datasets: Sequence[str],
    start: datetime,
    end: datetime,
    length: float,
) -> tuple[list[_Planned], list[_Shape]]:
    """Every (target, dataset, server, interval) in range, oldest first, and whether it is present; and
    per target, how many intervals and servers that is."""
    present: dict[tuple[str, date], set[str]] = {}
    plan, shapes = [], []
    for target in snapshot.targets:
        intervals = list(intervals_between(start, end, length, target.timezone))
        shapes.append(_Shape(target.target, len(intervals), len(target.polled_servers)))
        for interval in intervals:
            day = interval.start.date()
            for dataset in datasets:
                if (dataset, day) not in present:
                    present[(dataset, day)] = present_names(store, dataset, day)
                for server_id in target.polled_servers:
                    name = report_file_name(dataset, target.target, server_id, interval)
                    plan.append(
                        _Planned(target.target, dataset, server_id, interval, name in present[(dataset, day)])
                    )
    return plan, shapes
