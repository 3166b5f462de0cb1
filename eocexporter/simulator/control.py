"""The simulator-only control endpoint under /_simulator/ on the main server's port (no auth)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .clock import SettableClock
from .model import UnknownObject
from .wire import dumps

if TYPE_CHECKING:
    from .app import Simulator

PREFIX = "/_simulator/"

# action -> accepted JSON fields of POST /_simulator/model, all passed to the Installation method.
MODEL_ACTIONS = {
    "add_camera": {"server_id", "name", "object_counting", "visitors", "disabled"},
    "remove_camera": {"camera_id"},
    "rename_camera": {"camera_id", "name"},
    "disable_camera": {"camera_id", "disabled"},
    "force_status": {"camera_id", "status"},
    "set_licence_usage": {"key", "used", "total", "on_server"},
    "expire_licence_soon": {"seconds", "server_id"},
    "set_legacy": {"server_id", "legacy"},
    "set_listed": {"server_id", "listed"},
    "set_visitor_licensed": {"camera_id", "licensed"},
    "set_archive": {"camera_id", "oldest", "gaps", "reset"},
    "set_database_size": {"server_id", "kind", "module", "count"},
    "add_export_task": {"server_id", "state", "error", "channel_id"},
}


async def handle(simulator: Simulator, request: web.Request) -> web.Response:
    name = request.path[len(PREFIX) :].strip("/")
    try:
        if request.method == "GET" and name == "state":
            return _json(state(simulator))
        if request.method == "POST" and name == "load/reset":
            simulator.load.reset()
            return _json(state(simulator))
        if request.method == "POST" and name in ("faults", "variants", "clock", "model"):
            body = await _body(request)
            result = await _POSTS[name](simulator, body)
            return _json(result if result is not None else state(simulator))
    except (ValueError, TypeError, UnknownObject) as exc:
        return _json({"ErrorMessage": str(exc)}, status=400)
    return _json({"ErrorMessage": f"Resource is not found ({request.path} | {request.method})"}, status=404)


def state(simulator: Simulator) -> dict[str, Any]:
    inst = simulator.installation
    return {
        "main_url": simulator.main_url,
        "servers": [
            {
                "id": server.id,
                "name": server.name,
                "url": simulator.server_urls[server.id],
                "is_main": server.is_main,
                "cameras": len(inst.cameras_on(server.id)),
                "down": simulator.faults.down.get(server.id),
                "failed_over": server.id in inst.failed_over,
                "legacy": server.legacy,
                "listed": server.listed,
            }
            for server in inst.servers
        ],
        "profile": inst.profile,
        "seed": inst.seed,
        "timezone": inst.timezone,
        "clock": simulator.clock.now().isoformat(),
        "clock_settable": isinstance(simulator.clock, SettableClock),
        "topology_version": inst.version,
        "cameras": len(inst.cameras),
        "users": [user.login for user in simulator.config.users],
        "faults": simulator.faults.state(),
        "load": simulator.load.state(),
        "variants": inst.variants.as_dict(),
    }


async def _faults(simulator: Simulator, body: dict[str, Any]) -> None:
    await simulator.faults.apply(body)


async def _variants(simulator: Simulator, body: dict[str, Any]) -> None:
    simulator.installation.set_variants(**body)


async def _clock(simulator: Simulator, body: dict[str, Any]) -> None:
    clock = simulator.clock
    if not isinstance(clock, SettableClock):
        raise ValueError("the simulator runs on the system clock")
    if "set" in body:
        clock.set(datetime.fromisoformat(body["set"]))
    if "advance" in body:
        clock.advance(float(body["advance"]))


async def _model(simulator: Simulator, body: dict[str, Any]) -> dict[str, Any] | None:
    action = body.pop("action", None)
    if action not in MODEL_ACTIONS:
        raise ValueError(f"action must be one of {sorted(MODEL_ACTIONS)}")
    unknown = set(body) - MODEL_ACTIONS[action]
    if unknown:
        raise ValueError(f"unknown fields for {action}: {sorted(unknown)}")
    result = getattr(simulator.installation, action)(**body)
    if action == "add_camera":
        return {"camera_id": result.id}
    if action == "add_export_task":
        return {"task_id": result}
    return None


_POSTS = {"faults": _faults, "variants": _variants, "clock": _clock, "model": _model}


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.read() or b"{}")
    except json.JSONDecodeError as exc:
        raise ValueError(f"body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ValueError("body must be a JSON object")
    return body


def _json(payload: Any, status: int = 200) -> web.Response:
    return web.Response(body=dumps(payload), status=status, content_type="application/json", charset="utf-8")
