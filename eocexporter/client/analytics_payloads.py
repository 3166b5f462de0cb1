"""Tolerant reading of the analytics modules' endpoints: ``webapi/cameras/analytics`` (plugins per
camera), ``api/faceconfig`` and ``api/carconfig`` (recognition modules), and the sizes of their
databases (``api/faces``, ``api/cars`` and their groups; the paginated ``api/v2/...``)."""

from __future__ import annotations

from typing import Any

from eocexporter import model
from eocexporter.client.fields import Fields, Parsed, document, identified


def parse_plugins(payload: Any) -> Parsed[list[model.CameraPlugins]]:
    """``[{ChannelId, ChannelName, PluginIds: [uuid]}]`` (L720-762); ``PluginIds`` is typed as one uuid
    though the example is an array (Q41): one id as text is read as a list of one."""
    problems: list[str] = []
    cameras = []
    for camera_id, where, fields in identified(payload, "ChannelId", "camera", problems):
        raw = fields.raw("PluginIds")
        if isinstance(raw, str):
            raw = [raw]
        plugin_ids: set[str] = set()
        if raw is not None and not isinstance(raw, list):
            problems.append(f"{where}PluginIds: expected a list")
            raw = None
        for index, value in enumerate(raw or ()):
            if isinstance(value, str) and value.strip():
                plugin_ids.add(value.strip().lower())
            else:
                problems.append(f"{where}PluginIds[{index}]: not an id")
        cameras.append(model.CameraPlugins(camera_id, tuple(sorted(plugin_ids))))
    return Parsed(cameras, tuple(problems))


def parse_modules(payload: Any, key: str) -> Parsed[dict[str, bool | None]]:
    """``{faces_modules: [{name, enabled}]}`` (L4969-4992) or ``{auto_modules: [...]}`` (L5807-5830),
    module name -> enabled. The carconfig example prints two objects without an array (Q19): the repair
    is an array; one object alone is read as a list of one."""
    problems: list[str] = []
    fields = Fields(document(payload, frozenset({key})), "", problems)
    modules: dict[str, bool | None] = {}
    for where, item in fields.objects(key):
        module = Fields(item, where, problems)
        name = module.text("name")
        if not name or not name.strip():
            problems.append(f"{where}name: missing, module skipped")
            continue
        if name in modules:
            problems.append(f"module {name!r} repeated, skipped")
            continue
        modules[name] = module.flag("enabled")
    return Parsed(modules, tuple(problems))


def parse_total(payload: Any) -> Parsed[int | None]:
    """A database listing asked for one record: ``total_count`` (v1, L5071) or ``total_items`` (v2,
    L7792), whatever the records look like (the v2 example's cars are face-shaped, Q29). A total that
    is null or not a count is None: that table has no size series."""
    problems: list[str] = []
    fields = Fields(document(payload, frozenset({"total_count", "total_items"})), "", problems)
    key = "total_count" if fields.raw("total_count") is not None else "total_items"
    total = fields.count(key)
    if total is not None and total < 0:
        fields.problem(key, f"a negative count ({total})")
        total = None
    return Parsed(total, tuple(problems))
