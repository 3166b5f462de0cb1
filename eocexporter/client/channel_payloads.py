"""Tolerant reading of camera configuration: ``configure/channels/{id}`` and the ``configure/channels`` list.

The list is one request per installation. As the reference prints it (L768-881) each item is brief: the
camera's server bindings and map position. A server may send full channel objects instead (the shape of
``configure/channels/{id}``, which the list's own POST takes, L889-1316); then the list also carries
every camera's ``ArchiveSettings`` and ``AnalyzeSettings`` and the per-camera requests are not needed.
:func:`parse_channel_list` reads both, and says per camera whether the settings were there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eocexporter import model
from eocexporter.client.fields import Fields, Parsed, document, identified, kind
from eocexporter.model import BINDING_ROLES

_CHANNEL_FIELDS = frozenset({"Id", "Name", "ArchiveSettings", "ServerBindingsSettings", "ConnectionSettings"})
_ENABLED = "Enabled"


@dataclass(frozen=True, slots=True)
class ListedChannel:
    """One camera of the ``configure/channels`` list."""

    binding: model.CameraBinding
    # Its recording and analysis settings when the item carries ArchiveSettings (a full channel object);
    # None for the brief item the reference prints.
    settings: model.CameraArchiving | None


def parse_archiving(payload: Any, camera_id: str) -> Parsed[model.CameraArchiving]:
    """``configure/channels/{id}``: ``ArchiveSettings`` (L1105-1161) and ``AnalyzeSettings`` (L1163-1221)."""
    problems: list[str] = []
    settings = _settings(camera_id, document(payload, _CHANNEL_FIELDS), "", problems)
    return Parsed(settings, tuple(problems))


def parse_channel_list(payload: Any) -> Parsed[list[ListedChannel]]:
    """``configure/channels``: every camera of the installation (one object tolerated)."""
    problems: list[str] = []
    channels = []
    for camera_id, where, fields in identified(payload, "Id", "camera", problems):
        item = fields.raw_object()
        settings = _settings(camera_id, item, where, problems) if "ArchiveSettings" in item else None
        channels.append(ListedChannel(_binding(camera_id, fields, where, problems), settings))
    return Parsed(channels, tuple(problems))


def _binding(camera_id: str, fields: Fields, where: str, problems: list[str]) -> model.CameraBinding:
    servers: dict[str, str] = {}
    bindings = _object(fields.raw("ServerBindingsSettings"), f"{where}ServerBindingsSettings", problems)
    binding_fields = Fields(bindings, f"{where}ServerBindingsSettings.", problems)
    for role, key in BINDING_ROLES.items():
        server_id = binding_fields.optional_id(key)
        if server_id is not None:
            servers[role] = server_id
    position = Fields(
        _object(fields.raw("MapSettings"), f"{where}MapSettings", problems), f"{where}MapSettings.", problems
    )
    return model.CameraBinding(
        camera_id=camera_id,
        name=fields.text("Name") or "",
        servers=servers,
        on_map=position.flag("IsOnMap"),
        latitude=_coordinate(position, "Latitude", 90.0),
        longitude=_coordinate(position, "Longitude", 180.0),
    )


def _coordinate(position: Fields, key: str, limit: float) -> float | None:
    value = position.number(key)
    if value is not None and not -limit <= value <= limit:
        position.problem(key, f"{value:g} is out of range (-{limit:g}..{limit:g})")
        return None
    return value


def _settings(
    camera_id: str, channel: dict[str, Any], where: str, problems: list[str]
) -> model.CameraArchiving:
    archive = Fields(
        _object(channel.get("ArchiveSettings"), f"{where}ArchiveSettings", problems),
        f"{where}ArchiveSettings.",
        problems,
    )
    analyze = _object(channel.get("AnalyzeSettings"), f"{where}AnalyzeSettings", problems)
    analyze_fields = Fields(analyze, f"{where}AnalyzeSettings.", problems)
    analytics: dict[str, bool] = {}
    # Open-ended: every <Module>Enabled flag the server sends (MotionDetector, FaceDetector,
    # InteractiveSearch in the reference), so a module a newer version adds shows up without a release.
    for key in analyze:
        if key.endswith(_ENABLED) and len(key) > len(_ENABLED):
            flag = analyze_fields.flag(key)
            if flag is not None:
                analytics[key[: -len(_ENABLED)]] = flag
    return model.CameraArchiving(
        camera_id=camera_id,
        mode=archive.text("ArchivingMode") or None,
        # Described as "archiving is enabled" (L1107, Q22); we read the name, which the example agrees with.
        disabled=archive.flag("ArchivingDisabled"),
        min_depth_days=_depth(archive, "ArchivingMinDeepnessInDays"),
        max_depth_days=_depth(archive, "ArchivingMaxDeepnessInDays"),
        analytics=analytics,
    )


def _depth(archive: Fields, key: str) -> float | None:
    value = archive.number(key)
    if value is not None and value < 0:
        archive.problem(key, f"a negative depth ({value:g})")
        return None
    return value


def _object(value: Any, where: str, problems: list[str]) -> dict[str, Any]:
    """A nested settings object; null or missing is empty (every field absent), anything else a problem."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append(f"{where}: expected an object, got {kind(value)}")
        return {}
    return value
