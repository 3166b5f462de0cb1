"""What the Parquet sink and backfill are handed to fetch report intervals with.

The report datasets hold closed intervals of the API's reports, which only the API has. The sink does
not know how to ask for them: it is handed a :class:`ReportSource` (the exporter wires the targets'
report readers, :mod:`eocexporter.collectors.reports`, behind it), and reads everything else from the
:class:`~eocexporter.snapshot.ExporterSnapshot`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from eocexporter.model import CameraVisitors, LineReport


class ReportUnavailable(Exception):
    """A report interval that could not be fetched now (to be retried); the message is one line.
    ``unanswered``: the server gave no answer at all (refused, reset, timed out), after every retry."""

    def __init__(self, message: str, *, unanswered: bool = False) -> None:
        super().__init__(message)
        self.unanswered = unanswered


class IntervalUnanswerable(Exception):
    """A report interval the API can never be asked about (to be given up, not retried); one line."""


class ReportSource(Protocol):
    """Closed report intervals ``[start, end)`` of one server of one target, as plain rows.

    Each method raises :class:`ReportUnavailable` when the interval cannot be fetched now and
    :class:`IntervalUnanswerable` when it never can; a server without the module answers with no rows.
    """

    async def object_lines(
        self, target: str, server_id: str, start: datetime, end: datetime
    ) -> Sequence[LineReport]: ...

    async def visitor_rows(
        self, target: str, server_id: str, start: datetime, end: datetime
    ) -> Sequence[CameraVisitors]: ...
