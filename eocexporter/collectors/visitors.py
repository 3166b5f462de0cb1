"""Unique-visitor counts since the server's local midnight (``api/unique_visitor/report``).

The report takes ``starttimeutc``/``endtimeutc``; the reference documents them as UTC but its example
is ``dd.MM.yyyy HH:mm:ss`` (digest Q32). We send the local midnight of the target's time zone and the
current time, both converted to UTC, in that format, with ``aggregate=false`` for one row per camera.
Servers without the module answer 404: an empty section, not a failure.

The reference's example answers ``"ChannelId": null`` although ``aggregate=false`` (digest Q36). A server
that does so for a request about several cameras cannot be understood; from then on that server is asked
about one camera per request, where a null id can only mean the camera asked.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from pydantic import Field

from eocexporter.client import endpoints
from eocexporter.client.errors import ApiNotFound
from eocexporter.client.http import EocortexClient
from eocexporter.client.payloads import parse_visitor_report
from eocexporter.client.reading import read_payload
from eocexporter.collectors.base import CollectContext, ServerTarget, list_cameras
from eocexporter.model import VisitorCounts, VisitorsSection
from eocexporter.options import CollectorConfig, Duration

# The report's example (L7829) is dd.MM.yyyy HH:mm:ss; its parameters are named ...utc.
REPORT_TIME_FORMAT = "%d.%m.%Y %H:%M:%S"


class VisitorsConfig(CollectorConfig):
    interval: Duration = 60.0
    # Cameras per unique_visitor/report request: bounds the URL length on large servers. The Parquet
    # sink's and backfill's visitor reports follow it too.
    cameras_per_request: int = Field(50, ge=1, le=500)


def local_day_bounds_utc(now_utc: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """(local midnight, now) of the day ``now_utc`` falls on in ``zone``, both in UTC."""
    local_now = now_utc.astimezone(zone)
    midnight = datetime.combine(local_now.date(), time(0), tzinfo=zone)
    return midnight.astimezone(UTC), now_utc.astimezone(UTC)


class VisitorReportReader:
    """Reads ``api/unique_visitor/report`` for a set of cameras and a time span, in chunks.

    Used by the visitors collector (today so far) and by the report reader (closed intervals).
    Remembers the servers that answer ``ChannelId: null`` to multi-camera requests.
    """

    def __init__(self) -> None:
        self._one_per_request: set[tuple[str, str]] = set()  # (target, server_id)

    async def read(
        self,
        client: EocortexClient,
        target: ServerTarget,
        camera_ids: list[str],
        start: datetime,
        end: datetime,
        per_request: int,
        warn_once: Callable[[str, str], None],
    ) -> list[VisitorCounts] | None:
        """One row per camera that has the module; None when the server has no such API (404)."""
        server_id = target.server.server_id
        window = {
            "starttimeutc": start.astimezone(UTC).strftime(REPORT_TIME_FORMAT),
            "endtimeutc": end.astimezone(UTC).strftime(REPORT_TIME_FORMAT),
        }
        key = (client.target.name, server_id)
        rows: dict[str, VisitorCounts] = {}
        chunks = [camera_ids[i : i + per_request] for i in range(0, len(camera_ids), per_request)]
        while chunks:
            chunk = chunks.pop()
            if len(chunk) > 1 and key in self._one_per_request:
                chunks.extend([camera_id] for camera_id in chunk)
                continue
            report = await self._report(client, target, window, chunk, warn_once)
            if report is None:
                return None
            found, unattributed = report
            if unattributed and len(chunk) > 1:
                warn_once(
                    f"visitors-null:{key}",
                    f"target {client.target.name}, server {server_id}: unique_visitor/report rows without "
                    "ChannelId; asking about one camera per request from now on",
                )
                self._one_per_request.add(key)
                chunks.extend([camera_id] for camera_id in chunk)
                continue
            asked = set(chunk)
            # Only rows for cameras we asked about: never invent series for others.
            rows.update((row.camera_id, row) for row in found if row.camera_id in asked)
        return [rows[camera_id] for camera_id in sorted(rows)]

    async def _report(
        self,
        client: EocortexClient,
        target: ServerTarget,
        window: dict[str, str],
        chunk: list[str],
        warn_once: Callable[[str, str], None],
    ) -> tuple[list[VisitorCounts], int] | None:
        server_id = target.server.server_id
        endpoint = endpoints.UNIQUE_VISITOR_REPORT
        params = {**window, "channel": ",".join(chunk), "aggregate": "false", "uniqueonly": "false"}
        try:
            report = await client.get_json(target.base_url, endpoint, endpoint, params)
        except ApiNotFound:
            warn_once(
                f"visitors:{client.target.name}:{server_id}",
                f"target {client.target.name}, server {server_id}: no unique visitor report API (404); "
                "no visitor counts from this server",
            )
            return None
        return read_payload(client, endpoint, server_id, parse_visitor_report, report, chunk)


class VisitorsCollector:
    def __init__(self) -> None:
        self._reader = VisitorReportReader()

    async def collect(self, ctx: CollectContext[VisitorsConfig], target: ServerTarget) -> VisitorsSection:
        cameras = await list_cameras(ctx.client, target)
        camera_ids = [camera.camera_id for camera in cameras if not camera.disabled]
        start, end = local_day_bounds_utc(ctx.now(), ctx.client.target.timezone)
        rows = await self._reader.read(
            ctx.client, target, camera_ids, start, end, ctx.config.cameras_per_request, ctx.warn_once
        )
        return VisitorsSection(visitors=tuple(rows or ()))
