"""Plain data the collectors return and the exposition renders.

Collectors turn API payloads into these frozen records and never touch prometheus-client; the renderer
(`eocexporter.exposition`) turns a snapshot of them into the text exposition. Names of API fields are
kept as the API spells them (``"FaceDetectorChannels"``, ``"IsVideoWallEnabled"``); the renderer decides
how they become label values. A value the API left null or out, or sent in a form the client could not
read, is ``None``: the renderer emits no series for it and the Parquet sink writes a null, never a 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# Camera states the reference documents (L558-560). The API prints "OK" in the text and "Ok" in the
# example; the client normalises both to "Ok". Any other value seen is kept as reported.
KNOWN_CAMERA_STATES: tuple[str, ...] = ("Ok", "ErrorMain", "ErrorAlt", "ErrorSound", "Wait")

# Zone types of api/objects_counting/current_counters the reference documents (L6735, L6829): a line
# (its counts are crossings) and an area (its counts are the objects in it now).
LINE_SECTION = "LineSection"
AREA_ZONE = "Zone"
KNOWN_ZONE_KINDS: tuple[str, ...] = (LINE_SECTION, AREA_ZONE)


@dataclass(frozen=True, slots=True)
class Server:
    """One Eocortex server of an installation, from the main server's ``configure/servers``."""

    server_id: str
    name: str
    hostname: str
    port: int | None
    is_replication: bool | None = None
    # TotalLicParams / UsedLicParams, keyed by the API's field name ("Channels", "SoundChannels", ...).
    license_total: dict[str, int] = field(default_factory=dict)
    license_used: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ModuleLicense:
    """One ``<Module>Channels`` object of ``webapi/license``."""

    used: int | None
    on_server: int | None
    total: int | None


@dataclass(frozen=True, slots=True)
class License:
    """``webapi/license`` of one server."""

    server_id: str
    product_type: str
    is_time_limited: bool | None
    time_limit: datetime | None  # aware UTC; None when absent, unreadable or .NET DateTime.MinValue
    features: dict[str, bool]  # the Is...Enabled flags (and VideoAnalystServer), by API name
    modules: dict[str, ModuleLicense]  # by API name, e.g. "FaceDetectorChannels"


@dataclass(frozen=True, slots=True)
class Camera:
    """A camera as listed by ``api/channels`` of the server that serves it: its owner, or its reserve
    server while the owner is down (``ServerBindingsSettings``, Q49)."""

    camera_id: str
    name: str
    disabled: bool | None
    server_id: str  # the server whose api/channels listed it: the one serving it now
    owner_server_id: str | None = None  # OwnerServerId; None when unset (the all-zero GUID) or absent
    reserve_server_id: str | None = None  # ReservedServerId, likewise


@dataclass(frozen=True, slots=True)
class CameraStatus:
    """``api/channels/{id}/status``. Bitrates in Mbps as reported (see docs/metrics.md for the factor)."""

    camera_id: str
    status: str | None  # "Ok", "ErrorMain", ... or any other value as reported
    alt_enabled: bool | None
    receive_main_mbps: float | None
    receive_alt_mbps: float | None
    write_mbps: float | None


@dataclass(frozen=True, slots=True)
class CameraArchiving:
    """``ArchiveSettings`` of ``configure/channels/{id}``: how the camera is recorded."""

    camera_id: str
    mode: str | None  # ArchivingMode: AlwaysOn, MDandManual, OnlyManual, BySchedule, or as reported
    disabled: bool | None  # ArchivingDisabled


@dataclass(frozen=True, slots=True)
class CountingZone:
    """One entry of ``Zones`` in ``api/objects_counting/current_counters``."""

    camera_id: str
    zone_id: str
    zone: str
    kind: str  # "LineSection" or "Zone" (any other value kept as reported)
    counts: dict[str, int | None]  # object class ("Person", "Car", ...) -> current count


@dataclass(frozen=True, slots=True)
class VisitorCounts:
    """One row of ``api/unique_visitor/report`` for one camera, since local midnight."""

    camera_id: str
    total: int | None
    unique: int | None
    gender: dict[str, int | None]
    age: dict[str, int | None]
    emotion: dict[str, int | None]


@dataclass(frozen=True, slots=True)
class CameraVisitors:
    """One camera's row of ``api/unique_visitor/report`` for a closed interval, with the camera's name
    from ``api/channels`` (the report has no names)."""

    camera: str
    counts: VisitorCounts


@dataclass(frozen=True, slots=True)
class LineReport:
    """One line of ``api/objects_counting/report`` for one interval: counts per object class."""

    camera_id: str
    camera: str
    zone_id: str
    zone: str
    start_counts: dict[str, int | None]  # the line's counters at the interval's start (since their reset)
    crossings: dict[str, int | None]  # objects that crossed the line during the interval


# ---- what each collector returns for one server ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class CamerasSection:
    cameras: tuple[Camera, ...]
    statuses: tuple[CameraStatus, ...]


@dataclass(frozen=True, slots=True)
class ArchivingSection:
    cameras: tuple[CameraArchiving, ...]


@dataclass(frozen=True, slots=True)
class LicenseSection:
    license: License | None  # None: the server has no webapi/license (an older version)


@dataclass(frozen=True, slots=True)
class ObjectCountingSection:
    zones: tuple[CountingZone, ...]


@dataclass(frozen=True, slots=True)
class VisitorsSection:
    visitors: tuple[VisitorCounts, ...]


@dataclass(frozen=True, slots=True)
class Topology:
    """What discovery found: the servers to poll and how it found them."""

    servers: tuple[Server, ...]
    # False when configure/servers answered 403 and the exporter fell back to the main server's api/.
    configure_access: bool
    main_server_id: str  # "" while it is not known
    # How the main server was recognised: "address", "cameras", or "" (not known; see discovery).
    main_found_by: str = ""
