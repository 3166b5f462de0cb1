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
from .timefmt import MIN_VALUE, TICKS_PER_SECOND, format_ticks, ticks_of
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
from .wire import dumps

ZERO_GUID = "00000000-0000-0000-0000-000000000000"
STATUSES = ("Ok", "ErrorMain", "ErrorAlt", "ErrorSound", "Wait")
_RESET_ANCHOR = date(2000, 1, 3)  # a Monday, so weekly resets fall on Mondays
_NEVER_RESET = datetime(2000, 1, 1, tzinfo=UTC)
_LICENCE_PERIOD_TICKS = 365 * 86400 * TICKS_PER_SECOND
_CELLS = [(g, a, e) for g in range(len(GENDERS)) for a in range(len(AGES)) for e in range(len(EMOTIONS))]


class UnknownObject(LookupError):
    """No such server or camera, or the camera is not where the request looked for it."""


class Installation:
    def __init__(self, config: SimulatorConfig, clock: Clock) -> None:
        self.seed = config.seed
        self.timezone = config.timezone
        self.tz = ZoneInfo(config.timezone)
        self.host = "127.0.0.1" if config.host in ("", "0.0.0.0") else config.host
        self.clock = clock
        self.variants = config.variants
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
        usage = self._usage()
        self._totals = {key: bought(used) for key, (used, _) in usage.items()}
        self._totals.update(IDLE_TOTALS)
        self._max_clients = 10 * (1 + int(unit(self.seed, "max-clients") * 10))

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

    def counting_cameras(self, server_id: str) -> list[SimCamera]:
        """Cameras of `server_id` on which the object counting module runs (enabled, with zones)."""
        return [c for c in self.cameras_on(server_id) if c.has_object_counting and not c.disabled]

    def visitor_cameras(self, server_id: str) -> list[SimCamera]:
        return [c for c in self.cameras_on(server_id) if c.has_visitor_module and not c.disabled]

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
            "ReservedServerId": ZERO_GUID,
            "ReplicationServerId": ZERO_GUID,
        }
        if with_analytics:
            bindings["VideoAnalyticsServerId"] = ZERO_GUID
        return bindings

    def api_channel(self, camera: SimCamera) -> dict[str, Any]:
        """The shape of api/channels (L424-472) and configure/servers/{id}/channels (L4364-4391)."""
        channel = {
            "Id": camera.id,
            "Name": camera.name,
            "Disabled": self._bool(camera.disabled),
            "ServerBindingsSettings": self._bindings(camera, with_analytics=False),
            "ParentSecObjectId": self.server(camera.server_id).secobject_id,
        }
        if self.variants.extra_fields:
            channel["Description"] = ""
        return channel

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
        if camera.disabled:
            # Nothing is received from a disabled camera and nothing is being determined about it.
            status, main, alt, write = "Wait", 0, 0, 0
        else:
            status = self._forced_status.get(camera.id) or scheduled_status(
                key, now, camera.alt_enabled, camera.sound
            )
            main = byte_rate(camera.main_bytes_per_second, (*key, "main"), now)
            alt = byte_rate(camera.alt_bytes_per_second, (*key, "alt"), now) if camera.alt_enabled else 0
            if status in ("ErrorMain", "Wait"):
                main = 0
            if status in ("ErrorAlt", "Wait"):
                alt = 0
            write = main if is_recording(camera.archiving_mode, key, now) else 0
        body: dict[str, Any] = {
            "Id": camera.id,
            "Name": camera.name,
            "AltEnabled": self._bool(camera.alt_enabled),
            "ReceiveVideoMbps": self._mbps(main),
            "ReceiveAltVideoMbps": self._mbps(alt),
            "WriteVideoMbps": self._mbps(write),
        }
        if self.variants.extra_fields:
            body["StreamsStatuses"] = []
        body["Status"] = self._status_name(status)
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
            return [self._visitor_row(None, unique, repeat, unique_only)]
        return [
            self._visitor_row(camera_id, unique, repeat, unique_only)
            for camera_id, unique, repeat in per_camera
        ]

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
        ticks = self._time_limit_ticks(server)
        if ticks is not None:
            time_limit: str | None = format_ticks(ticks, self.variants.time_limit_fraction_digits)
        else:
            time_limit = MIN_VALUE if self.variants.unlimited_time_limit == "min_value" else None
        body: dict[str, Any] = {
            "ProductType": "Ultra",
            "IsTimeLimited": self._bool(ticks is not None),
            "TimeLimit": time_limit,
            "Language": "English",
            "IsMaxClientsLimited": self._bool(True),
            "MaxClients": self._max_clients,
        }
        body.update({flag: self._bool(value) for flag, value in LICENCE_FLAGS.items()})
        if self.variants.extra_fields:
            body["IsCloudArchiveEnabled"] = self._bool(False)
        body.update({key: self.licence_usage(key, server.id) for key in USAGE_KEYS})
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
        info: dict[str, Any] = {
            "Id": server.id,
            "Name": server.name,
            "Hostname": self.host,
            "Port": server.port,
            "IsReplicationServer": False,
            "UseFastReservation": False,
            "TotalLicParams": total,
            "UsedLicParams": used,
        }
        if self.variants.extra_fields:
            info["Version"] = "4.5.0.0"
        return info

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

    def expire_licence_soon(self, seconds: float = 3600, server_id: str | None = None) -> None:
        """Make the licence time-limited, ending `seconds` after the clock's now (all servers by default)."""
        limit = ticks_of(self.clock.now()) + int(seconds * TICKS_PER_SECOND)
        servers = [self.server(server_id)] if server_id else self.servers
        for server in servers:
            self._time_limits[server.id] = limit
        self.topology_changed()


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
