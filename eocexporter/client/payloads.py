"""Tolerant reading of the core payloads the exporter polls (servers, cameras, status, licence, counting,
visitors), one item and one field at a time.

The reference is loose about shapes (digest section 6) and real installations are looser. Each parser
returns :class:`Parsed`: what it could read, and a line per problem it met. The damage of one bad value
stays with the smallest unit that holds it:

- a field that is ``null`` or missing is ``None`` in the model (no series, never a 0), without a problem:
  the reference prints nulls (Q42, Q45) and its examples leave fields out (Q10, Q27);
- a field of the wrong type is ``None`` too, and a problem;
- an item of a list (a server, a camera, a zone, a report row, a licence module) without its id, or not
  an object at all, is skipped, and a problem;
- an item listed twice (the same server, camera, zone or report row) is read once, and a problem;
- only a document that is not what the endpoint returns at all raises :class:`PayloadError`: ``null``,
  text or a number where a list or an object is expected, an object with none of the endpoint's fields,
  ``{}`` where a list is expected (except from object counting, which answers so when nothing is
  configured, Q37), and a ``configure/servers`` that lists no server at all.

Also read as the API prints them: ``"true"``/``"false"`` strings as booleans (Q15), numbers printed as
ints (Q42) or as numeric strings, an object where an array of objects is expected (Q37), camera states
without regard to case (Q9), every time format the reference shows (:mod:`eocexporter.client.times`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, tzinfo
from typing import Any

from eocexporter import model
from eocexporter.client.fields import (
    Fields,
    Parsed,
    PayloadError,
    Repeats,
    SkipItem,
    document,
    each,
    identified,
)
from eocexporter.model import KNOWN_CAMERA_STATES

__all__ = ["Parsed", "PayloadError"]  # re-exported: callers read parsers' results from here

# ---- configure/servers, api/channels ------------------------------------------------------------------


def parse_servers(payload: Any) -> Parsed[list[model.Server]]:
    """``configure/servers``: an array of servers (one object tolerated)."""
    problems: list[str] = []
    servers = []
    for server_id, _, fields in identified(payload, "Id", "server", problems):
        servers.append(
            model.Server(
                server_id=server_id,
                name=fields.text("Name") or "",
                hostname=fields.text("Hostname") or "",
                port=fields.count("Port"),
                is_replication=fields.flag("IsReplicationServer"),
                license_total=_present(fields.counts("TotalLicParams")),
                license_used=_present(fields.counts("UsedLicParams")),
            )
        )
    if not servers:
        # The main server answering lists at least itself: an empty list is no installation at all.
        raise PayloadError("no server listed, not even the main one")
    return Parsed(servers, tuple(problems))


def parse_channels(payload: Any, server_id: str) -> Parsed[list[model.Camera]]:
    """``api/channels`` of one server: the cameras it serves (its own, and others' it stands in for)."""
    problems: list[str] = []
    cameras = []
    for camera_id, where, fields in identified(payload, "Id", "camera", problems):
        bindings = fields.raw("ServerBindingsSettings")
        owner = reserve = None
        if isinstance(bindings, dict):
            binding_fields = Fields(bindings, f"{where}ServerBindingsSettings.", problems)
            owner = binding_fields.optional_id("OwnerServerId")
            reserve = binding_fields.optional_id("ReservedServerId")
        cameras.append(
            model.Camera(
                camera_id=camera_id,
                name=fields.text("Name") or "",
                disabled=fields.flag("Disabled"),
                server_id=server_id,
                owner_server_id=owner,
                reserve_server_id=reserve,
            )
        )
    return Parsed(cameras, tuple(problems))


# ---- api/channels/{id}/status ------------------------------------------------------------------------

_STATES_BY_FOLDED = {state.casefold(): state for state in KNOWN_CAMERA_STATES}


def normalise_state(value: str | None) -> str | None:
    """``"OK"`` and ``"Ok"`` are one state (Q9); unknown values are kept as reported; none is None."""
    if value is None or not value.strip():
        return None
    stripped = value.strip()
    return _STATES_BY_FOLDED.get(stripped.casefold(), stripped)


_STATUS_FIELDS = frozenset(
    {"Id", "Status", "AltEnabled", "ReceiveVideoMbps", "ReceiveAltVideoMbps", "WriteVideoMbps"}
)


def parse_status(payload: Any, camera_id: str) -> Parsed[model.CameraStatus]:
    """``api/channels/{id}/status``."""
    problems: list[str] = []
    fields = Fields(document(payload, _STATUS_FIELDS), "", problems)
    status = model.CameraStatus(
        camera_id=camera_id,
        status=normalise_state(fields.text("Status")),
        alt_enabled=fields.flag("AltEnabled"),
        receive_main_mbps=fields.number("ReceiveVideoMbps"),
        receive_alt_mbps=fields.number("ReceiveAltVideoMbps"),
        write_mbps=fields.number("WriteVideoMbps"),
    )
    return Parsed(status, tuple(problems))


# ---- webapi/license -----------------------------------------------------------------------------------


_LICENSE_FIELDS = frozenset(
    {"ProductType", "IsTimeLimited", "TimeLimit", "NonRegistratorChannels", "Language"}
)


def parse_license(payload: Any, server_id: str, server_zone: tzinfo = UTC) -> Parsed[model.License]:
    """``webapi/license``: feature flags, and every ``{OnServer, Used, Total}`` object by its key.
    ``server_zone`` reads a ``TimeLimit`` printed as ``dd.MM.yyyy HH:mm:ss`` (server-local)."""
    problems: list[str] = []
    body = document(payload, _LICENSE_FIELDS)
    fields = Fields(body, "", problems)
    features: dict[str, bool] = {}
    modules: dict[str, model.ModuleLicense] = {}
    for key, value in body.items():
        if isinstance(value, dict) and {"Used", "Total", "OnServer"} & value.keys():
            usage = Fields(value, f"{key}.", problems)
            modules[key] = model.ModuleLicense(
                used=usage.count("Used"), on_server=usage.count("OnServer"), total=usage.count("Total")
            )
        elif _is_feature_flag(key):
            flag = fields.flag(key)
            if flag is not None:
                features[key] = flag
    license_ = model.License(
        server_id=server_id,
        product_type=fields.text("ProductType") or "",
        is_time_limited=fields.flag("IsTimeLimited"),
        time_limit=fields.time("TimeLimit", server_zone),
        features=features,
        modules=modules,
        max_clients_limited=fields.flag("IsMaxClientsLimited"),
        max_clients=fields.count("MaxClients"),
    )
    return Parsed(license_, tuple(problems))


def _is_feature_flag(key: str) -> bool:
    # The Is...Enabled flags, and VideoAnalystServer which the reference lists among them (L7929).
    # IsTimeLimited and IsMaxClientsLimited describe limits, not features.
    return (key.startswith("Is") and key.endswith("Enabled")) or key == "VideoAnalystServer"


# ---- object counting ----------------------------------------------------------------------------------


def parse_counters(payload: Any) -> Parsed[list[model.CountingZone]]:
    """``api/objects_counting/current_counters``: one camera object or an array of them (Q37)."""
    problems: list[str] = []
    zones = []
    repeats = Repeats(problems)
    for _, camera in each(payload, problems, empty_object_is_empty=True):
        try:
            camera_id = camera.identifier("Id")
        except SkipItem as exc:
            problems.append(f"camera skipped: {exc}")
            continue
        for zone_where, zone in camera.objects("Zones"):
            fields = Fields(zone, zone_where, problems)
            try:
                zone_id = fields.identifier("Id")
            except SkipItem as exc:
                problems.append(f"zone skipped: {exc}")
                continue
            if repeats.repeated((camera_id, zone_id), f"camera {camera_id} zone {zone_id}"):
                continue
            zones.append(
                model.CountingZone(
                    camera_id=camera_id,
                    zone_id=zone_id,
                    zone=fields.text("Name") or "",
                    kind=fields.text("Type") or "",
                    counts=fields.counts("CurrentCounts"),
                )
            )
    return Parsed(zones, tuple(problems))


def parse_object_report(payload: Any) -> Parsed[list[model.LineReport]]:
    """``api/objects_counting/report``: lines only (L6829), one camera object or an array of them (Q37)."""
    problems: list[str] = []
    lines = []
    repeats = Repeats(problems)
    for _, camera in each(payload, problems, empty_object_is_empty=True):
        try:
            camera_id = camera.identifier("Id")
        except SkipItem as exc:
            problems.append(f"camera skipped: {exc}")
            continue
        for line_where, line in camera.objects("Zones"):
            fields = Fields(line, line_where, problems)
            try:
                zone_id = fields.identifier("Id")
            except SkipItem as exc:
                problems.append(f"line skipped: {exc}")
                continue
            if repeats.repeated((camera_id, zone_id), f"camera {camera_id} line {zone_id}"):
                continue
            lines.append(
                model.LineReport(
                    camera_id=camera_id,
                    camera=camera.text("ChannelName") or "",
                    zone_id=zone_id,
                    zone=fields.text("Name") or "",
                    start_counts=fields.counts("StartCounts"),
                    crossings=fields.counts("TotalCounts"),
                )
            )
    return Parsed(lines, tuple(problems))


# ---- api/unique_visitor/report ------------------------------------------------------------------------


def parse_visitor_report(payload: Any, asked: Iterable[str]) -> Parsed[tuple[list[model.VisitorCounts], int]]:
    """``api/unique_visitor/report`` with ``aggregate=false``: one row per camera, and the number of rows
    that could not be attributed.

    A row with ``ChannelId: null`` is the aggregate (Q36); it is attributed to the camera only when a
    single camera was asked, and counted as unattributed otherwise.
    """
    asked = list(asked)
    problems: list[str] = []
    report = Fields(document(payload, frozenset({"Report"})), "", problems)
    rows, unattributed = [], 0
    repeats = Repeats(problems)
    for where, row in report.objects("Report"):
        fields = Fields(row, where, problems)
        camera_id = fields.optional_id("ChannelId")
        if camera_id is None:
            if len(asked) != 1:
                unattributed += 1
                continue
            camera_id = asked[0]
        if repeats.repeated(camera_id, f"row of camera {camera_id}"):
            continue
        rows.append(
            model.VisitorCounts(
                camera_id=camera_id,
                total=fields.count("TotalVisitors"),
                unique=fields.count("UniqueVisitors"),
                gender=fields.counts("GenderDistribution"),
                age=fields.counts("AgeDistribution"),
                emotion=fields.counts("EmotionDistribution"),
            )
        )
    return Parsed((rows, unattributed), tuple(problems))


def _present(counts: dict[str, int | None]) -> dict[str, int]:
    """The counts that have a value: a null one has no series."""
    return {name: count for name, count in counts.items() if count is not None}
