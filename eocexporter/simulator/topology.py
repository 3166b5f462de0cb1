"""The static part of an installation: servers, cameras, analytics zones, all derived from the seed."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from .seeded import derived_uuid, rng

OBJECT_CLASSES = ("Person", "Car", "Bus", "Truck", "Motorbike", "Animal")
# Crossings per day on a line (lines) / peak occupancy (areas), as (low, high) per class.
_LINE_VOLUME = {
    "Person": (200, 3000),
    "Car": (50, 800),
    "Bus": (5, 40),
    "Truck": (5, 80),
    "Motorbike": (2, 50),
    "Animal": (0.5, 10),
}
_AREA_PEAK = {
    "Person": (2, 12),
    "Car": (1, 6),
    "Bus": (0, 2),
    "Truck": (0, 2),
    "Motorbike": (0, 2),
    "Animal": (0, 2),
}

# Names an exporter must carry through label escaping untouched (quotes, backslash, newline, Cyrillic).
TRICKY_CAMERA_NAMES = (
    'Вход "Главный" \\ 1',
    "Parking\nLevel -1",
    "Касса №3 — «Зал»",
    'C:\\cams\\"east"',
)
TRICKY_ZONE_NAMES = ('Линия "вход" \\ A', "Zone\nnorth", "Проход №2")

# Configured archive depths (ArchiveSettings.Archiving{Min,Max}DeepnessInDays); every min <= every max.
MIN_DEPTHS = (3, 7, 14, 30)
MAX_DEPTHS = (30, 60, 90, 365)
# How a camera's archive behaves (docs/simulator.md, "Archive days"); the first four cameras that record
# take them in this order, so every kind occurs.
ARCHIVE_KINDS = ("normal", "shallow", "gaps", "recent")
# Video analytics plugins (webapi/cameras/analytics PluginIds); ids derive from the seed and the name.
PLUGINS = ("object-counting", "unique-visitors", "heat-map", "abandoned-objects", "fire-and-smoke")
_EXTRA_PLUGINS = PLUGINS[2:]
MAX_PLUGINS = 3
# Camera indexes pinned to a remote video analytics server / to replication (with 2 or more servers).
REMOTE_ANALYTICS_INDEX = 2
REPLICATED_INDEX = 3

GENDERS = ("Female", "Male")
AGES = ("Young", "Adult", "MiddleAged", "Senior")
EMOTIONS = ("Positive", "Neutral", "Negative")


@dataclass
class SimServer:
    id: str
    index: int
    name: str
    is_main: bool
    # 0 until listening when the configuration asked for free ports.
    port: int
    secobject_id: str
    time_limited: bool
    # A server of a version without webapi/ and api/unique_visitor/report: both answer 404.
    legacy: bool = False
    # False: left out of configure/servers (a server taken out of the installation); it still answers.
    listed: bool = True
    # A port on 127.0.0.1 bound but never listening (refused), listed by listed_addresses="unreachable";
    # 0 until the simulator starts.
    unreachable_port: int = 0


@dataclass(frozen=True)
class SimZone:
    id: str
    name: str
    type: str  # "LineSection" | "Zone"
    classes: tuple[str, ...]
    # Lines: mean crossings per day per class; areas: peak occupancy per class.
    scale: dict[str, float]
    shift: float  # days; moves the daily peak

    @property
    def is_line(self) -> bool:
        return self.type == "LineSection"


@dataclass
class SimCamera:
    id: str
    index: int
    name: str
    server_id: str
    disabled: bool
    main_bytes_per_second: int
    alt_enabled: bool
    alt_bytes_per_second: int
    archiving_mode: str
    sound: bool
    ptz: bool
    video_format: str
    latitude: float | None
    longitude: float | None
    is_on_map: bool
    interactive_search: bool
    zones: tuple[SimZone, ...] = ()
    has_visitor_module: bool = False
    # Unique visitors per day at mean rate; shares per gender/age/emotion bucket.
    visitor_volume: float = 0.0
    visitor_shares: dict[str, tuple[float, ...]] = field(default_factory=dict)
    shift: float = 0.0
    wobble: tuple[float, float] = (0.0, 0.0)
    # Drawn from a stream of their own ("camera-extras"), so the draws above never move.
    min_depth: int = 7
    max_depth: int = 30
    archive_kind: str = "normal"  # one of ARCHIVE_KINDS
    shallow_depth: int = 1  # days kept by a "shallow" camera (its disk is too small)
    archive_phase: float = 0.0  # in [0, 1): where the camera stands in its periodic history
    motion_detector: bool = False
    face_detector: bool = False
    replicated: bool = False  # ReplicationServerId set (with 2 or more servers)
    remote_analytics: bool = False  # VideoAnalyticsServerId set (with 2 or more servers)
    plugins: tuple[str, ...] = ()  # names from PLUGINS

    @property
    def has_object_counting(self) -> bool:
        return bool(self.zones)

    @property
    def archiving_off(self) -> bool:
        """ArchivingDisabled of configure/channels/{id}: manual-only recording counts as off."""
        return self.archiving_mode == "OnlyManual"


def build_servers(seed: int, count: int, port: int) -> list[SimServer]:
    servers = []
    for index in range(count):
        draw = rng(seed, "server", index)
        servers.append(
            SimServer(
                id=derived_uuid(seed, "server-id", index),
                index=index,
                name=f"Server {index + 1}",
                is_main=index == 0,
                port=port + index if port else 0,
                secobject_id=derived_uuid(seed, "secobject", index),
                time_limited=draw.random() < 0.4,
            )
        )
    return servers


def build_camera(
    seed: int,
    index: int,
    server_id: str,
    *,
    name: str | None = None,
    force_object_counting: bool | None = None,
    force_visitors: bool | None = None,
    force_enabled: bool = False,
) -> SimCamera:
    draw = rng(seed, "camera", index)
    disabled = not force_enabled and draw.random() < 0.06
    main_mbps = draw.uniform(0.3, 8.0)
    alt_enabled = draw.random() < 0.4
    on_map = draw.random()
    latitude = longitude = None
    if on_map < 0.75:
        latitude = round(55.75 + draw.uniform(-0.05, 0.05), 14)
        longitude = round(37.62 + draw.uniform(-0.08, 0.08), 14)
    object_counting = draw.random() < 0.35 if force_object_counting is None else force_object_counting
    visitors = draw.random() < 0.2 if force_visitors is None else force_visitors
    camera = SimCamera(
        id=derived_uuid(seed, "camera-id", index),
        index=index,
        name=name if name is not None else f"Camera {index + 1}",
        server_id=server_id,
        disabled=disabled,
        main_bytes_per_second=int(main_mbps * 131072),
        alt_enabled=alt_enabled,
        alt_bytes_per_second=int(draw.uniform(0.1, 1.0) * 131072) if alt_enabled else 0,
        archiving_mode=draw.choices(("AlwaysOn", "MDandManual", "OnlyManual"), (0.7, 0.25, 0.05))[0],
        sound=draw.random() < 0.3,
        ptz=draw.random() < 0.15,
        video_format=draw.choice(("H264", "H264", "Hevc", "MJPEG")),
        latitude=latitude,
        longitude=longitude,
        is_on_map=on_map < 0.6,
        interactive_search=draw.random() < 0.2,
        shift=draw.uniform(-0.08, 0.08),
        wobble=(draw.uniform(0, 6.3), draw.uniform(0, 6.3)),
    )
    if object_counting:
        camera.zones = _build_zones(seed, index, draw)
    if visitors:
        camera.has_visitor_module = True
        camera.visitor_volume = draw.uniform(20, 400)
        camera.visitor_shares = {
            "gender": _shares(draw, len(GENDERS)),
            "age": _shares(draw, len(AGES), floor=0.02),
            "emotion": _shares(draw, len(EMOTIONS)),
        }
    _draw_extras(seed, camera)
    return camera


def _draw_extras(seed: int, camera: SimCamera) -> None:
    """Archive depths and kind, analytics settings, server bindings and plugins. Every draw is made
    whatever the camera runs, so each value depends only on (seed, index) and the modules."""
    extras = rng(seed, "camera-extras", camera.index)
    camera.min_depth = extras.choice(MIN_DEPTHS)
    camera.max_depth = extras.choice(MAX_DEPTHS)
    kind = extras.random()
    camera.archive_kind = (
        "shallow" if kind < 0.1 else "gaps" if kind < 0.2 else "recent" if kind < 0.28 else "normal"
    )
    camera.shallow_depth = extras.randint(1, max(1, camera.min_depth - 2))
    camera.archive_phase = extras.random()
    motion, face = extras.random(), extras.random()
    camera.motion_detector = (
        camera.archiving_mode == "MDandManual" or camera.has_object_counting or motion < 0.6
    )
    camera.face_detector = camera.has_visitor_module or face < 0.08
    camera.replicated = extras.random() < 0.12 or camera.index == REPLICATED_INDEX
    camera.remote_analytics = extras.random() < 0.08 or camera.index == REMOTE_ANALYTICS_INDEX
    extra = extras.sample(_EXTRA_PLUGINS, 2)[: extras.choice((0, 0, 0, 1, 1, 2))]
    modules = [
        name
        for name, runs in zip(PLUGINS, (camera.has_object_counting, camera.has_visitor_module), strict=False)
        if runs
    ]
    camera.plugins = tuple([*modules, *extra][:MAX_PLUGINS])


def _build_zones(seed: int, camera_index: int, draw) -> tuple[SimZone, ...]:
    zones = []
    for number in range(draw.randint(1, 3)):
        # The first zone is a line so every counting camera has something to report.
        is_line = number == 0 or draw.random() < 0.5
        if is_line:
            extra = [cls for cls in OBJECT_CLASSES[1:] if draw.random() < 0.4]
            classes = ("Person", *extra)
            scale = {cls: draw.uniform(*_LINE_VOLUME[cls]) for cls in classes}
        else:
            classes = OBJECT_CLASSES if draw.random() < 0.6 else tuple(draw.sample(OBJECT_CLASSES, 3))
            classes = tuple(cls for cls in OBJECT_CLASSES if cls in classes)
            scale = {cls: draw.uniform(*_AREA_PEAK[cls]) for cls in classes}
        kind = "Line" if is_line else "Area"
        zones.append(
            SimZone(
                id=derived_uuid(seed, "zone-id", camera_index, number),
                name=f"{kind} {number + 1}",
                type="LineSection" if is_line else "Zone",
                classes=classes,
                scale=scale,
                shift=draw.uniform(-0.08, 0.08),
            )
        )
    return tuple(zones)


def _shares(draw, count: int, floor: float = 0.05) -> tuple[float, ...]:
    weights = [floor + draw.random() for _ in range(count)]
    total = sum(weights)
    return tuple(weight / total for weight in weights)


def build_cameras(seed: int, count: int, servers: list[SimServer]) -> list[SimCamera]:
    """Round-robin over the servers; the first cameras of each server are pinned to carry modules
    so that every server has at least one enabled camera with each analytics module."""
    per_server = len(servers)
    cameras = []
    tricky = iter(TRICKY_CAMERA_NAMES)
    for index in range(count):
        server = servers[index % per_server]
        round_number = index // per_server
        name = next(tricky, None) if index % 2 == 1 else None
        camera = build_camera(
            seed,
            index,
            server.id,
            name=name,
            force_object_counting=True if round_number == 0 else None,
            force_visitors=True if round_number == 1 else None,
            force_enabled=round_number < 2,
        )
        cameras.append(camera)
    if count >= 10 and not any(camera.disabled for camera in cameras):
        cameras[-1].disabled = True
    recording = (camera for camera in cameras if not camera.disabled and not camera.archiving_off)
    for kind, camera in zip(ARCHIVE_KINDS, recording, strict=False):
        camera.archive_kind = kind
    _name_tricky_zones(cameras)
    return cameras


def _name_tricky_zones(cameras: list[SimCamera]) -> None:
    pending = list(TRICKY_ZONE_NAMES)
    for camera in cameras:
        if not pending:
            return
        if camera.zones:
            camera.zones = tuple(
                dataclasses.replace(zone, name=pending.pop(0)) if pending else zone for zone in camera.zones
            )
