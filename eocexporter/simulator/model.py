"""The simulated installation: topology, what every resource says at the clock's current instant,
and helpers that change the installation while it runs."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from . import databases, exports
from .archive import ArchiveModel, ArchiveProfile, format_ms
from .archive import to_ms as archive_ms
from .clock import Clock
from .config import SimulatorConfig
from .licence import CONSUMERS, IDLE_TOTALS, LIC_PARAMS, LICENCE_FLAGS, USAGE_KEYS, bought
from .seeded import derived_uuid, unit
from .signals import (
    byte_rate,
    cumulative_shape,
    is_recording,
    local_days,
    occupancy,
    scheduled_status,
    standard_offset,
)
from .timefmt import MIN_VALUE, TICKS_PER_SECOND, format_time_limit, ticks_of
from .topology import (
    AGES,
    EMOTIONS,
    GENDERS,
    PLUGINS,
    SimCamera,
    SimServer,
    build_camera,
    build_cameras,
    build_servers,
)
from .variants import with_profile
from .wire import dumps

ZERO_GUID = "00000000-0000-0000-0000-000000000000"
STATUSES = ("Ok", "ErrorMain", "ErrorAlt", "ErrorSound", "Wait")
_RESET_ANCHOR = date(2000, 1, 3)  # a Monday, so weekly resets fall on Mondays
_NEVER_RESET = datetime(2000, 1, 1, tzinfo=UTC)
_LICENCE_PERIOD_TICKS = 365 * 86400 * TICKS_PER_SECOND
_CELLS = [(g, a, e) for g in range(len(GENDERS)) for a in range(len(AGES)) for e in range(len(EMOTIONS))]

# Where the `nulls` variant puts its nulls and gaps (docs/simulator.md, "Nulls and missing fields").
NULL_ALT_ENABLED_MOD = 3  # status AltEnabled null when camera index % 7 == 3
NULL_WRITE_ABSENT_MOD = 5  # status without WriteVideoMbps when index % 7 == 5
NULL_ALT_RECEIVE_MOD = 6  # status ReceiveAltVideoMbps null when index % 7 == 6
NULL_STATUS_INDEX = 4  # status Status null for camera index 4
NULL_DISABLED_INDEX = 6  # api/channels Disabled null for camera index 6
NULL_NAME_INDEX = 8  # api/channels Name null for camera index 8 (also archive_days, analytics ChannelName)
NULL_MIN_DEPTH_INDEX = 5  # configure/channels/{id} ArchivingMinDeepnessInDays null for camera index 5
# api/faces-groups, api/cars-groups (total_count) and their v2 twins (total_items) answer null sizes.
NULL_TOTAL_KINDS = ("faces-groups", "cars-groups")
# webapi/license objects at these positions of USAGE_KEYS come without OnServer (every 4th from the 3rd).
NO_ON_SERVER_KEYS = tuple(key for position, key in enumerate(USAGE_KEYS) if position % 4 == 2)
NULL_USED_KEY = "NonRegistratorChannels"
# Unknown values (`unknown_values`).
UNKNOWN_STATUS = "Reconnecting"
UNKNOWN_ZONE_TYPE = "Polygon"
FUTURE_MODULE = ("FutureModuleChannels", {"OnServer": 1, "Used": 1, "Total": 2})
FUTURE_FLAG = "IsFutureFeatureEnabled"
# Listed addresses (`listed_addresses`): the main server's LAN name is never to be contacted.
MAIN_LAN_HOSTNAME = "eocortex-main.lan"
MAIN_LAN_PORT = 8080
LEGACY_MISSING = ("webapi/", "api/unique_visitor/report", "api/v2/")
# Licences whose Total decides whether faceconfig lists any module ("face recognition" in the licence).
FACE_RECOGNITION_LICENCES = ("CompleteFaceRecognitionChannels", "LightFaceRecognitionChannels")
FACE_MODULES = ("basic", "expert", "complete")
CAR_MODULES = ("complete", "light")


class UnknownObject(LookupError):
    """No such server or camera, or the camera is not where the request looked for it."""


class Installation:
    def __init__(self, config: SimulatorConfig, clock: Clock) -> None:
        self.seed = config.seed
        self.timezone = config.timezone
        self.tz = ZoneInfo(config.timezone)
        self.host = "127.0.0.1" if config.host in ("", "0.0.0.0") else config.host
        self.clock = clock
        self.profile = config.profile
        self.variants = with_profile(config.variants, config.profile)
        self._offset = standard_offset(self.tz)
        self._reset_step = timedelta(hours=config.counter_reset_hours)
        self._reset_anchor = datetime.combine(_RESET_ANCHOR, config.counter_reset_time)
        self.servers: list[SimServer] = build_servers(config.seed, config.servers, config.port)
        self._servers = {server.id: server for server in self.servers}
        self._cameras = {
            camera.id: camera for camera in build_cameras(config.seed, config.cameras, self.servers)
        }
        self._next_index = config.cameras
        # Bumped by every change of what the configuration resources say; caches are keyed on it.
        self.version = 0
        self._cache: dict[object, Any] = {}
        self._forced_status: dict[str, str] = {}
        self._licence_overrides: dict[str, dict[str, int]] = {}
        self._time_limits: dict[str, int] = {}
        self._failed_over: set[str] = set()
        self._visitor_refused: set[str] = set()
        self._archive = ArchiveModel(config.seed, self.tz)
        self._database_sizes: dict[tuple[str, str, str], int] = {}
        # Seeded export tasks name the cameras each server had when the model was built (an export of
        # a camera removed since stays in the history).
        self._export_channels = {
            server.id: tuple(c.id for c in self._cameras.values() if c.server_id == server.id)
            for server in self.servers
        }
        self._added_exports: dict[str, list[exports.ExportTask]] = {}
        usage = self._usage()
        self._totals = {key: bought(used) for key, (used, _) in usage.items()}
        self._totals.update(IDLE_TOTALS)
        self._max_clients = 10 * (1 + int(unit(self.seed, "max-clients") * 10))
        if config.profile == "real-world":
            self._apply_real_world()

    def _apply_real_world(self) -> None:
        """The profile's per-server quirks: the last server is legacy (with 2 or more), and each server
        refuses visitor reports for its third enabled visitor camera (its last, when it has fewer)."""
        if len(self.servers) >= 2:
            self.servers[-1].legacy = True
        for server in self.servers:
            visitors = [c for c in self.cameras_on(server.id) if c.has_visitor_module and not c.disabled]
            if visitors:
                self._visitor_refused.add(visitors[min(2, len(visitors) - 1)].id)

    # --- lookups ---------------------------------------------------------------------------------

    @property
    def cameras(self) -> list[SimCamera]:
        return list(self._cameras.values())

    @property
    def main_server(self) -> SimServer:
        return self.servers[0]

    def server(self, server_id: str) -> SimServer:
        try:
            return self._servers[server_id.lower()]
        except KeyError:
            raise UnknownObject(f"no server {server_id}") from None

    def camera(self, camera_id: str) -> SimCamera:
        try:
            return self._cameras[camera_id.lower()]
        except KeyError:
            raise UnknownObject(f"no camera {camera_id}") from None

    def cameras_on(self, server_id: str) -> list[SimCamera]:
        return self._cached(
            ("on", server_id), lambda: [c for c in self._cameras.values() if c.server_id == server_id]
        )

    def cameras_served_by(self, server_id: str) -> list[SimCamera]:
        """The cameras `server_id` answers api/ requests about: its own, unless it has failed over, and
        those of a failed-over server whose reserve it is."""
        return self._cached(
            ("served", server_id),
            lambda: [c for c in self._cameras.values() if self._serving(c) == server_id],
        )

    def serving_server(self, camera_id: str) -> str:
        return self._serving(self.camera(camera_id))

    def _serving(self, camera: SimCamera) -> str:
        if camera.server_id in self._failed_over:
            return self.reserve_of(camera.server_id) or camera.server_id
        return camera.server_id

    def reserve_of(self, server_id: str) -> str | None:
        """The reserve of server i is server (i + 1) mod n; a lone server has none."""
        if len(self.servers) < 2:
            return None
        return self.servers[(self.server(server_id).index + 1) % len(self.servers)].id

    def counting_cameras(self, server_id: str) -> list[SimCamera]:
        """Cameras served by `server_id` on which the object counting module runs (enabled, with zones)."""
        return [c for c in self.cameras_served_by(server_id) if c.has_object_counting and not c.disabled]

    def visitor_cameras(self, server_id: str) -> list[SimCamera]:
        return [c for c in self.cameras_served_by(server_id) if c.has_visitor_module and not c.disabled]

    @property
    def failed_over(self) -> frozenset[str]:
        return frozenset(self._failed_over)

    @property
    def visitor_refused(self) -> frozenset[str]:
        """Cameras for which visitor reports are refused as not licensed."""
        return frozenset(self._visitor_refused)

    def missing_on_legacy(self, template: str) -> bool:
        """Whether a legacy server (a version without it) answers this route template with 404."""
        return template.startswith(LEGACY_MISSING)

    def _picks(self) -> dict[str, Any]:
        """The cameras the `nulls`/`unknown_values` rules single out, in index order of the bound
        (owner) cameras, so a failover does not move them."""

        def pick() -> dict[str, Any]:
            enabled = [c for c in self._cameras.values() if not c.disabled]
            counting = [c for c in enabled if c.has_object_counting]
            last_server = self.servers[-1].id
            return {
                "first_counting": counting[0].id if counting else None,
                "last_server_counting": next((c.id for c in counting if c.server_id == last_server), None),
                "first_visitor": next((c.id for c in enabled if c.has_visitor_module), None),
                "reconnecting": {
                    next((c.id for c in enabled if c.server_id == server.id), None) for server in self.servers
                },
            }

        return self._cached("picks", pick)

    def cached_json(self, key: object, build: Callable[[], Any]) -> bytes:
        """Encoded JSON of a configuration resource, rebuilt only when the topology or variants change."""
        return self._cached(("json", key), lambda: dumps(build()))

    def _cached(self, key: object, build: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    def topology_changed(self) -> None:
        self.version += 1
        self._cache.clear()

    # --- presentation helpers --------------------------------------------------------------------

    def _bool(self, value: bool) -> bool | str:
        if self.variants.booleans_as_strings:
            return "true" if value else "false"
        return value

    def _mbps(self, bytes_per_second: int) -> float | int:
        # bytes * 8 / 2**20 reproduces the reference's 0.8812103271484375 (= 115502 / 131072).
        value = bytes_per_second / 131072
        if self.variants.whole_numbers_as_int and value.is_integer():
            return int(value)
        return value

    def _status_name(self, status: str) -> str:
        return self.variants.status_ok if status == "Ok" else status

    # --- channels --------------------------------------------------------------------------------

    def _bindings(self, camera: SimCamera, *, with_analytics: bool) -> dict[str, str]:
        bindings = {
            "OwnerServerId": camera.server_id,
            "ReservedServerId": self.reserve_of(camera.server_id) or ZERO_GUID,
            "ReplicationServerId": self.replication_server(camera),
        }
        if with_analytics:
            bindings["VideoAnalyticsServerId"] = self.video_analytics_server(camera)
        return bindings

    def _neighbour(self, camera: SimCamera, step: int) -> str:
        if len(self.servers) < 2:
            return ZERO_GUID
        return self.servers[(self.server(camera.server_id).index + step) % len(self.servers)].id

    def replication_server(self, camera: SimCamera) -> str:
        """ReplicationServerId: the server before the owner for replicated cameras (2 or more servers)."""
        return self._neighbour(camera, -1) if camera.replicated else ZERO_GUID

    def video_analytics_server(self, camera: SimCamera) -> str:
        """VideoAnalyticsServerId: the server after the owner for cameras analysed remotely."""
        return self._neighbour(camera, 1) if camera.remote_analytics else ZERO_GUID

    def api_channel(self, camera: SimCamera) -> dict[str, Any]:
        """The shape of api/channels (L424-472) and configure/servers/{id}/channels (L4364-4391)."""
        nulls = self.variants.nulls
        channel = {
            "Id": camera.id,
            "Name": None if nulls and camera.index == NULL_NAME_INDEX else camera.name,
            "Disabled": None
            if nulls and camera.index == NULL_DISABLED_INDEX
            else self._bool(camera.disabled),
            "ServerBindingsSettings": self._bindings(camera, with_analytics=False),
            "ParentSecObjectId": self.server(camera.server_id).secobject_id,
        }
        if self.variants.extra_fields:
            channel["Description"] = ""
        return channel

    def channels(self, server_id: str) -> list[dict[str, Any]]:
        """api/channels as `server_id` serves it now: the cameras it serves (a failed-over server's
        cameras at its reserve)."""
        return [self.api_channel(camera) for camera in self.cameras_served_by(self.server(server_id).id)]

    def configure_channel_brief(self, camera: SimCamera) -> dict[str, Any]:
        """An item of configure/channels: the ChannelBrief of L776-836, with the camera's
        ArchiveSettings and AnalyzeSettings before MapSettings when `channel_list_settings` is on."""
        brief = self._brief(camera)
        if self.variants.channel_list_settings:
            map_settings = brief.pop("MapSettings")
            brief["ArchiveSettings"] = self._archive_settings(camera)
            brief["AnalyzeSettings"] = self._analyze_settings(camera)
            brief["MapSettings"] = map_settings
        return brief

    def _brief(self, camera: SimCamera) -> dict[str, Any]:
        return {
            "Id": camera.id,
            "Name": camera.name,
            "Disabled": camera.disabled,
            "ServerBindingsSettings": self._bindings(camera, with_analytics=True),
            "ParentSecObjectId": self.server(camera.server_id).secobject_id,
            "MapSettings": self._map_settings(camera),
        }

    def _map_settings(self, camera: SimCamera) -> dict[str, Any]:
        return {"Latitude": camera.latitude, "Longitude": camera.longitude, "IsOnMap": camera.is_on_map}

    def configure_channel(self, camera: SimCamera) -> dict[str, Any]:
        """A subset of the Channel of configure/channels/{id} (L1426-1573). Credentials are null."""
        brief = self._brief(camera)
        map_settings = brief.pop("MapSettings")

        def stream(enabled: bool, roles: list[str]) -> dict[str, Any]:
            return {
                "VideoStreamEnabled": enabled,
                "VideoFormat": camera.video_format,
                "VideoAdditionalParams": None,
                "RotationMode": "None",
                "Roles": roles,
            }

        client_roles = ["DesktopClient", "MobileClient"]
        return {
            **brief,
            "Description": "",
            "ConnectionSettings": {
                "ModelId": ZERO_GUID,
                "Hostname": f"cam-{camera.index + 1:05d}.sim.invalid",
                "Login": None,
                "Password": None,
                "StreamsSettings": {
                    "MainStreamSettings": stream(True, ["Archive", *client_roles, "VideoAnalysis"]),
                    "AlternativeStreamSettings": stream(camera.alt_enabled, client_roles),
                    "SecondAlternativeStreamSettings": stream(False, client_roles),
                    "ThirdAlternativeStreamSettings": stream(False, client_roles),
                },
                "MainVideoStreamFormat": camera.video_format,
                "AltVideoStreamEnabled": camera.alt_enabled,
                "AltVideoStreamFormat": camera.video_format,
                "SoundReceivingEnabled": camera.sound,
                "PtzEnabled": camera.ptz,
                "Ipv6Enabled": False,
                "MultiChannelServerEnabled": False,
                "MultiChannelServerChannelNum": 1,
                "IoProcessingEnabled": False,
                "SoundTransmittingEnabled": False,
                "ExternalNetworkPorts": [
                    {"DefaultPortValue": 554, "PortValue": 554, "IsExternallyDefined": False}
                ],
                "SoundVolume": 100,
                "MainVideoAdditionalParams": None,
                "AltVideoAdditionalParams": None,
                "MainStreamRotationMode": "None",
                "AltStreamRotationMode": "None",
                "DirectNetworkConnectionToCameraEnabled": False,
                "GpuClientVideoDecodingEnabled": False,
                "AlternativeVideoDecoderEnabled": False,
                "IsSecureConnectionEnabled": False,
            },
            "ArchiveSettings": self._archive_settings(camera),
            "AnalyzeSettings": self._analyze_settings(camera),
            "MapSettings": map_settings,
        }

    def _archive_settings(self, camera: SimCamera) -> dict[str, Any]:
        """ArchiveSettings (L1105-1161, L1520-1533); the depths are the camera's configured ones."""
        min_depth = float(camera.min_depth)
        return {
            "ArchivingDisabled": camera.archiving_off,
            "ArchivingMode": camera.archiving_mode,
            "ArchivingVideoStreamType": "Main",
            "ArchivingMinDeepnessInDays": None
            if self.variants.nulls and camera.index == NULL_MIN_DEPTH_INDEX
            else min_depth,
            "ArchivingMaxDeepnessInDays": float(camera.max_depth),
            "ArchivingSoundDisabled": not camera.sound,
            "PreMotionDetectionRecSecs": 1,
            "PostMotionDetectionRecSecs": 1,
            "LimitRecordFpsAndOnlyIndepFramesEnabled": False,
            "LimitedRecordFps": 30,
            "DeviceArchiveEnabled": False,
            "DeviceArchiveAutoSynchronizationEnabled": False,
        }

    def _analyze_settings(self, camera: SimCamera) -> dict[str, Any]:
        """A subset of AnalyzeSettings (L1163-1213, L1534-1567): no motion zones, no search sizes."""
        return {
            "MotionDetectorEnabled": camera.motion_detector,
            "AnalyzeStreamType": "Main",
            "FaceDetectorEnabled": camera.face_detector,
            "FaceDetectorMode": "OptimizedQuality" if camera.has_visitor_module else "Basic",
            "InteractiveSearchEnabled": camera.interactive_search,
            "IsUseRemoteVideoAnalyticsServer": self.video_analytics_server(camera) != ZERO_GUID,
        }

    # --- camera status ---------------------------------------------------------------------------

    def camera_status(self, camera_id: str) -> dict[str, Any]:
        """api/channels/{id}/status (L526-534) at the clock's instant."""
        camera = self.camera(camera_id)
        now = self.clock.now()
        key = (self.seed, camera.id)
        forced = None
        if camera.disabled:
            # Nothing is received from a disabled camera and nothing is being determined about it.
            status, main, alt, write = "Wait", 0, 0, 0
        else:
            forced = self._forced_status.get(camera.id)
            status = forced or scheduled_status(key, now, camera.alt_enabled, camera.sound)
            main = byte_rate(camera.main_bytes_per_second, (*key, "main"), now)
            alt = byte_rate(camera.alt_bytes_per_second, (*key, "alt"), now) if camera.alt_enabled else 0
            if status in ("ErrorMain", "Wait"):
                main = 0
            if status in ("ErrorAlt", "Wait"):
                alt = 0
            write = main if is_recording(camera.archiving_mode, key, now) else 0
        status_name: str | None = self._status_name(status)
        if (
            self.variants.unknown_values
            and status == "Ok"
            and not camera.disabled
            and not forced
            and camera.id in self._picks()["reconnecting"]
        ):
            status_name = UNKNOWN_STATUS
        body: dict[str, Any] = {
            "Id": camera.id,
            "Name": camera.name,
            "AltEnabled": self._bool(camera.alt_enabled),
            "ReceiveVideoMbps": self._mbps(main),
            "ReceiveAltVideoMbps": self._mbps(alt),
            "WriteVideoMbps": self._mbps(write),
        }
        if self.variants.nulls:
            residue = camera.index % 7
            if residue == NULL_ALT_ENABLED_MOD:
                body["AltEnabled"] = None
            elif residue == NULL_WRITE_ABSENT_MOD:
                del body["WriteVideoMbps"]
            elif residue == NULL_ALT_RECEIVE_MOD:
                body["ReceiveAltVideoMbps"] = None
            if camera.index == NULL_STATUS_INDEX:
                status_name = None
        if self.variants.extra_fields:
            body["StreamsStatuses"] = []
        body["Status"] = status_name
        return body

    # --- object counting -------------------------------------------------------------------------

    def last_counter_reset(self, instant: datetime) -> datetime:
        """The latest scheduled reset at or before `instant` (UTC), on the local wall clock."""
        if not self._reset_step:
            return _NEVER_RESET
        local = instant.astimezone(self.tz).replace(tzinfo=None)
        steps = (local - self._reset_anchor) // self._reset_step
        while True:
            reset = (self._reset_anchor + steps * self._reset_step).replace(tzinfo=self.tz).astimezone(UTC)
            if reset <= instant:
                return reset
            steps -= 1  # only inside a DST fold

    def _crossings(self, camera: SimCamera, zone_index: int, cls: str, instant: datetime) -> int:
        """Cumulative crossings of a line by `cls` since 2000: monotone in `instant`."""
        zone = camera.zones[zone_index]
        spread = zone_index + 7 * zone.classes.index(cls)
        wobble = (camera.wobble[0] + spread, camera.wobble[1] + 2 * spread)
        return math.floor(
            zone.scale[cls] * cumulative_shape(local_days(instant, self._offset), zone.shift, wobble)
        )

    def _counting_camera(self, camera_id: str) -> SimCamera:
        camera = self.camera(camera_id)
        if not camera.has_object_counting or camera.disabled:
            raise UnknownObject(f"the object counting module is not running on camera {camera.id}")
        return camera

    def current_counters(self, camera_id: str) -> dict[str, Any]:
        """api/objects_counting/current_counters for one camera (L6722-6752)."""
        camera = self._counting_camera(camera_id)
        now = self.clock.now()
        reset = self.last_counter_reset(now)
        days = local_days(now, self._offset)
        zones = []
        for index, zone in enumerate(camera.zones):
            if zone.is_line:
                counts = {
                    cls: self._crossings(camera, index, cls, now) - self._crossings(camera, index, cls, reset)
                    for cls in zone.classes
                }
            else:
                counts = {
                    cls: occupancy(zone.scale[cls], days, zone.shift, (self.seed, zone.id, cls), now)
                    for cls in zone.classes
                }
            entry: dict[str, Any] = {
                "Id": zone.id,
                "Name": zone.name,
                "Type": zone.type,
                "CurrentCounts": counts,
            }
            if self.variants.extra_fields:
                entry["Color"] = "#FF0000"
            zones.append(entry)
        picks = self._picks()
        if self.variants.nulls:
            if camera.id == picks["first_counting"]:
                # The first zone is always a line counting Person first.
                zones[0]["CurrentCounts"][camera.zones[0].classes[0]] = None
            if camera.id == picks["last_server_counting"]:
                zones[0]["Name"] = None
        if self.variants.unknown_values and camera.id == picks["last_server_counting"]:
            zones[-1]["Type"] = UNKNOWN_ZONE_TYPE
        return {"Id": camera.id, "ChannelName": camera.name, "Zones": zones}

    def local_to_utc(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.tz)
        return moment.astimezone(UTC)

    def object_report(self, camera_id: str, start_local: datetime, end_local: datetime) -> dict[str, Any]:
        """api/objects_counting/report (L6799-6819): lines only. Times after now count up to now."""
        camera = self._counting_camera(camera_id)
        start, end = self._interval(self.local_to_utc(start_local), self.local_to_utc(end_local))
        reset = self.last_counter_reset(start)
        zones = []
        for index, zone in enumerate(camera.zones):
            if not zone.is_line:
                continue
            at_start = {cls: self._crossings(camera, index, cls, start) for cls in zone.classes}
            zones.append(
                {
                    "Id": zone.id,
                    "Name": zone.name,
                    "StartCounts": {
                        cls: at_start[cls] - self._crossings(camera, index, cls, reset)
                        for cls in zone.classes
                    },
                    "TotalCounts": {
                        cls: self._crossings(camera, index, cls, end) - at_start[cls] for cls in zone.classes
                    },
                }
            )
        if self.variants.nulls and camera.id == self._picks()["last_server_counting"]:
            # The first zone is always a line, so it is always in the report.
            zones[0]["TotalCounts"][camera.zones[0].classes[0]] = None
        return {"Id": camera.id, "ChannelName": camera.name, "Zones": zones}

    def _interval(self, start: datetime, end: datetime) -> tuple[datetime, datetime]:
        if start > end:
            raise ValueError("the start time is later than the end time")
        now = self.clock.now()
        return min(start, now), min(end, now)

    # --- unique visitors -------------------------------------------------------------------------

    def _visitor_cells(self, camera: SimCamera, instant: datetime) -> tuple[list[int], list[int]]:
        """Cumulative unique and repeat visits per (gender, age, emotion) cell. Every total and every
        distribution is a sum of cells, so all of them are monotone and add up across intervals."""
        shape = cumulative_shape(local_days(instant, self._offset), camera.shift, camera.wobble)
        shares = camera.visitor_shares
        unique, repeat = [], []
        repeat_ratio = 1.5 + 3 * unit(self.seed, camera.id, "repeat-ratio")
        for g, a, e in _CELLS:
            weight = (
                camera.visitor_volume * shares["gender"][g] * shares["age"][a] * shares["emotion"][e] * shape
            )
            unique.append(math.floor(weight))
            repeat.append(math.floor(weight * repeat_ratio))
        return unique, repeat

    def _visitor_camera(self, camera_id: str) -> SimCamera:
        camera = self.camera(camera_id)
        if not camera.has_visitor_module or camera.disabled:
            raise UnknownObject(f"the unique visitor module is not running on camera {camera.id}")
        return camera

    def visitor_rows(
        self,
        camera_ids: Iterable[str],
        start_utc: datetime,
        end_utc: datetime,
        *,
        unique_only: bool = False,
        aggregate: bool = False,
    ) -> list[dict[str, Any]]:
        """Rows of api/unique_visitor/report (L7873-7896); naive instants are UTC."""
        start, end = self._interval(_as_utc(start_utc), _as_utc(end_utc))
        per_camera = []
        for camera_id in camera_ids:
            camera = self._visitor_camera(camera_id)
            unique_a, repeat_a = self._visitor_cells(camera, start)
            unique_b, repeat_b = self._visitor_cells(camera, end)
            unique = [b - a for a, b in zip(unique_a, unique_b, strict=True)]
            repeat = [b - a for a, b in zip(repeat_a, repeat_b, strict=True)]
            per_camera.append((camera.id, unique, repeat))
        if aggregate:
            width = len(_CELLS)
            unique = [sum(row[1][i] for row in per_camera) for i in range(width)]
            repeat = [sum(row[2][i] for row in per_camera) for i in range(width)]
            row = self._visitor_row(None, unique, repeat, unique_only)
            # A sum with a null in it is null, as .NET's int? arithmetic has it.
            return [self._visitor_nulls(row, [camera_id for camera_id, _, _ in per_camera])]
        return [
            self._visitor_nulls(self._visitor_row(camera_id, unique, repeat, unique_only), [camera_id])
            for camera_id, unique, repeat in per_camera
        ]

    def _visitor_nulls(self, row: dict[str, Any], camera_ids: list[str]) -> dict[str, Any]:
        if not self.variants.nulls:
            return row
        if any(self._cameras[camera_id].index % 2 == 1 for camera_id in camera_ids):
            row["UniqueVisitors"] = None
        if self._picks()["first_visitor"] in camera_ids:
            row["GenderDistribution"]["Female"] = None
        return row

    def visitor_report(
        self, camera_id: str, start_utc: datetime, end_utc: datetime, *, unique_only: bool = False
    ) -> dict[str, Any]:
        return self.visitor_rows([camera_id], start_utc, end_utc, unique_only=unique_only)[0]

    def _visitor_row(self, camera_id: str | None, unique: list[int], repeat: list[int], unique_only: bool):
        documented = self.variants.visitor_distribution_basis == "documented"
        basis = (
            [u + r for u, r in zip(unique, repeat, strict=True)] if documented and not unique_only else unique
        )

        def distribution(axis: int, names: tuple[str, ...]) -> dict[str, int]:
            totals = dict.fromkeys(names, 0)
            for cell, count in zip(_CELLS, basis, strict=True):
                totals[names[cell[axis]]] += count
            return totals

        row: dict[str, Any] = {
            "ChannelId": None if self.variants.visitor_channel_id_null else camera_id,
            "TotalVisitors": sum(unique) + sum(repeat),
            "UniqueVisitors": sum(unique),
            "GenderDistribution": distribution(0, GENDERS),
            "AgeDistribution": distribution(1, AGES),
            "EmotionDistribution": distribution(2, EMOTIONS),
        }
        return row

    # --- licences and servers --------------------------------------------------------------------

    def _usage(self) -> dict[str, tuple[int, dict[str, int]]]:
        """Per consumed licence key: (used in the installation, used per server) by enabled cameras."""

        def count() -> dict[str, tuple[int, dict[str, int]]]:
            usage = {}
            enabled = [camera for camera in self._cameras.values() if not camera.disabled]
            for key, consumes in CONSUMERS.items():
                per_server = dict.fromkeys(self._servers, 0)
                for camera in enabled:
                    if consumes(camera):
                        per_server[camera.server_id] += 1
                usage[key] = (sum(per_server.values()), per_server)
            return usage

        return self._cached("usage", count)

    def licence_usage(self, key: str, server_id: str) -> dict[str, int]:
        used, per_server = self._usage().get(key, (0, {}))
        usage = {"OnServer": per_server.get(server_id, 0), "Used": used, "Total": self._totals.get(key, 0)}
        usage.update(self._licence_overrides.get(key, {}))
        return usage

    def _time_limit_ticks(self, server: SimServer) -> int | None:
        if server.id in self._time_limits:
            return self._time_limits[server.id]
        if not server.time_limited:
            return None
        # A yearly subscription: the limit is always the next renewal date, so it stays in the future.
        phase = int(unit(self.seed, server.id, "licence-phase") * _LICENCE_PERIOD_TICKS)
        now = ticks_of(self.clock.now())
        return phase + (-(-(now - phase) // _LICENCE_PERIOD_TICKS)) * _LICENCE_PERIOD_TICKS

    def license(self, server_id: str) -> dict[str, Any]:
        """webapi/license (L7919-8112) as `server_id` answers it."""
        server = self.server(server_id)
        variants = self.variants
        ticks = self._time_limit_ticks(server)
        if ticks is not None:
            time_limit: str | None = format_time_limit(
                ticks, variants.time_limit_style, variants.time_limit_fraction_digits, self.tz
            )
        else:
            time_limit = MIN_VALUE if variants.unlimited_time_limit == "min_value" else None
        body: dict[str, Any] = {
            "ProductType": "Ultra",
            "IsTimeLimited": None if variants.nulls and server.is_main else self._bool(ticks is not None),
            "TimeLimit": time_limit,
            "Language": "English",
            "IsMaxClientsLimited": self._bool(not self._unlimited_clients(server)),
            "MaxClients": 0 if self._unlimited_clients(server) else self._max_clients,
        }
        body.update({flag: self._bool(value) for flag, value in LICENCE_FLAGS.items()})
        if variants.extra_fields:
            body["IsCloudArchiveEnabled"] = self._bool(False)
        if variants.unknown_values:
            body[FUTURE_FLAG] = self._bool(True)
        for key in USAGE_KEYS:
            usage: dict[str, Any] = self.licence_usage(key, server.id)
            if variants.nulls:
                if key in NO_ON_SERVER_KEYS:
                    del usage["OnServer"]
                if key == NULL_USED_KEY:
                    usage["Used"] = None
            body[key] = usage
        if variants.unknown_values:
            name, usage = FUTURE_MODULE
            body[name] = dict(usage)
        return body

    def _unlimited_clients(self, server: SimServer) -> bool:
        """With 2 or more servers the main server's licence does not limit remote workstations."""
        return server.is_main and len(self.servers) >= 2

    def server_info(self, server_id: str, *, detailed: bool = False) -> dict[str, Any]:
        """An entry of configure/servers (L4243-4305); Hostname/Port are where it really listens."""
        server = self.server(server_id)
        total, used = {}, {}
        for name, key in LIC_PARAMS.items():
            if (
                detailed
                and name == "PeopleCounterChannels"
                and self.variants.server_detail_without_people_counter
            ):
                continue
            usage = self.licence_usage(key, server.id) if key else {"OnServer": 0, "Total": 0}
            total[name] = usage["Total"]
            used[name] = usage["OnServer"]
        hostname, port = self.listed_address(server.id)
        info: dict[str, Any] = {
            "Id": server.id,
            "Name": server.name,
            "Hostname": hostname,
            "Port": port,
            "IsReplicationServer": False,
            "UseFastReservation": False,
            "TotalLicParams": total,
            "UsedLicParams": used,
        }
        if self.variants.nulls and server.index == len(self.servers) - 1:
            del info["IsReplicationServer"]
        if self.variants.extra_fields:
            info["Version"] = "4.5.0.0"
        return info

    def listed_address(self, server_id: str) -> tuple[str, int]:
        """(Hostname, Port) configure/servers lists for the server, per `listed_addresses`."""
        server = self.server(server_id)
        style = self.variants.listed_addresses
        if style == "actual":
            return self.host, server.port
        if server.is_main:
            return MAIN_LAN_HOSTNAME, MAIN_LAN_PORT
        if style == "lan":
            return "localhost", server.port
        return "127.0.0.1", server.unreachable_port

    def faceconfig(self) -> dict[str, Any]:
        """api/faceconfig: the modules "available" (L4971) and whether each is enabled; a licence without
        face recognition (every FACE_RECOGNITION_LICENCES Total 0) makes none available."""
        if not any(self._totals_of(key) for key in FACE_RECOGNITION_LICENCES):
            return {"faces_modules": []}
        # Unique visitor reports need face recognition "Complete" (L7820).
        complete = any(camera.has_visitor_module for camera in self._cameras.values())
        return {
            "faces_modules": [
                {"name": "basic", "enabled": False},
                {"name": "expert", "enabled": False},
                {"name": "complete", "enabled": complete},
            ]
        }

    def _totals_of(self, key: str) -> int:
        return self._licence_overrides.get(key, {}).get("Total", self._totals.get(key, 0))

    def carconfig(self) -> dict[str, Any]:
        modules = [{"name": "complete", "enabled": True}, {"name": "light", "enabled": False}]
        if self.variants.carconfig_as_object:
            # The invalid example (L5819-5830) read as one object: its first module.
            return {"auto_modules": modules[0]}
        return {"auto_modules": modules}

    # --- archive days ----------------------------------------------------------------------------

    def archive_profile(self, camera_id: str) -> ArchiveProfile:
        """What decides the camera's archive_days at the clock's instant (docs/simulator.md)."""
        return self._archive.profile(self.camera(camera_id), self.clock.now())

    def archive_days(self, camera_id: str, start_utc: datetime, end_utc: datetime) -> list[str]:
        """ArchiveDays as webapi/cameras/{id}/archive_days serves them now: the first recording moment
        of every held server-local day overlapping [start, end]; naive instants are UTC."""
        start, end = _as_utc(start_utc), _as_utc(end_utc)
        if start > end:
            raise ValueError("the start time is later than the end time")
        return self._archive.days(self.camera(camera_id), self.clock.now(), start, end)

    def archive_days_body(self, camera_id: str, start_utc: datetime, end_utc: datetime) -> dict[str, Any]:
        camera = self.camera(camera_id)
        return {
            "ChannelId": camera.id,
            "ChannelName": self._webapi_name(camera),
            "ArchiveDays": self.archive_days(camera.id, start_utc, end_utc),
        }

    def _webapi_name(self, camera: SimCamera) -> str | None:
        return None if self.variants.nulls and camera.index == NULL_NAME_INDEX else camera.name

    # --- video analytics plugins -----------------------------------------------------------------

    def plugin_ids(self) -> dict[str, str]:
        """Plugin name -> the id webapi/cameras/analytics serves (a small fixed set per seed)."""
        return {name: derived_uuid(self.seed, "plugin", name) for name in PLUGINS}

    def analytics(self, server_id: str, camera_ids: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """webapi/cameras/analytics as `server_id` serves it now: every camera it serves (disabled ones
        with their configured plugins), or those of `camera_ids` it serves, in the order asked."""
        served = self.cameras_served_by(self.server(server_id).id)
        if camera_ids is None:
            cameras = served
        else:
            by_id = {camera.id: camera for camera in served}
            wanted = dict.fromkeys(camera_id.lower() for camera_id in camera_ids)
            cameras = [by_id[camera_id] for camera_id in wanted if camera_id in by_id]
        ids = self.plugin_ids()
        rows = []
        for camera in cameras:
            plugins: list[str] | None = [ids[name] for name in camera.plugins]
            if self.variants.nulls and not plugins:
                plugins = None
            rows.append(
                {"ChannelId": camera.id, "ChannelName": self._webapi_name(camera), "PluginIds": plugins}
            )
        return rows

    # --- face and plate databases ----------------------------------------------------------------

    def face_module(self, module: str) -> str:
        """Check a face module name against api/faceconfig: ValueError when it is not listed or not
        enabled (the resources answer 400)."""
        listed = {entry["name"]: entry["enabled"] for entry in self.faceconfig()["faces_modules"]}
        if module not in listed:
            raise ValueError(f"Unknown face recognition module '{module}'")
        if not listed[module]:
            raise ValueError(f"Face recognition module '{module}' is not enabled")
        return module

    def enabled_face_module(self) -> str:
        """The module api/v2/faces uses when no `module` is given: the first enabled one."""
        for entry in self.faceconfig()["faces_modules"]:
            if entry["enabled"]:
                return entry["name"]
        raise ValueError("No face recognition module is enabled")

    def _database_key(self, server_id: str, kind: str, module: str | None) -> tuple[str, str, str]:
        if kind not in databases.KINDS:
            raise ValueError(f"kind must be one of {databases.KINDS}")
        if kind in databases.FACE_KINDS:
            module = databases.DEFAULT_MODULE if module is None else module
            if module not in FACE_MODULES:
                raise ValueError(f"face modules are {FACE_MODULES}")
        elif module not in (None, databases.DEFAULT_MODULE):
            # api/cars has no module parameter (Q26): plates live in the enabled LPR module's database.
            raise ValueError(f"plate databases belong to the {databases.DEFAULT_MODULE!r} module")
        return self.server(server_id).id, kind, module or databases.DEFAULT_MODULE

    def database_size(self, server_id: str, kind: str, module: str | None = None) -> int:
        """Records in a database: faces and faces-groups per face module, cars and cars-groups of the
        LPR module; set by `set_database_size`, else drawn from the seed."""
        key = self._database_key(server_id, kind, module)
        if key in self._database_sizes:
            return self._database_sizes[key]
        return databases.seeded_size(self.seed, *key)

    def database_records(
        self, server_id: str, kind: str, module: str | None, offset: int, count: int, *, v2: bool = False
    ) -> list[dict[str, Any]]:
        """Records offset..offset+count-1 (those that exist, at most MAX_PORTION) as served."""
        server, kind, module = self._database_key(server_id, kind, module)
        total = self.database_size(server, kind, module)
        end = min(total, offset + min(count, databases.MAX_PORTION))
        face_shaped = v2 and (kind != "cars" or self.variants.v2_cars_shape == "faces")
        return [
            databases.record(
                self.seed, server, kind, module, index, v2=face_shaped, nulls=self.variants.nulls
            )
            for index in range(max(0, offset), end)
        ]

    def database_v1(
        self,
        server_id: str,
        kind: str,
        module: str | None,
        offset: int = 0,
        portion: int = databases.DEFAULT_PORTION,
    ) -> dict[str, Any]:
        """api/faces, api/faces-groups, api/cars, api/cars-groups (L5068-5098, L5484-5506, L5968-5988,
        L6378-6419): `portion` echoes how many records are served."""
        records = self.database_records(server_id, kind, module, offset, portion)
        total: int | None = self.database_size(server_id, kind, module)
        if self.variants.nulls and kind in NULL_TOTAL_KINDS:
            total = None
        list_key = {"faces": "faces", "cars": "plates"}.get(kind, "groups")
        return {"offset": offset, "portion": len(records), "total_count": total, list_key: records}

    def database_v2(
        self,
        server_id: str,
        kind: str,
        module: str | None,
        page: int = 1,
        size: int = databases.DEFAULT_PORTION,
    ) -> dict[str, Any]:
        """api/v2/{kind} (L7737-7811): 1-based pages of `size` records; the echoed `page` per
        `page_echo`."""
        skip = (max(page, 1) - 1) * size
        records = self.database_records(server_id, kind, module, skip, size, v2=True)
        total: int | None = self.database_size(server_id, kind, module)
        if self.variants.nulls and kind in NULL_TOTAL_KINDS:
            total = None
        return {"items": records, "page": self._page_echo(page), "total_items": total}

    def _page_echo(self, page: int) -> int:
        if self.variants.page_echo == "zero_based":
            return max(page - 1, 0)
        return page

    # --- archive export tasks --------------------------------------------------------------------

    def _export_task_objects(self, server_id: str) -> list[exports.ExportTask]:
        server = self.server(server_id)
        tasks = exports.seeded_tasks(self.seed, server.id, self._export_channels[server.id], self.clock.now())
        tasks.extend(self._added_exports.get(server.id, []))
        tasks.sort(key=lambda task: (task.creation, task.id), reverse=True)
        return tasks

    def export_tasks(self, server_id: str) -> list[dict[str, Any]]:
        """Every task of webapi/archive_export/tasks on `server_id` now, newest first, as served; the
        same list for every user (L7184: "unique to the user")."""
        tasks = self._export_task_objects(server_id)
        oldest_error = next(
            (task.id for task in reversed(tasks) if task.state == 4 and task.ordinal is not None), None
        )
        return [self._export_task(task, oldest_error) for task in tasks]

    def export_tasks_page(
        self, server_id: str, page: int = 1, size: int = databases.DEFAULT_PORTION
    ) -> dict[str, Any]:
        """The answer to webapi/archive_export/tasks?page=&size= (L7226-7246)."""
        tasks = self.export_tasks(server_id)
        skip = (max(page, 1) - 1) * size
        items = tasks[skip : skip + min(size, databases.MAX_PORTION)] if skip < len(tasks) else []
        return {"Items": items, "Page": self._page_echo(page), "TotalItems": len(tasks)}

    def _export_task(self, task: exports.ExportTask, oldest_error: str | None) -> dict[str, Any]:
        variants = self.variants
        state: int | str = task.state
        error: int | str | None = task.error
        state_name = exports.STATES.get(task.state)
        error_name = exports.ERRORS.get(task.error)
        if variants.unknown_values:
            if task.ordinal == 1:
                state, state_name = exports.UNKNOWN_STATE
            if task.id == oldest_error:
                error, error_name = exports.UNKNOWN_ERROR
        if variants.enums_as_text:
            state, error = f"{state} - {state_name}", f"{error} - {error_name}"
        if variants.nulls and state_name == "InQueue":
            error = None
        fps = task.fps
        return {
            "Id": task.id,
            "Params": {
                "ChannelId": task.channel_id,
                "StartTimeUtc": _format_ms(task.start),
                "EndTimeUtc": _format_ms(task.end),
                "IsSoundEnabled": task.sound,
                "UseTimeStamps": task.timestamps,
                "CreationTime": _format_ms(task.creation),
                "Fps": int(fps) if variants.whole_numbers_as_int and float(fps).is_integer() else float(fps),
                "AddHvc1TagForHevc": task.hvc1,
            },
            "State": state,
            "Error": error,
        }

    # --- changes while running -------------------------------------------------------------------

    def set_variants(self, **changes: Any) -> None:
        self.variants = self.variants.updated(changes)
        self.topology_changed()

    def add_camera(
        self,
        server_id: str | None = None,
        *,
        name: str | None = None,
        object_counting: bool = False,
        visitors: bool = False,
        disabled: bool = False,
    ) -> SimCamera:
        server = self.server(server_id) if server_id else self.main_server
        camera = build_camera(
            self.seed,
            self._next_index,
            server.id,
            name=name,
            force_object_counting=object_counting,
            force_visitors=visitors,
            force_enabled=True,
        )
        camera.disabled = disabled
        self._next_index += 1
        self._cameras[camera.id] = camera
        self.topology_changed()
        return camera

    def remove_camera(self, camera_id: str) -> None:
        camera = self.camera(camera_id)
        del self._cameras[camera.id]
        self._forced_status.pop(camera.id, None)
        self._visitor_refused.discard(camera.id)
        self._archive.forget(camera.id)
        self.topology_changed()

    def rename_camera(self, camera_id: str, name: str) -> None:
        self.camera(camera_id).name = name
        self.topology_changed()

    def disable_camera(self, camera_id: str, disabled: bool = True) -> None:
        """Disabling stops the camera's archive now; enabling resumes it, the days missed becoming gaps."""
        camera = self.camera(camera_id)
        now = self.clock.now()
        stop_before = self._archive.stop_ms(camera, archive_ms(now))
        camera.disabled = disabled
        self._archive.toggled(camera, stop_before, now)
        self.topology_changed()

    def set_archive(
        self,
        camera_id: str,
        *,
        oldest: date | str | None = None,
        gaps: Iterable[date | str] | None = None,
        reset: bool = False,
    ) -> None:
        """Pin the camera's oldest archive day (server-local; from then on it stays, not moved by the
        retention) and/or its exact gap days; `reset` first returns to the seeded archive. Dates may be
        ISO strings (`"2026-11-20"`)."""
        camera = self.camera(camera_id)
        if gaps is not None and (isinstance(gaps, str | bytes) or not isinstance(gaps, Iterable)):
            raise ValueError("gaps must be a list of dates")
        self._archive.set_archive(
            camera,
            oldest=None if oldest is None else _as_date(oldest),
            gaps=None if gaps is None else [_as_date(day) for day in gaps],
            reset=bool(reset),
        )

    def set_database_size(
        self, server_id: str, kind: str, module: str | None = None, count: int | None = None
    ) -> None:
        """Size of a face or plate database on one server: `kind` faces | faces-groups | cars |
        cars-groups, `module` a face module (default "complete"; None or "complete" for plates)."""
        key = self._database_key(server_id, kind, module)
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= databases.INT32_MAX:
            raise ValueError("count must be an integer from 0 to 2147483647")
        self._database_sizes[key] = count

    def add_export_task(
        self, server_id: str, state: int | str = 1, error: int | str = 0, channel_id: str | None = None
    ) -> str:
        """Add a task created now (kept in that state, never leaving the history); returns its id.
        `state`/`error` as codes, names or "N - Name"; `channel_id` defaults to the server's first camera."""
        server = self.server(server_id)
        code = exports.parse_code(state, exports.STATES, "state")
        error_code = exports.parse_code(error, exports.ERRORS, "error")
        if channel_id is None:
            own = self.cameras_on(server.id)
            channel = own[0].id if own else ZERO_GUID
        else:
            channel = self.camera(channel_id).id
        added = self._added_exports.setdefault(server.id, [])
        task = exports.added_task(
            self.seed, server.id, len(added), channel, self.clock.now(), code, error_code
        )
        added.append(task)
        return task.id

    def force_status(self, camera_id: str, status: str | None) -> None:
        """Pin a camera's Status (e.g. "ErrorMain") until called again with None."""
        camera = self.camera(camera_id)
        if status is None:
            self._forced_status.pop(camera.id, None)
            return
        canonical = "Ok" if status.lower() == "ok" else status
        if canonical not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}")
        self._forced_status[camera.id] = canonical

    def set_licence_usage(
        self, key: str, *, used: int | None = None, total: int | None = None, on_server: int | None = None
    ) -> None:
        """Override a webapi/license usage object (also seen in configure/servers LicParams)."""
        if key not in USAGE_KEYS:
            raise ValueError(f"unknown licence key {key!r}")
        values = {"Used": used, "Total": total, "OnServer": on_server}
        self._licence_overrides.setdefault(key, {}).update({k: v for k, v in values.items() if v is not None})
        self.topology_changed()

    def set_legacy(self, server_id: str, legacy: bool = True) -> None:
        """A legacy server answers webapi/ and api/unique_visitor/report with 404, as a version
        without them."""
        self.server(server_id).legacy = bool(legacy)

    def set_listed(self, server_id: str, listed: bool = True) -> None:
        """An unlisted server is left out of configure/servers, as one taken out of the installation (it
        still answers its own requests): the exporter's list of servers, and its shards' split, change."""
        server = self.server(server_id)
        if server.is_main and not listed:
            raise ValueError("the main server answers configure/servers: it cannot be unlisted")
        server.listed = bool(listed)
        self.topology_changed()

    def set_visitor_licensed(self, camera_id: str, licensed: bool = False) -> None:
        """An unlicensed camera makes an api/unique_visitor/report that names it answer 400."""
        camera = self.camera(camera_id)
        if licensed:
            self._visitor_refused.discard(camera.id)
        else:
            self._visitor_refused.add(camera.id)

    def set_failed_over(self, server_id: str, failed_over: bool = True) -> None:
        """Move the server's cameras to its reserve (True) or back. `Simulator.failover` also closes
        the server's port; this is only the model's half."""
        server = self.server(server_id)
        if failed_over:
            self._failed_over.add(server.id)
        else:
            self._failed_over.discard(server.id)
        self.topology_changed()

    def expire_licence_soon(self, seconds: float = 3600, server_id: str | None = None) -> None:
        """Make the licence time-limited, ending `seconds` after the clock's now (all servers by default)."""
        limit = ticks_of(self.clock.now()) + int(seconds * TICKS_PER_SECOND)
        servers = [self.server(server_id)] if server_id else self.servers
        for server in servers:
            self._time_limits[server.id] = limit
        self.topology_changed()


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _as_date(value: date | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"expected a date (YYYY-MM-DD), got {value!r}")


def _format_ms(moment: datetime) -> str:
    return format_ms(archive_ms(moment))
