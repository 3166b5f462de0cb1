"""Plain data the collectors return and the exposition renders.

Collectors turn API payloads into these frozen records and never touch prometheus-client; the renderer
(`eocexporter.exposition`) turns a snapshot of them into the text exposition. Names of API fields are
kept as the API spells them (``"FaceDetectorChannels"``, ``"IsVideoWallEnabled"``); the renderer decides
how they become label values. A value the API left null or out, or sent in a form the client could not
read, is ``None``: the renderer emits no series for it and the Parquet sink writes a null, never a 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import Protocol, Self, runtime_checkable

# Camera states the reference documents (L558-560). The API prints "OK" in the text and "Ok" in the
# example; the client normalises both to "Ok". Any other value seen is kept as reported.
KNOWN_CAMERA_STATES: tuple[str, ...] = ("Ok", "ErrorMain", "ErrorAlt", "ErrorSound", "Wait")

# Zone types of api/objects_counting/current_counters the reference documents (L6735, L6829): a line
# (its counts are crossings) and an area (its counts are the objects in it now).
LINE_SECTION = "LineSection"
AREA_ZONE = "Zone"
KNOWN_ZONE_KINDS: tuple[str, ...] = (LINE_SECTION, AREA_ZONE)

# Archive export task State and Error (L7278-7304); the example prints them as "1 - InQueue", "0 - None" (Q16).
EXPORT_STATES: dict[int, str] = {
    1: "InQueue",
    2: "InProcess",
    3: "Cancelled",
    4: "Error",
    5: "Done",
    6: "Expired",
}
EXPORT_ERRORS: dict[int, str] = {0: "None", 1: "InternalServerFailure", 2: "NotEnoughSpace", 3: "FileLocked"}
NO_ERROR = "None"


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
    max_clients_limited: bool | None = None  # IsMaxClientsLimited
    max_clients: int | None = None  # MaxClients: client connections the licence allows


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
    """``ArchiveSettings`` and ``AnalyzeSettings`` of a camera's configuration (``configure/channels/{id}``,
    or the ``configure/channels`` list where it carries them): how it is recorded and analysed."""

    camera_id: str
    mode: str | None  # ArchivingMode: AlwaysOn, MDandManual, OnlyManual, BySchedule, or as reported
    disabled: bool | None  # ArchivingDisabled
    min_depth_days: float | None = None  # ArchivingMinDeepnessInDays
    max_depth_days: float | None = None  # ArchivingMaxDeepnessInDays
    # The <Module>Enabled flags of AnalyzeSettings by module ("MotionDetector", "FaceDetector",
    # "InteractiveSearch", and any other such flag a server sends); a flag not sent is absent.
    analytics: dict[str, bool] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CameraArchiveDays:
    """``webapi/cameras/{id}/archive_days`` of one camera: the days that hold archive."""

    camera_id: str
    days: tuple[date, ...]  # server-local dates, ascending, each once, within the look-back window

    @property
    def missing(self) -> int | None:
        """Days without archive between the oldest and the newest day held; None without archive."""
        return (self.days[-1] - self.days[0]).days + 1 - len(self.days) if self.days else None


# The roles of ServerBindingsSettings (L913-923, L789): label value -> API field.
BINDING_ROLES: dict[str, str] = {
    "owner": "OwnerServerId",
    "reserve": "ReservedServerId",
    "replication": "ReplicationServerId",
    "video_analytics": "VideoAnalyticsServerId",
}


@dataclass(frozen=True, slots=True)
class CameraBinding:
    """One camera of the ``configure/channels`` list: its servers by role and its place on the map."""

    camera_id: str
    name: str
    servers: dict[str, str]  # role (a BINDING_ROLES key) -> server id; an unset role is absent
    on_map: bool | None  # MapSettings.IsOnMap
    latitude: float | None  # None when never set (null) or out of range
    longitude: float | None


@dataclass(frozen=True, slots=True)
class CameraPlugins:
    """One camera of ``webapi/cameras/analytics``: the ids of the analytics plugins running on it."""

    camera_id: str
    plugin_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DatabaseSize:
    """The size of one face or plate database table of one recognition module."""

    kind: str  # "faces" or "cars"
    module: str  # as api/faceconfig or api/carconfig name it
    table: str  # "records" (faces, plates) or "groups"
    enabled: bool | None  # the module's "enabled" in the config listing
    size: int | None  # total_count (v1) or total_items (v2); None when unreadable


@dataclass(frozen=True, slots=True)
class ExportTask:
    """One task of ``webapi/archive_export/tasks`` (the exporter's user's history)."""

    task_id: str
    camera_id: str | None
    state: str | None  # InQueue, InProcess, Cancelled, Error, Done, Expired, or as reported
    error: str | None  # None (the name), InternalServerFailure, NotEnoughSpace, FileLocked, or as reported


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


@runtime_checkable
class PartialSection(Protocol):
    """A section that a run stopped by its deadline returns with the part of its work it did (the
    cameras'), so that an exporter short of time still publishes what it got (eocexporter.runtime)."""

    # What the run did not reach (camera ids); empty for a run that finished. The server's next run
    # takes these first (CollectContext.unreached_before).
    unreached: frozenset[str]

    def with_previous(self, previous: Self, polled_at: float, oldest: float) -> Self:
        """This cut-short section completed from ``previous`` (kept from the runs before, made at
        ``polled_at``) with what it holds of the unreached part that is ``oldest`` or newer."""
        ...

    def polled_nothing(self) -> bool:
        """Holds nothing of its own run: nothing newer than the section it was completed from."""
        ...

    def polled_part(self) -> Self:
        """Only what its own run got, without what :meth:`with_previous` carried over: a snapshot of the
        run's moment (the Parquet sink's) must not repeat older values as if they were of that moment."""
        ...

    def shortfall(self) -> str:
        """What the run got and missed, for the reason of its failure."""
        ...


@dataclass(frozen=True, slots=True)
class CamerasSection:
    cameras: tuple[Camera, ...]
    statuses: tuple[CameraStatus, ...]
    # A run stopped by its deadline: the polled cameras whose status it did not get, and of those, the ones
    # whose status an earlier run polled (:meth:`with_previous`): camera id -> time.monotonic() of that run.
    # Empty for a run that finished. (A PartialSection.)
    unreached: frozenset[str] = frozenset()
    carried: Mapping[str, float] = field(default_factory=dict)

    def with_previous(self, previous: CamerasSection, polled_at: float, oldest: float) -> CamerasSection:
        """This cut-short run's statuses, and for the cameras it did not reach the status ``previous`` (the
        section kept from the runs before, made at ``polled_at``) holds, if polled at ``oldest`` or later:
        an older one is no longer known, and its camera has no status series."""
        if not self.unreached:
            return self
        statuses = list(self.statuses)
        carried: dict[str, float] = {}
        for status in previous.statuses:
            if status.camera_id in self.unreached:
                at = previous.carried.get(status.camera_id, polled_at)
                if at >= oldest:
                    carried[status.camera_id] = at
                    statuses.append(status)
        if not carried:
            return self
        statuses.sort(key=lambda status: status.camera_id)
        return CamerasSection(self.cameras, tuple(statuses), self.unreached, carried)

    def polled_nothing(self) -> bool:
        return len(self.statuses) == len(self.carried)

    def polled_part(self) -> CamerasSection:
        if not self.carried:
            return self
        polled = tuple(status for status in self.statuses if status.camera_id not in self.carried)
        return CamerasSection(self.cameras, polled, self.unreached)

    def shortfall(self) -> str:
        return (
            f"{len(self.statuses) - len(self.carried)} statuses polled and {len(self.unreached)} cameras "
            f"not reached ({len(self.carried)} of them kept from the runs before)"
        )


@dataclass(frozen=True, slots=True)
class ArchivingSection:
    cameras: tuple[CameraArchiving, ...]


@dataclass(frozen=True, slots=True)
class ArchiveDepthSection:
    cameras: tuple[CameraArchiveDays, ...]
    zone: tzinfo = UTC  # the server's (the target's timezone): the days are dates of its calendar


@dataclass(frozen=True, slots=True)
class BindingsSection:
    cameras: tuple[CameraBinding, ...]  # every camera of the installation; only the main server's has any


@dataclass(frozen=True, slots=True)
class AnalyticsSection:
    cameras: tuple[CameraPlugins, ...]


@dataclass(frozen=True, slots=True)
class DatabasesSection:
    databases: tuple[DatabaseSize, ...]


@dataclass(frozen=True, slots=True)
class ArchiveExportSection:
    tasks: tuple[ExportTask, ...]
    # error -> tasks seen failing with it since the exporter started (a task counted once), for an alert
    # on new failures that survives the tasks' expiry from the history
    failures: dict[str, int]


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
