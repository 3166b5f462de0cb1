"""Sizes of the face and licence-plate databases of each recognition module.

``api/faceconfig`` and ``api/carconfig`` name the modules (Q26: names come from there, never hard-coded);
each table's size is its ``total_count`` when asked for one record (``portion=1``, Q30), or, on a
server that only has the paginated second version, ``total_items`` of ``api/v2/...`` (``size=1``; the
page echo is not trusted, Q28). Four small requests per module: the default interval is ten minutes.

``module`` is mandatory for faces and undocumented for cars (Q26); it is sent for both, and a car table
that refuses it (400) is asked again without it. A server without a recognition module answers 404 (or
403 for a user without rights on it, Q5): no series for it, not a failure, asked again hourly. Each server
is asked about its own databases; where several servers share one, each reports it.
"""

from __future__ import annotations

from dataclasses import dataclass

from eocexporter.client import endpoints
from eocexporter.client.analytics_payloads import parse_modules, parse_total
from eocexporter.client.errors import ApiForbidden, ApiHttpError, ApiNotFound, ApiShapeError
from eocexporter.client.reading import read_payload
from eocexporter.collectors.base import CollectContext, ServerTarget, unsupported
from eocexporter.model import DatabaseSize, DatabasesSection
from eocexporter.options import CollectorConfig, Duration


class DatabasesConfig(CollectorConfig):
    interval: Duration = 600.0


@dataclass(frozen=True, slots=True)
class _Kind:
    name: str  # the "database" label: faces, cars
    config_endpoint: str
    modules_key: str
    tables: tuple[tuple[str, str, str], ...]  # (table label, v1 path, v2 path)
    module_is_documented: bool


KINDS = (
    _Kind("faces", endpoints.FACE_CONFIG, "faces_modules", endpoints.FACE_TABLES, True),
    _Kind("cars", endpoints.CAR_CONFIG, "auto_modules", endpoints.CAR_TABLES, False),
)


class DatabasesCollector:
    async def collect(self, ctx: CollectContext[DatabasesConfig], target: ServerTarget) -> DatabasesSection:
        sizes: list[DatabaseSize] = []
        for kind in KINDS:
            sizes.extend(await self._kind(ctx, target, kind))
        return DatabasesSection(databases=tuple(sizes))

    async def _kind(
        self, ctx: CollectContext[DatabasesConfig], target: ServerTarget, kind: _Kind
    ) -> list[DatabaseSize]:
        client, server_id = ctx.client, target.server.server_id
        if not client.support.due(server_id, kind.config_endpoint):
            return []
        try:
            payload = await client.get_json(target.base_url, kind.config_endpoint, kind.config_endpoint)
        except (ApiNotFound, ApiForbidden) as exc:
            lost = f"{kind.name} database series"
            unsupported(ctx, target, kind.config_endpoint, f"HTTP {exc.status}", lost)
            return []
        client.support.record(server_id, kind.config_endpoint, supported=True)
        modules = read_payload(
            client, kind.config_endpoint, server_id, parse_modules, payload, kind.modules_key
        )
        sizes = []
        for module, enabled in sorted(modules.items()):
            for table, v1_path, v2_path in kind.tables:
                size = None
                if enabled is not False:  # a switched-off module's tables are not asked about
                    size = await self._size(ctx, target, kind, module, v1_path, v2_path)
                sizes.append(DatabaseSize(kind.name, module, table, enabled, size))
        return sizes

    async def _size(
        self,
        ctx: CollectContext[DatabasesConfig],
        target: ServerTarget,
        kind: _Kind,
        module: str,
        v1_path: str,
        v2_path: str,
    ) -> int | None:
        """The table's size, or None when the server will not say (no such table, module refused)."""
        client, server_id = ctx.client, target.server.server_id
        attempts = []
        if client.support.due(server_id, v1_path):
            attempts.append((v1_path, {"offset": "0", "portion": "1"}))
        attempts.append((v2_path, {"page": "1", "size": "1"}))
        for path, paging in attempts:
            try:
                payload = await self._ask(ctx, target, kind, path, {"module": module, **paging})
            except ApiNotFound:
                client.support.record(server_id, path, supported=False)
                continue  # v1 gone (or never there): the paginated second version
            except ApiHttpError as exc:
                if exc.status not in (400, 403):
                    raise
                return None  # the module refuses this user or table: no size, not a failure
            client.support.record(server_id, path, supported=True)
            try:
                return read_payload(client, path, server_id, parse_total, payload)
            except ApiShapeError:
                return None  # counted and logged; it costs this table's size only
        return None

    async def _ask(
        self,
        ctx: CollectContext[DatabasesConfig],
        target: ServerTarget,
        kind: _Kind,
        path: str,
        params: dict[str, str],
    ) -> object:
        try:
            return await ctx.client.get_json(target.base_url, path, path, params)
        except ApiHttpError as exc:
            if kind.module_is_documented or exc.status != 400:
                raise
        # Cars document no module parameter (Q26): a server that refuses it is asked without it.
        return await ctx.client.get_json(
            target.base_url, path, path, {key: value for key, value in params.items() if key != "module"}
        )
