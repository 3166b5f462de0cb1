"""The Eocortex resources: route templates and what each answers."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from . import databases
from .model import Installation, UnknownObject
from .timefmt import parse_iso_time, parse_request_time
from .topology import SimServer


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Request:
    installation: Installation
    server: SimServer
    # Query parameters with lower-cased names: the reference spells them both ways (Q1).
    params: dict[str, str]
    args: dict[str, str]
    # Every query parameter in order, names lower-cased, repeats kept (channelIds may repeat).
    query: tuple[tuple[str, str], ...] = ()


Handler = Callable[[Request], Any]


@dataclass(frozen=True)
class Route:
    template: str
    handler: Handler
    methods: tuple[str, ...] = ("GET",)

    @property
    def configure(self) -> bool:
        return self.template.startswith("configure/")


def match(routes: list[Route], path: str) -> tuple[Route, dict[str, str]] | None:
    """Literal segments compare case-insensitively and trailing slashes are ignored (the reference's
    own example asks for `configure/channels/`, L418); `api/v1/` is `api/` (L7727-7731)."""
    segments = [segment for segment in path.split("/") if segment]
    if len(segments) > 1 and segments[0].lower() == "api" and segments[1].lower() == "v1":
        del segments[1]
    for route in routes:
        pattern = route.template.split("/")
        if len(pattern) != len(segments):
            continue
        args = {}
        for expected, actual in zip(pattern, segments, strict=True):
            if expected.startswith("{"):
                args[expected[1:-1]] = actual
            elif expected != actual.lower():
                break
        else:
            return route, args
    return None


def _guid(value: str, what: str) -> str:
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        raise ApiError(400, f"Invalid {what}: '{value}'") from None


def _flag(params: dict[str, str], name: str) -> bool:
    value = params.get(name, "false").strip().lower()
    if value not in ("true", "false", "1", "0"):
        raise ApiError(400, f"Invalid value of parameter {name}: '{params[name]}'")
    return value in ("true", "1")


def _time(params: dict[str, str], name: str) -> datetime:
    if name not in params:
        raise ApiError(400, f"Parameter {name} is required")
    try:
        return parse_request_time(params[name])
    except ValueError:
        raise ApiError(400, f"Invalid value of parameter {name}: '{params[name]}'") from None


def _own_camera(request: Request, camera_id: str):
    """A camera the server asked serves: its own or, after a failover, one it is the reserve of."""
    camera = request.installation.camera(_guid(camera_id, "channel id"))
    if request.installation.serving_server(camera.id) != request.server.id:
        raise UnknownObject(f"camera {camera.id} is not served by this server")
    return camera


# --- configure/ (main server only) ----------------------------------------------------------------


def servers(request: Request) -> bytes:
    inst = request.installation
    return inst.cached_json(
        "servers", lambda: [inst.server_info(server.id) for server in inst.servers if server.listed]
    )


def server(request: Request) -> Any:
    return request.installation.server_info(_guid(request.args["id"], "server id"), detailed=True)


def server_channels(request: Request) -> bytes:
    inst = request.installation
    server_id = inst.server(_guid(request.args["id"], "server id")).id
    return inst.cached_json(
        ("server-channels", server_id), lambda: [inst.api_channel(c) for c in inst.cameras_on(server_id)]
    )


def configure_channels(request: Request) -> bytes:
    inst = request.installation
    return inst.cached_json("channels", lambda: [inst.configure_channel_brief(c) for c in inst.cameras])


def configure_channel(request: Request) -> Any:
    inst = request.installation
    return inst.configure_channel(inst.camera(_guid(request.args["id"], "channel id")))


# --- api/ (about the server asked) -----------------------------------------------------------------


def api_channels(request: Request) -> bytes:
    inst, server_id = request.installation, request.server.id
    return inst.cached_json(("api-channels", server_id), lambda: inst.channels(server_id))


def api_channel(request: Request) -> Any:
    return request.installation.api_channel(_own_camera(request, request.args["id"]))


def channel_status(request: Request) -> Any:
    return request.installation.camera_status(_own_camera(request, request.args["id"]).id)


def faceconfig(request: Request) -> Any:
    return request.installation.faceconfig()


def carconfig(request: Request) -> Any:
    return request.installation.carconfig()


def _counting_targets(request: Request) -> list[str] | str:
    """One camera id when channelId is given, else the ids of every camera running the module."""
    if "channelid" in request.params:
        camera = _own_camera(request, request.params["channelid"])
        if not camera.has_object_counting or camera.disabled:
            raise ApiError(404, f"Object counting module is not running on channel {camera.id}")
        return camera.id
    return [camera.id for camera in request.installation.counting_cameras(request.server.id)]


def _one_or_many(request: Request, targets: list[str] | str, build: Callable[[str], Any]) -> Any:
    if isinstance(targets, str):
        return build(targets)
    if not targets and request.installation.variants.empty_object_bodies:
        return {}
    if len(targets) == 1 and request.installation.variants.single_counting_camera_as_object:
        return build(targets[0])
    return [build(camera_id) for camera_id in targets]


def current_counters(request: Request) -> Any:
    inst = request.installation
    return _one_or_many(request, _counting_targets(request), inst.current_counters)


def counting_report(request: Request) -> Any:
    inst = request.installation
    # Server-local times (L6783-6793); an ISO time with a zone is converted to local.
    start, end = (_local(inst, _time(request.params, name)) for name in ("starttime", "endtime"))
    if start > end:
        raise ApiError(400, "StartTime is later than EndTime")
    targets = _counting_targets(request)
    return _one_or_many(request, targets, lambda camera_id: inst.object_report(camera_id, start, end))


def _local(inst: Installation, moment: datetime) -> datetime:
    return moment if moment.tzinfo is None else moment.astimezone(inst.tz).replace(tzinfo=None)


def visitor_report(request: Request) -> Any:
    inst, params = request.installation, request.params
    start, end = (_utc(_time(params, name)) for name in ("starttimeutc", "endtimeutc"))
    if start > end:
        raise ApiError(400, "starttimeutc is later than endtimeutc")
    unique_only, aggregate = _flag(params, "uniqueonly"), _flag(params, "aggregate")
    # Excluded face groups are checked but change nothing: the simulated face database has no groups.
    for group in filter(None, params.get("group", "").split(",")):
        _guid(group, "group id")
    running = {camera.id for camera in inst.visitor_cameras(request.server.id)}
    refused = inst.visitor_refused
    if "channel" in params:
        asked = [_guid(part, "channel id") for part in params["channel"].split(",") if part.strip()]
        camera_ids = list(dict.fromkeys(camera_id for camera_id in asked if camera_id in running))
        # One unlicensed camera fails the whole request, as observed on real installations.
        for camera_id in camera_ids:
            if camera_id in refused:
                raise ApiError(400, f"Module is not licensed for channel {camera_id}")
    else:
        camera_ids = [c.id for c in inst.visitor_cameras(request.server.id) if c.id not in refused]
    rows = inst.visitor_rows(camera_ids, start, end, unique_only=unique_only, aggregate=aggregate)
    return {"Report": rows}


def _utc(moment: datetime) -> datetime:
    # The parameters are named ...utc (L7839-7841): a zone-less time is UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# --- api/ face and plate databases ----------------------------------------------------------------

_INTEGER = re.compile(r"[+-]?\d{1,10}")


def _count(params: dict[str, str], name: str, default: int) -> int:
    """A non-negative int32 query parameter; absent or empty: the default."""
    raw = params.get(name, "").strip()
    if not raw:
        return default
    if not _INTEGER.fullmatch(raw) or not 0 <= int(raw) <= databases.INT32_MAX:
        raise ApiError(400, f"Invalid value of parameter {name}: '{params[name]}'")
    return int(raw)


def _no_filter(params: dict[str, str]) -> None:
    if "filter" in params:
        raise ApiError(400, "The filter parameter is not simulated")


def _face_module(request: Request, *, required: bool) -> str:
    module = request.params.get("module", "").strip().lower()
    if not module:
        if required:
            raise ApiError(400, "Parameter module is required")
        return request.installation.enabled_face_module()
    return request.installation.face_module(module)


def _database_v1(kind: str) -> Handler:
    def handler(request: Request) -> Any:
        params = request.params
        _no_filter(params)
        # api/cars documents no module (Q26): a `module` there is tolerated and ignored, as `dbid` is.
        module = _face_module(request, required=True) if kind in databases.FACE_KINDS else None
        offset = _count(params, "offset", 0)
        portion = _count(params, "portion", databases.DEFAULT_PORTION)
        return request.installation.database_v1(request.server.id, kind, module, offset, portion)

    return handler


def _database_v2(kind: str) -> Handler:
    def handler(request: Request) -> Any:
        params = request.params
        _no_filter(params)
        module = _face_module(request, required=False) if kind in databases.FACE_KINDS else None
        page = _count(params, "page", 1)
        size = _count(params, "size", databases.DEFAULT_PORTION)
        return request.installation.database_v2(request.server.id, kind, module, page, size)

    return handler


# --- webapi/ ---------------------------------------------------------------------------------------


def license_(request: Request) -> Any:
    return request.installation.license(request.server.id)


def _iso(params: dict[str, str], name: str) -> datetime:
    if name not in params:
        raise ApiError(400, f"Parameter {name} is required")
    try:
        return parse_iso_time(params[name])
    except ValueError:
        raise ApiError(400, f"Invalid value of parameter {name}: '{params[name]}'") from None


def archive_days(request: Request) -> Any:
    camera = _own_camera(request, request.args["id"])
    start, end = _iso(request.params, "starttimeutc"), _iso(request.params, "endtimeutc")
    if start > end:
        raise ApiError(400, "startTimeUtc is later than endTimeUtc")
    return request.installation.archive_days_body(camera.id, start, end)


def analytics(request: Request) -> Any:
    # `channelIds` (array[string], L726): repeated, comma-separated, or both.
    values = [value for name, value in request.query if name in ("channelids", "channelids[]")]
    asked = [_guid(part, "channel id") for value in values for part in value.split(",") if part.strip()]
    return request.installation.analytics(request.server.id, asked or None)


def export_tasks(request: Request) -> Any:
    page = _count(request.params, "page", 1)
    size = _count(request.params, "size", databases.DEFAULT_PORTION)
    return request.installation.export_tasks_page(request.server.id, page, size)


ROUTES = [
    Route("configure/servers", servers),
    Route("configure/servers/{id}", server),
    Route("configure/servers/{id}/channels", server_channels),
    Route("configure/channels", configure_channels),
    Route("configure/channels/{id}", configure_channel),
    Route("api/channels", api_channels),
    Route("api/channels/{id}", api_channel),
    Route("api/channels/{id}/status", channel_status),
    Route("api/faceconfig", faceconfig),
    Route("api/carconfig", carconfig),
    # Both spellings exist in the reference (Q1); each is its own template for faults and the log.
    Route("api/objects_counting/current_counters", current_counters),
    Route("api/objects_counting/report", counting_report),
    Route("api/object_counting/current_counters", current_counters),
    Route("api/object_counting/report", counting_report),
    Route("api/unique_visitor/report", visitor_report),
    Route("webapi/license", license_),
    Route("webapi/cameras/{id}/archive_days", archive_days),
    Route("webapi/cameras/analytics", analytics),
    # A listing printed as POST (L7182); GET is answered alike (Q7).
    Route("webapi/archive_export/tasks", export_tasks, ("GET", "POST")),
    *(Route(f"api/{kind}", _database_v1(kind)) for kind in databases.KINDS),
    *(Route(f"api/v2/{kind}", _database_v2(kind)) for kind in databases.KINDS),
]
ENDPOINTS = tuple(route.template for route in ROUTES)
