"""Rows of each dataset, built from the client's plain data, as Arrow tables of the fixed schemas."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

import pyarrow as pa

from eocexporter.exposition import module_label
from eocexporter.model import (
    ArchiveDepthSection,
    Camera,
    CameraArchiving,
    CamerasSection,
    CameraStatus,
    CameraVisitors,
    LicenseSection,
    LineReport,
)
from eocexporter.parquet.intervals import Interval
from eocexporter.parquet.schemas import (
    ARCHIVE_DEPTH,
    CAMERA_STATUS,
    LICENSE_USAGE,
    OBJECT_COUNTS,
    SCHEMAS,
    VISITOR_BREAKDOWN,
    VISITOR_REPORTS,
)


def _table(dataset: str, rows: list[dict[str, object]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=SCHEMAS[dataset])


def object_counts(target: str, server_id: str, interval: Interval, lines: Iterable[LineReport]) -> pa.Table:
    """One row per (camera, line, object class); a class counts when either map lists it, and a count the
    API left null or out is null, never 0."""
    rows = []
    for line in sorted(lines, key=lambda item: (item.camera_id, item.zone_id)):
        for object_class in sorted(line.start_counts.keys() | line.crossings.keys()):
            rows.append(
                {
                    "interval_start": interval.start,
                    "interval_end": interval.end,
                    "target": target,
                    "server_id": server_id,
                    "camera_id": line.camera_id,
                    "camera": line.camera,
                    "zone_id": line.zone_id,
                    "zone": line.zone,
                    "object_class": object_class,
                    "start_count": line.start_counts.get(object_class),
                    "crossings": line.crossings.get(object_class),
                }
            )
    return _table(OBJECT_COUNTS, rows)


def visitor_reports(
    target: str, server_id: str, interval: Interval, visitors: Iterable[CameraVisitors]
) -> pa.Table:
    rows = []
    for named in sorted(visitors, key=lambda item: item.counts.camera_id):
        row = named.counts
        values: dict[str, object] = {
            "interval_start": interval.start,
            "interval_end": interval.end,
            "target": target,
            "server_id": server_id,
            "camera_id": row.camera_id,
            "camera": named.camera,
            "total_visitors": row.total,
            "unique_visitors": row.unique,
        }
        groups = {"gender": row.gender, "age": row.age, "emotion": row.emotion}
        for group, key, column in VISITOR_BREAKDOWN:
            values[column] = groups[group].get(key)
        rows.append(values)
    return _table(VISITOR_REPORTS, rows)


def camera_status(target: str, ts: datetime, sections: Mapping[str, CamerasSection]) -> pa.Table:
    rows = []
    for server_id, section in sorted(sections.items()):
        statuses = {status.camera_id: status for status in section.statuses}
        for camera in section.cameras:
            status = statuses.get(camera.camera_id)
            rows.append(_camera_row(target, ts, server_id, camera, status))
    rows.sort(key=lambda row: (row["server_id"], row["camera_id"]))
    return _table(CAMERA_STATUS, rows)


def _camera_row(
    target: str, ts: datetime, server_id: str, camera: Camera, status: CameraStatus | None
) -> dict[str, object]:
    return {
        "ts": ts,
        "target": target,
        "server_id": server_id,
        "camera_id": camera.camera_id,
        "camera": camera.name,
        "status": status.status if status else None,
        "receive_main_mbps": status.receive_main_mbps if status else None,
        "receive_alt_mbps": status.receive_alt_mbps if status else None,
        "write_mbps": status.write_mbps if status else None,
        "alt_enabled": status.alt_enabled if status else None,
        "disabled": camera.disabled,
    }


def license_usage(target: str, ts: datetime, sections: Mapping[str, LicenseSection]) -> pa.Table:
    rows = []
    for server_id, section in sorted(sections.items()):
        license_ = section.license
        if license_ is None:
            continue  # the server has no webapi/license
        expiry = license_.time_limit if license_.is_time_limited else None
        for key, usage in sorted(license_.modules.items()):
            rows.append(
                {
                    "ts": ts,
                    "target": target,
                    "server_id": server_id,
                    "module": module_label(key),
                    "used": usage.used,
                    "used_on_server": usage.on_server,
                    "limit": usage.total,
                    "expiry": expiry,
                }
            )
    return _table(LICENSE_USAGE, rows)


def archive_depth(
    target: str,
    ts: datetime,
    sections: Mapping[str, ArchiveDepthSection],
    settings: Mapping[str, CameraArchiving],
    names: Mapping[str, str],
) -> pa.Table:
    """One row per camera: the days its archive holds (archive_depth collector) beside its configured
    depths (archiving collector, by camera id) and its name (cameras collector); what a collector has not
    said is null."""
    rows = []
    for server_id, section in sorted(sections.items()):
        for camera in section.cameras:
            days, configured = camera.days, settings.get(camera.camera_id)
            rows.append(
                {
                    "ts": ts,
                    "target": target,
                    "server_id": server_id,
                    "camera_id": camera.camera_id,
                    "camera": names.get(camera.camera_id),
                    "oldest_day": days[0] if days else None,
                    "newest_day": days[-1] if days else None,
                    "days_held": len(days),
                    "missing_days": camera.missing,
                    "min_depth_days": configured.min_depth_days if configured else None,
                    "max_depth_days": configured.max_depth_days if configured else None,
                }
            )
    rows.sort(key=lambda row: (row["server_id"], row["camera_id"]))
    return _table(ARCHIVE_DEPTH, rows)
