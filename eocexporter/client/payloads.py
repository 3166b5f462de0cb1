"""Tolerant reading of the payloads the exporter polls, one item and one field at a time.

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

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any, Generic, TypeVar

from eocexporter import model
from eocexporter.client.times import UnreadableTime, parse_api_time
from eocexporter.model import KNOWN_CAMERA_STATES

T = TypeVar("T")

ZERO_GUID = "00000000-0000-0000-0000-000000000000"
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})


class PayloadError(ValueError):
    """A document that is not what the endpoint returns; the message names what was found."""


@dataclass(frozen=True, slots=True)
class Parsed(Generic[T]):
    """What a parser read, and one line per item skipped or field dropped (``where: what``)."""

    value: T
    problems: tuple[str, ...] = ()


class _SkipItem(Exception):
    """The item cannot be read at all (no id); the message says why."""


class _Fields:
    """Typed reads of one JSON object's fields: null or missing is None; a wrong type is None and a
    problem, never an exception."""

    def __init__(self, document: dict[str, Any], where: str, problems: list[str]) -> None:
        self._document = document
        self._where = where
        self._problems = problems

    def _problem(self, key: str, what: str) -> None:
        self._problems.append(f"{self._where}{key}: {what}")

    def raw(self, key: str) -> Any:
        return self._document.get(key)

    def identifier(self, key: str) -> str:
        """A required id, lower-cased (GUIDs are compared as lower case); a missing one skips the item."""
        value = self._document.get(key)
        if not isinstance(value, str) or not value.strip():
            raise _SkipItem(f"{self._where}{key}: " + ("missing" if value is None else "not an id"))
        return value.strip().lower()

    def optional_id(self, key: str) -> str | None:
        """An id that may be unset: null, empty or the all-zero GUID (Q42) is None."""
        value = self._document.get(key)
        if value is None or value == "" or value == ZERO_GUID:
            return None
        if not isinstance(value, str):
            self._problem(key, "not an id")
            return None
        return value.strip().lower()

    def text(self, key: str) -> str | None:
        value = self._document.get(key)
        if value is None or isinstance(value, str):
            return value
        self._problem(key, f"expected text, got {_kind(value)}")
        return None

    def flag(self, key: str) -> bool | None:
        value = self._document.get(key)
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in _TRUE:
                return True
            if lowered in _FALSE:
                return False
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        self._problem(key, f"expected true or false, got {_kind(value)}")
        return None

    def number(self, key: str) -> float | None:
        return _number(self._document.get(key), lambda what: self._problem(key, what))

    def count(self, key: str) -> int | None:
        return _count(self._document.get(key), lambda what: self._problem(key, what))

    def counts(self, key: str) -> dict[str, int | None]:
        """An open-ended ``{name: count}`` map (Q37): null or missing is empty; a null count stays None."""
        value = self._document.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self._problem(key, f"expected an object of counts, got {_kind(value)}")
            return {}
        result: dict[str, int | None] = {}
        for name, raw in value.items():
            result[str(name)] = _count(raw, lambda what, name=name: self._problem(f"{key}.{name}", what))
        return result

    def objects(self, key: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """The objects of a nested list (one object tolerated, Q37); null or missing is none."""
        value = self._document.get(key)
        if value is None:
            return iter(())
        return _items(value, f"{self._where}{key}", self._problems)

    def time(self, key: str, server_zone: tzinfo) -> datetime | None:
        value = self._document.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            self._problem(key, f"expected a time, got {_kind(value)}")
            return None
        try:
            return parse_api_time(value, server_zone)
        except UnreadableTime as exc:
            self._problem(key, str(exc))
            return None


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return f"text {value[:20]!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _number(value: Any, problem: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            problem(f"expected a number, got {_kind(value)}")
            return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        problem(f"expected a number, got {_kind(value)}")
        return None
    return float(value)


def _count(value: Any, problem: Any) -> int | None:
    number = _number(value, problem)
    if number is None:
        return None
    if not number.is_integer():
        problem(f"expected a whole number, got {number:g}")
        return None
    return int(number)


def _items(value: Any, where: str, problems: list[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(prefix, object)`` for each object of a list, or of one object given for a list (Q37); the prefix
    names the item in problems (``Zones[2].``)."""
    if isinstance(value, dict):
        if value:  # `{}` where a list is expected: an empty list
            yield (f"{where}." if where else ""), value
        return
    if not isinstance(value, list):
        problems.append(f"{where or 'document'}: expected a list, got {_kind(value)}")
        return
    for index, item in enumerate(value):
        if isinstance(item, dict):
            yield f"{where}[{index}].", item
        else:
            problems.append(f"{where}[{index}]: expected an object, got {_kind(item)}")


def _document(payload: Any, fields: frozenset[str]) -> dict[str, Any]:
    """The top-level object of an endpoint that returns one. ``null``, a list, text, or an object with
    none of the endpoint's ``fields`` (``{}`` included) is not that document: read as "every field
    missing", it would empty the server's data with nothing counted."""
    if not isinstance(payload, dict):
        raise PayloadError(f"expected an object, got {_kind(payload) if payload is not None else 'null'}")
    if not fields & payload.keys():
        raise PayloadError(
            f"expected an object with {', '.join(sorted(fields)[:3])}..., got one with none of them"
        )
    return payload


def _each(
    payload: Any, problems: list[str], *, empty_object_is_empty: bool = False
) -> Iterator[tuple[str, _Fields]]:
    """The objects of a top-level list, each with its field reader. Anything but a list or an object is
    not the document the endpoint returns: ``null`` is not an empty list, and neither is ``{}`` unless the
    endpoint is known to answer so when nothing is configured (object counting, Q37)."""
    if not isinstance(payload, (list, dict)):
        raise PayloadError(f"expected a list, got {_kind(payload) if payload is not None else 'null'}")
    if payload == {} and not empty_object_is_empty:
        raise PayloadError("expected a list, got an empty object")
    for where, item in _items(payload, "", problems):
        yield where, _Fields(item, where, problems)


class _Repeats:
    """Items already read, by key: a repeated one is skipped and noted (a camera listed twice would be
    two rows in Parquet and one series twice)."""

    def __init__(self, problems: list[str]) -> None:
        self._seen: set[object] = set()
        self._problems = problems

    def repeated(self, key: object, what: str) -> bool:
        if key in self._seen:
            self._problems.append(f"{what} repeated, skipped")
            return True
        self._seen.add(key)
        return False


# ---- configure/servers, api/channels ------------------------------------------------------------------


def parse_servers(payload: Any) -> Parsed[list[model.Server]]:
    """``configure/servers``: an array of servers (one object tolerated)."""
    problems: list[str] = []
    servers = []
    repeats = _Repeats(problems)
    for _, fields in _each(payload, problems):
        try:
            server_id = fields.identifier("Id")
        except _SkipItem as exc:
            problems.append(f"server skipped: {exc}")
            continue
        if repeats.repeated(server_id, f"server {server_id}"):
            continue
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
    repeats = _Repeats(problems)
    for where, fields in _each(payload, problems):
        try:
            camera_id = fields.identifier("Id")
        except _SkipItem as exc:
            problems.append(f"camera skipped: {exc}")
            continue
        if repeats.repeated(camera_id, f"camera {camera_id}"):
            continue
        bindings = fields.raw("ServerBindingsSettings")
        owner = reserve = None
        if isinstance(bindings, dict):
            binding_fields = _Fields(bindings, f"{where}ServerBindingsSettings.", problems)
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


# ---- api/channels/{id}/status, configure/channels/{id} --------------------------------------------------

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
    fields = _Fields(_document(payload, _STATUS_FIELDS), "", problems)
    status = model.CameraStatus(
        camera_id=camera_id,
        status=normalise_state(fields.text("Status")),
        alt_enabled=fields.flag("AltEnabled"),
        receive_main_mbps=fields.number("ReceiveVideoMbps"),
        receive_alt_mbps=fields.number("ReceiveAltVideoMbps"),
        write_mbps=fields.number("WriteVideoMbps"),
    )
    return Parsed(status, tuple(problems))


_CHANNEL_FIELDS = frozenset({"Id", "Name", "ArchiveSettings", "ServerBindingsSettings", "ConnectionSettings"})


def parse_archiving(payload: Any, camera_id: str) -> Parsed[model.CameraArchiving]:
    """``ArchiveSettings`` of ``configure/channels/{id}`` (L1105-1161). ``ArchivingDisabled`` is described
    as "archiving is enabled" (L1107, Q22); we read the name, which the example's values agree with."""
    problems: list[str] = []
    settings = _document(payload, _CHANNEL_FIELDS).get("ArchiveSettings")
    if settings is not None and not isinstance(settings, dict):
        problems.append(f"ArchiveSettings: expected an object, got {_kind(settings)}")
    fields = _Fields(settings if isinstance(settings, dict) else {}, "ArchiveSettings.", problems)
    archiving = model.CameraArchiving(
        camera_id=camera_id,
        mode=fields.text("ArchivingMode") or None,
        disabled=fields.flag("ArchivingDisabled"),
    )
    return Parsed(archiving, tuple(problems))


# ---- webapi/license -----------------------------------------------------------------------------------


_LICENSE_FIELDS = frozenset(
    {"ProductType", "IsTimeLimited", "TimeLimit", "NonRegistratorChannels", "Language"}
)


def parse_license(payload: Any, server_id: str, server_zone: tzinfo = UTC) -> Parsed[model.License]:
    """``webapi/license``: feature flags, and every ``{OnServer, Used, Total}`` object by its key.
    ``server_zone`` reads a ``TimeLimit`` printed as ``dd.MM.yyyy HH:mm:ss`` (server-local)."""
    problems: list[str] = []
    document = _document(payload, _LICENSE_FIELDS)
    fields = _Fields(document, "", problems)
    features: dict[str, bool] = {}
    modules: dict[str, model.ModuleLicense] = {}
    for key, value in document.items():
        if isinstance(value, dict) and {"Used", "Total", "OnServer"} & value.keys():
            usage = _Fields(value, f"{key}.", problems)
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
    repeats = _Repeats(problems)
    for _, camera in _each(payload, problems, empty_object_is_empty=True):
        try:
            camera_id = camera.identifier("Id")
        except _SkipItem as exc:
            problems.append(f"camera skipped: {exc}")
            continue
        for zone_where, zone in camera.objects("Zones"):
            fields = _Fields(zone, zone_where, problems)
            try:
                zone_id = fields.identifier("Id")
            except _SkipItem as exc:
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
    repeats = _Repeats(problems)
    for _, camera in _each(payload, problems, empty_object_is_empty=True):
        try:
            camera_id = camera.identifier("Id")
        except _SkipItem as exc:
            problems.append(f"camera skipped: {exc}")
            continue
        for line_where, line in camera.objects("Zones"):
            fields = _Fields(line, line_where, problems)
            try:
                zone_id = fields.identifier("Id")
            except _SkipItem as exc:
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
    report = _Fields(_document(payload, frozenset({"Report"})), "", problems)
    rows, unattributed = [], 0
    repeats = _Repeats(problems)
    for where, row in report.objects("Report"):
        fields = _Fields(row, where, problems)
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
