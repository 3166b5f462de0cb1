"""Tolerant typed reading of the payloads the exporter polls.

The reference is loose about shapes (digest section 6), so every model ignores unknown fields, accepts
documented nulls, reads ``"true"``/``"false"`` strings as booleans (Q15), numbers printed as ints
(Q42), an object where an array of objects is expected (Q37) and matches camera states without regard
to case (Q9). What still cannot be read raises :class:`PayloadError`; the caller counts and logs it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, TypeAdapter, ValidationError

from eocexporter import model
from eocexporter.model import KNOWN_CAMERA_STATES

ZERO_GUID = "00000000-0000-0000-0000-000000000000"


class PayloadError(ValueError):
    """A payload that does not have the documented shape; the message names the first problem."""


def _lenient_bool(value: Any) -> Any:
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no", ""):
            return False
    return value


def _null_as_zero(value: Any) -> Any:
    return 0 if value is None else value


def _null_as_empty(value: Any) -> Any:
    return "" if value is None else value


def _counts(value: Any) -> Any:
    # Sparse, open-ended {class: count} maps (Q37); a null map is an empty one.
    return {} if value is None else value


Bool = Annotated[bool, BeforeValidator(_lenient_bool)]
Float = Annotated[float, BeforeValidator(_null_as_zero)]
Int = Annotated[int, BeforeValidator(_null_as_zero)]
Text = Annotated[str, BeforeValidator(_null_as_empty)]
Counts = Annotated[dict[str, Int], BeforeValidator(_counts)]


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Server(_Payload):
    Id: str
    Name: Text = ""
    Hostname: Text = ""
    Port: Int = 0
    IsReplicationServer: Bool = False
    TotalLicParams: dict[str, Int] | None = None
    UsedLicParams: dict[str, Int] | None = None


class _ServerBindings(_Payload):
    OwnerServerId: str | None = None
    ReservedServerId: str | None = None


class _Channel(_Payload):
    Id: str
    Name: Text = ""
    Disabled: Bool = False
    ServerBindingsSettings: _ServerBindings | None = None


class _ChannelStatus(_Payload):
    Id: str
    AltEnabled: Bool = False
    ReceiveVideoMbps: Float = 0.0
    ReceiveAltVideoMbps: Float = 0.0
    WriteVideoMbps: Float = 0.0
    Status: Text = ""


class _ArchiveSettings(_Payload):
    ArchivingMode: Text = ""
    ArchivingDisabled: Bool = False


class _ChannelSettings(_Payload):
    ArchiveSettings: _ArchiveSettings | None = None


class _ModuleLicense(_Payload):
    OnServer: Int = 0
    Used: Int = 0
    Total: Int = 0


class _License(_Payload):
    model_config = ConfigDict(extra="allow", frozen=True)

    ProductType: Text = ""
    IsTimeLimited: Bool = False
    TimeLimit: str | None = None


class _Zone(_Payload):
    Id: str
    Name: Text = ""
    Type: Text = ""
    CurrentCounts: Counts = {}


class _CameraCounters(_Payload):
    Id: str
    ChannelName: Text = ""
    Zones: list[_Zone] | None = None


class _ReportLine(_Payload):
    Id: str
    Name: Text = ""
    StartCounts: Counts = {}
    TotalCounts: Counts = {}


class _CameraReport(_Payload):
    Id: str
    ChannelName: Text = ""
    Zones: list[_ReportLine] | None = None


class _VisitorRow(_Payload):
    ChannelId: str | None = None
    TotalVisitors: Int = 0
    UniqueVisitors: Int = 0
    GenderDistribution: Counts = {}
    AgeDistribution: Counts = {}
    EmotionDistribution: Counts = {}


class _VisitorReport(_Payload):
    Report: list[_VisitorRow] | None = None


def _validate(adapter: TypeAdapter[Any], payload: Any, within: str = "") -> Any:
    try:
        return adapter.validate_python(payload)
    except ValidationError as exc:
        first = exc.errors(include_input=False, include_url=False)[0]
        where = ".".join(str(part) for part in (within, *first["loc"]) if part != "") or "document"
        raise PayloadError(f"{where}: {first['msg']}") from None


def _one_or_many(payload: Any) -> list[Any]:
    """A list of objects, also when the server returned a single object (Q37) or nothing."""
    if payload is None:
        return []
    return payload if isinstance(payload, list) else [payload]


_SERVERS = TypeAdapter(list[_Server])
_CHANNELS = TypeAdapter(list[_Channel])
_STATUS = TypeAdapter(_ChannelStatus)
_LICENSE = TypeAdapter(_License)
_CHANNEL_SETTINGS = TypeAdapter(_ChannelSettings)
_MODULE_LICENSE = TypeAdapter(_ModuleLicense)
_COUNTERS = TypeAdapter(list[_CameraCounters])
_VISITORS = TypeAdapter(_VisitorReport)
_OBJECT_REPORT = TypeAdapter(list[_CameraReport])


def parse_servers(payload: Any) -> list[model.Server]:
    """``configure/servers``: an array of servers (one object tolerated)."""
    return [
        model.Server(
            server_id=server.Id.lower(),
            name=server.Name,
            hostname=server.Hostname,
            port=server.Port,
            is_replication=server.IsReplicationServer,
            license_total=dict(server.TotalLicParams or {}),
            license_used=dict(server.UsedLicParams or {}),
        )
        for server in _validate(_SERVERS, _one_or_many(payload))
    ]


def parse_channels(payload: Any, server_id: str) -> list[model.Camera]:
    """``api/channels`` of one server: its cameras, owner = the server asked."""
    return [
        model.Camera(
            camera_id=channel.Id.lower(), name=channel.Name, disabled=channel.Disabled, server_id=server_id
        )
        for channel in _validate(_CHANNELS, _one_or_many(payload))
    ]


def owner_server_ids(payload: Any) -> list[str]:
    """``OwnerServerId`` of every camera in an ``api/channels`` answer (to name the main server on 403)."""
    return [
        channel.ServerBindingsSettings.OwnerServerId.lower()
        for channel in _validate(_CHANNELS, _one_or_many(payload))
        if channel.ServerBindingsSettings is not None
        and channel.ServerBindingsSettings.OwnerServerId not in (None, "", ZERO_GUID)
    ]


_STATES_BY_FOLDED = {state.casefold(): state for state in KNOWN_CAMERA_STATES}


def normalise_state(value: str) -> str:
    """``"OK"`` and ``"Ok"`` are one state (Q9); unknown values are kept, an empty one is ``Unknown``."""
    stripped = value.strip()
    if not stripped:
        return "Unknown"
    return _STATES_BY_FOLDED.get(stripped.casefold(), stripped)


def parse_status(payload: Any, camera_id: str) -> model.CameraStatus:
    """``api/channels/{id}/status``."""
    status = _validate(_STATUS, payload)
    return model.CameraStatus(
        camera_id=camera_id,
        status=normalise_state(status.Status),
        alt_enabled=status.AltEnabled,
        receive_main_mbps=status.ReceiveVideoMbps,
        receive_alt_mbps=status.ReceiveAltVideoMbps,
        write_mbps=status.WriteVideoMbps,
    )


def parse_archiving(payload: Any, camera_id: str) -> model.CameraArchiving:
    """``ArchiveSettings`` of ``configure/channels/{id}`` (L1105-1161). ``ArchivingDisabled`` is described
    as "archiving is enabled" (L1107, Q22); we read the name, which the example's values agree with."""
    settings = _validate(_CHANNEL_SETTINGS, payload).ArchiveSettings or _ArchiveSettings()
    return model.CameraArchiving(
        camera_id=camera_id, mode=settings.ArchivingMode, disabled=settings.ArchivingDisabled
    )


def parse_time(value: str | None) -> datetime | None:
    """An ISO 8601 time as the API prints it (Q33): 3, 6 or 7 fractional digits, with or without ``Z``.

    A value without a zone is UTC; .NET's ``DateTime.MinValue`` (year 1) means "never" and becomes None.
    """
    if not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    date_part, dot, rest = text.partition(".")
    if dot:
        # Python reads at most 6 fractional digits; .NET prints 7.
        digits = len(rest) - len(rest.lstrip("0123456789"))
        text = f"{date_part}.{rest[: min(digits, 6)]}{rest[digits:]}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise PayloadError(f"not an ISO 8601 time: {value[:40]!r}") from None
    if parsed.year <= 1:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_license(payload: Any, server_id: str) -> model.License:
    """``webapi/license``: feature flags, and every ``{OnServer, Used, Total}`` object by its key."""
    license_ = _validate(_LICENSE, payload)
    features: dict[str, bool] = {}
    modules: dict[str, model.ModuleLicense] = {}
    for key, value in (license_.model_extra or {}).items():
        if isinstance(value, dict) and {"Used", "Total"} & value.keys():
            usage = _validate(_MODULE_LICENSE, value, within=key)
            modules[key] = model.ModuleLicense(used=usage.Used, on_server=usage.OnServer, total=usage.Total)
        elif _is_feature_flag(key):
            flag = _lenient_bool(value)
            if isinstance(flag, bool):
                features[key] = flag
    return model.License(
        server_id=server_id,
        product_type=license_.ProductType,
        is_time_limited=license_.IsTimeLimited,
        time_limit=parse_time(license_.TimeLimit),
        features=features,
        modules=modules,
    )


def _is_feature_flag(key: str) -> bool:
    # The Is...Enabled flags, and VideoAnalystServer which the reference lists among them (L7929).
    # IsTimeLimited and IsMaxClientsLimited describe limits, not features.
    return (key.startswith("Is") and key.endswith("Enabled")) or key == "VideoAnalystServer"


def parse_counters(payload: Any) -> list[model.CountingZone]:
    """``api/objects_counting/current_counters``: one camera object or an array of them (Q37)."""
    zones = []
    for camera in _validate(_COUNTERS, _one_or_many(payload)):
        camera_id = camera.Id.lower()
        for zone in camera.Zones or ():
            zones.append(
                model.CountingZone(
                    camera_id=camera_id,
                    zone_id=zone.Id.lower(),
                    zone=zone.Name,
                    kind=zone.Type,
                    counts=dict(zone.CurrentCounts),
                )
            )
    return zones


def parse_object_report(payload: Any) -> list[model.LineReport]:
    """``api/objects_counting/report``: lines only (L6829), one camera object or an array of them (Q37)."""
    return [
        model.LineReport(
            camera_id=camera.Id.lower(),
            camera=camera.ChannelName,
            zone_id=line.Id.lower(),
            zone=line.Name,
            start_counts=dict(line.StartCounts),
            crossings=dict(line.TotalCounts),
        )
        for camera in _validate(_OBJECT_REPORT, _one_or_many(payload))
        for line in camera.Zones or ()
    ]


def parse_visitor_report(payload: Any, asked: Iterable[str]) -> tuple[list[model.VisitorCounts], int]:
    """``api/unique_visitor/report`` with ``aggregate=false``: one row per camera, and the number of rows
    that could not be attributed.

    A row with ``ChannelId: null`` is the aggregate (Q36); it is attributed to the camera only when a
    single camera was asked, and counted as unattributed otherwise.
    """
    asked = list(asked)
    report = _validate(_VISITORS, payload)
    rows, unattributed = [], 0
    for row in report.Report or ():
        if row.ChannelId is None:
            if len(asked) != 1:
                unattributed += 1
                continue
            camera_id = asked[0]
        else:
            camera_id = row.ChannelId.lower()
        rows.append(
            model.VisitorCounts(
                camera_id=camera_id,
                total=row.TotalVisitors,
                unique=row.UniqueVisitors,
                gender=dict(row.GenderDistribution),
                age=dict(row.AgeDistribution),
                emotion=dict(row.EmotionDistribution),
            )
        )
    return rows, unattributed
