"""Unique-visitor counts since the server's local midnight (``api/unique_visitor/report``).

The report takes ``starttimeutc``/``endtimeutc``; the reference documents them as UTC but its example
is ``dd.MM.yyyy HH:mm:ss`` (digest Q32). We send the local midnight of the target's time zone and the
current time, both converted to UTC, in that format, with ``aggregate=false`` for one row per camera.
Servers without the module answer 404, and a camera without a licence for it is refused with 400: not
failures (see :class:`VisitorReportReader`).

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
from eocexporter.client.errors import ApiHttpError, ApiNotFound
from eocexporter.client.http import EocortexClient
from eocexporter.client.payloads import parse_visitor_report
from eocexporter.client.reading import read_payload
from eocexporter.collectors.base import CollectContext, ServerTarget, list_cameras
from eocexporter.model import VisitorCounts, VisitorsSection
from eocexporter.options import CollectorConfig, Duration

# The report's example (L7829) is dd.MM.yyyy HH:mm:ss; its parameters are named ...utc.
REPORT_TIME_FORMAT = "%d.%m.%Y %H:%M:%S"
ENDPOINT = endpoints.UNIQUE_VISITOR_REPORT
# Answers that refuse a camera in the request rather than the request: module not licensed, no rights.
REFUSALS = (400, 403)


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

    Used by the visitors collector (today so far) and by the report reader (closed intervals). What a
    server does not support is not a failure (:mod:`eocexporter.client.support`): a 404 means the server
    has no such API; a 400 or 403 for a request means a camera in it is refused (the module is not licensed
    for it, or the user has no rights on it), so the request is split in halves until the refused cameras
    are found, and those are skipped, asked again hourly. A server that refuses every camera has the
    endpoint unsupported, and one request an hour tells when that changes. Remembers the servers that
    answer ``ChannelId: null`` to multi-camera requests.
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
    ) -> list[VisitorCounts]:
        """One row per camera the server reports on (those that have the module)."""
        server_id, support = target.server.server_id, client.support
        if not support.due(server_id, ENDPOINT):
            return []
        asked = support.cameras_due(server_id, ENDPOINT, camera_ids)
        # Known to refuse every camera, and due to be asked again: one request tells.
        probing = support.unsupported(server_id, ENDPOINT)
        window = {
            "starttimeutc": start.astimezone(UTC).strftime(REPORT_TIME_FORMAT),
            "endtimeutc": end.astimezone(UTC).strftime(REPORT_TIME_FORMAT),
        }
        key = (client.target.name, server_id)
        rows: dict[str, VisitorCounts] = {}
        refused: list[str] = []
        chunks = [asked[i : i + per_request] for i in range(0, len(asked), per_request)]
        while chunks:
            chunk = chunks.pop()
            if len(chunk) > 1 and key in self._one_per_request:
                chunks.extend([camera_id] for camera_id in chunk)
                continue
            try:
                found, unattributed = await self._report(client, target, window, chunk)
            except ApiNotFound:
                support.record(server_id, ENDPOINT, supported=False)
                warn_once(
                    f"visitors:{client.target.name}:{server_id}",
                    f"target {client.target.name}, server {server_id}: no unique visitor report API (404); "
                    "no visitor counts from this server, asked again hourly",
                )
                return []
            except ApiHttpError as exc:
                if exc.status not in REFUSALS:
                    raise
                if probing:
                    support.record(server_id, ENDPOINT, supported=False)
                    return []
                if len(chunk) > 1:
                    half = len(chunk) // 2
                    chunks.extend((chunk[:half], chunk[half:]))
                    continue
                refused.extend(chunk)
                support.record_cameras(server_id, ENDPOINT, chunk, supported=False)
                warn_once(
                    f"visitors-refused:{client.target.name}:{server_id}:{chunk[0]}",
                    f"target {client.target.name}, server {server_id}: camera {chunk[0]} refused for "
                    f"{ENDPOINT} (HTTP {exc.status}" + (f": {exc.detail}" if exc.detail else "") + "); "
                    "no visitor counts for it, asked again hourly",
                )
                continue
            probing = False
            support.record_cameras(server_id, ENDPOINT, chunk, supported=True)
            if unattributed and len(chunk) > 1:
                warn_once(
                    f"visitors-null:{key}",
                    f"target {client.target.name}, server {server_id}: unique_visitor/report rows without "
                    "ChannelId; asking about one camera per request from now on",
                )
                self._one_per_request.add(key)
                chunks.extend([camera_id] for camera_id in chunk)
                continue
            asked_here = set(chunk)
            # Only rows for cameras we asked about: never invent series for others.
            rows.update((row.camera_id, row) for row in found if row.camera_id in asked_here)
        every_camera_refused = bool(refused) and len(refused) == len(asked)
        support.record(server_id, ENDPOINT, supported=not every_camera_refused)
        return [rows[camera_id] for camera_id in sorted(rows)]

    async def _report(
        self, client: EocortexClient, target: ServerTarget, window: dict[str, str], chunk: list[str]
    ) -> tuple[list[VisitorCounts], int]:
        params = {**window, "channel": ",".join(chunk), "aggregate": "false", "uniqueonly": "false"}
        report = await client.get_json(target.base_url, ENDPOINT, ENDPOINT, params)
        return read_payload(client, ENDPOINT, target.server.server_id, parse_visitor_report, report, chunk)


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
        return VisitorsSection(visitors=tuple(rows))
