"""Snapshots built by hand from the contract's dataclasses, the renderer over every registered collector,
and a parser for what it returns."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

from eocexporter import exposition
from eocexporter.model import (
    Camera,
    CamerasSection,
    CameraStatus,
    CountingZone,
    License,
    LicenseSection,
    ModuleLicense,
    ObjectCountingSection,
    Server,
    Topology,
    VisitorCounts,
    VisitorsSection,
)
from eocexporter.registry import COLLECTORS
from eocexporter.snapshot import (
    ApiStats,
    CollectorRun,
    ExporterSnapshot,
    HistogramData,
    Sections,
    TargetSnapshot,
)

MAIN = "cd81195c-9c0e-42f0-8535-c55af9c35161"
SECOND = "9162138b-046a-48ed-82ed-6c6c7f6a52ba"
CAM_1 = "7d69e586-25c6-470e-a368-5570d57b2631"
CAM_2 = "9e2cd158-f739-4715-89fb-a460147fc33b"
CAM_3 = "587bae55-8059-4d05-8577-cfbb487d77ec"
LINE = "0af772da-9993-4a39-a785-4e7c89efe55a"
AREA = "d98c95d6-9e6a-4a5e-80a4-184826846b17"
EXPIRY = datetime(2030, 8, 20, 9, 28, 54, tzinfo=UTC)


# Tests name each collector's sections by the collector (cameras=..., visitors=...), as the registry does.
_SECTION_TYPES = {entry.name: entry.section for entry in COLLECTORS}


def render(snapshot: ExporterSnapshot) -> bytes:
    return exposition.render(snapshot, COLLECTORS)


def build_exposition(snapshot: ExporterSnapshot) -> exposition.Exposition:
    return exposition.build_exposition(snapshot, COLLECTORS)


def metric_families(snapshot: ExporterSnapshot) -> list[Metric]:
    return exposition.metric_families(snapshot, COLLECTORS)


def replace_target(target: TargetSnapshot, **changes: object) -> TargetSnapshot:
    """``dataclasses.replace``, where a collector's name (``cameras=``) replaces its sections."""
    by_type = dict(target.sections.by_type)
    for name in [name for name in changes if name in _SECTION_TYPES]:
        by_type[_SECTION_TYPES[name]] = changes.pop(name)  # type: ignore[assignment]
    return dataclasses.replace(target, sections=Sections(by_type), **changes)  # type: ignore[arg-type]


def _server(server_id: str, name: str, hostname: str, port: int) -> Server:
    return Server(
        server_id=server_id,
        name=name,
        hostname=hostname,
        port=port,
        is_replication=False,
        license_total={"Channels": 400, "PtzChannels": 400, "FaceRecognitionChannels": 16},
        license_used={"Channels": 2, "PtzChannels": 0, "FaceRecognitionChannels": 0},
    )


def _license(server_id: str) -> License:
    return License(
        server_id=server_id,
        product_type="Eocortex Ultra",
        is_time_limited=True,
        time_limit=EXPIRY,
        features={"IsVideoWallEnabled": True, "VideoAnalystServer": False},
        modules={
            "FaceDetectorChannels": ModuleLicense(used=3, on_server=2, total=10),
            "PeopleCnt3DChannels": ModuleLicense(used=0, on_server=0, total=4),
        },
    )


def populated_target(name: str = "plant") -> TargetSnapshot:
    """A target where every collector has data: two servers, three cameras, both zone kinds, visitors."""
    histogram = HistogramData(bounds=(0.1, 0.5, 1.0), bucket_counts=(3, 5, 6), count=7, sum=2.75)
    base = TargetSnapshot(
        target=name,
        up=True,
        topology=Topology(
            servers=(
                _server(SECOND, "Server 2", "10.1.1.86", 8081),
                _server(MAIN, "Server 1", "192.168.100.50", 8080),
            ),
            configure_access=True,
            main_server_id=MAIN,
        ),
        servers_up={MAIN: True, SECOND: False},
        collectors={
            "discovery": CollectorRun(True, 0.25, 1_700_000_000.5),
            "cameras": CollectorRun(True, 1.5, 1_700_000_001.0),
            "licenses": CollectorRun(False, 10.0, None),
        },
        api=ApiStats(
            requests={("api/channels", "200"): 12, ("configure/servers", "403"): 1},
            durations={"api/channels": histogram},
            parse_errors={"webapi/license": 2},
        ),
    )
    return replace_target(
        base,
        cameras={
            MAIN: CamerasSection(
                cameras=(Camera(CAM_1, "Camera 1", False, MAIN), Camera(CAM_2, "Plant", True, MAIN)),
                statuses=(CameraStatus(CAM_1, "Ok", False, 0.8812103271484375, 0.0, 0.5),),
            ),
            SECOND: CamerasSection(
                cameras=(Camera(CAM_3, "Gate", False, SECOND),),
                statuses=(CameraStatus(CAM_3, "ErrorAlt", True, 1.0, 0.25, 0.0),),
            ),
        },
        licenses={MAIN: LicenseSection(_license(MAIN))},
        object_counting={
            MAIN: ObjectCountingSection(
                zones=(
                    CountingZone(
                        CAM_2, LINE, "Crossing of the line", "LineSection", {"Person": 16, "Animal": 7}
                    ),
                    CountingZone(CAM_2, AREA, "Counting objects in area", "Zone", {"Person": 3, "Car": 0}),
                )
            )
        },
        visitors={
            SECOND: VisitorsSection(
                visitors=(
                    VisitorCounts(
                        CAM_3,
                        total=243,
                        unique=55,
                        gender={"Female": 21, "Male": 34},
                        age={"Young": 6, "Adult": 28, "MiddleAged": 21, "Senior": 0},
                        emotion={"Positive": 9, "Neutral": 19, "Negative": 27},
                    ),
                )
            )
        },
    )


def down_target(name: str = "office") -> TargetSnapshot:
    """A target whose main server never answered: no topology, no sections."""
    return TargetSnapshot(
        target=name,
        up=False,
        topology=None,
        servers_up={},
        collectors={"discovery": CollectorRun(False, 10.0, None)},
        api=ApiStats(requests={("configure/servers", "timeout"): 4}),
    )


def snapshot_of(*targets: TargetSnapshot) -> ExporterSnapshot:
    return ExporterSnapshot(targets=targets, version="0.1.0", python_version="3.11.7")


def large_snapshot(cameras: int) -> ExporterSnapshot:
    """One target with ``cameras`` cameras on ten servers, each with a status and a line zone."""
    base = populated_target()
    servers = [f"00000000-0000-0000-0000-{index:012d}" for index in range(10)]
    sections: dict[str, CamerasSection] = {}
    zones: dict[str, ObjectCountingSection] = {}
    for index, server_id in enumerate(servers):
        ids = [f"{index:08d}-1111-2222-3333-{n:012d}" for n in range(index, cameras, len(servers))]
        sections[server_id] = CamerasSection(
            cameras=tuple(Camera(cid, f'Камера {cid[-5:]} "вход"', False, server_id) for cid in ids),
            statuses=tuple(CameraStatus(cid, "Ok", True, 1.25, 0.5, 1.25) for cid in ids),
        )
        zones[server_id] = ObjectCountingSection(
            zones=tuple(
                CountingZone(cid, LINE, "Вход", "LineSection", {"Person": 5, "Car": 1}) for cid in ids
            )
        )
    return snapshot_of(replace_target(base, cameras=sections, object_counting=zones))


def parse(body: bytes) -> dict[str, object]:
    """Family name -> parsed family (counters under their name without ``_total``, as the parser gives)."""
    return {family.name: family for family in text_string_to_metric_families(body.decode("utf-8"))}


def samples(body: bytes, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """Sample name -> {sorted label items: value}, over every family."""
    found: dict[tuple[tuple[str, str], ...], float] = {}
    for family in text_string_to_metric_families(body.decode("utf-8")):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def populated() -> ExporterSnapshot:
    """Both targets above: everything the renderer can emit, plus a target that is down."""
    return snapshot_of(populated_target(), down_target())


def awkward_snapshot(status: str = "Reconnecting", write_mbps: float = 0.5) -> ExporterSnapshot:
    """One camera whose name (and, if given, status) needs every escape the text format has."""
    name = 'Камера "1" \\ вход\nвторая'
    camera_status = CameraStatus(CAM_1, status, True, 0.5, 0.25, write_mbps)
    section = CamerasSection(cameras=(Camera(CAM_1, name, False, MAIN),), statuses=(camera_status,))
    return snapshot_of(replace_target(populated_target(), cameras={MAIN: section}))
