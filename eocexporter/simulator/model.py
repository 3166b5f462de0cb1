"""The simulated installation: topology, what every resource says at the clock's current instant,
and helpers that change the installation while it runs."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from .clock import Clock
from .config import SimulatorConfig
from .licence import CONSUMERS, IDLE_TOTALS, LIC_PARAMS, LICENCE_FLAGS, USAGE_KEYS, bought
from .seeded import unit
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
NULL_NAME_INDEX = 8  # api/channels Name null for camera index 8
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
LEGACY_MISSING = ("webapi/", "api/unique_visitor/report")


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
            "ReplicationServerId": ZERO_GUID,
        }
        if with_analytics:
            bindings["VideoAnalyticsServerId"] = ZERO_GUID
        return bindings

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
        """ChannelBrief of configure/channels (L776-836)."""
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
        brief = self.configure_channel_brief(camera)
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
            "ArchiveSettings": {
                "ArchivingDisabled": camera.archiving_mode == "OnlyManual",
                "ArchivingMode": camera.archiving_mode,
                "ArchivingVideoStreamType": "Main",
                "ArchivingMinDeepnessInDays": 7.0,
                "ArchivingMaxDeepnessInDays": 30.0,
                "ArchivingSoundDisabled": not camera.sound,
                "PreMotionDetectionRecSecs": 1,
                "PostMotionDetectionRecSecs": 1,
                "LimitRecordFpsAndOnlyIndepFramesEnabled": False,
                "LimitedRecordFps": 30,
                "DeviceArchiveEnabled": False,
                "DeviceArchiveAutoSynchronizationEnabled": False,
            },
            "AnalyzeSettings": {
                "MotionDetectorEnabled": camera.archiving_mode == "MDandManual" or camera.has_object_counting,
                "AnalyzeStreamType": "Main",
                "FaceDetectorEnabled": camera.has_visitor_module,
                "FaceDetectorMode": "OptimizedQuality" if camera.has_visitor_module else "Basic",
                "InteractiveSearchEnabled": camera.interactive_search,
                "IsUseRemoteVideoAnalyticsServer": False,
            },
            "MapSettings": map_settings,
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
            "IsMaxClientsLimited": self._bool(True),
            "MaxClients": self._max_clients,
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
        # Unique visitor reports need face recognition "Complete" (L7820).
        complete = any(camera.has_visitor_module for camera in self._cameras.values())
        return {
            "faces_modules": [
                {"name": "basic", "enabled": False},
                {"name": "expert", "enabled": False},
                {"name": "complete", "enabled": complete},
            ]
        }

    def carconfig(self) -> dict[str, Any]:
        modules = [{"name": "complete", "enabled": True}, {"name": "light", "enabled": False}]
        if self.variants.carconfig_as_object:
            # The invalid example (L5819-5830) read as one object: its first module.
            return {"auto_modules": modules[0]}
        return {"auto_modules": modules}

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
        self.topology_changed()

    def rename_camera(self, camera_id: str, name: str) -> None:
        self.camera(camera_id).name = name
        self.topology_changed()

    def disable_camera(self, camera_id: str, disabled: bool = True) -> None:
        self.camera(camera_id).disabled = disabled
        self.topology_changed()

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
