"""Licence usage of a server (``webapi/license``)."""

from __future__ import annotations

from eocexporter.client import endpoints
from eocexporter.client.payloads import parse_license
from eocexporter.collectors.base import CollectContext, ServerTarget, read_payload
from eocexporter.model import LicenseSection


class LicensesCollector:
    name = "licenses"

    async def collect(self, ctx: CollectContext, target: ServerTarget) -> LicenseSection:
        server_id = target.server.server_id
        payload = await ctx.client.get_json(
            target.base_url, endpoints.WEBAPI_LICENSE, endpoints.WEBAPI_LICENSE
        )
        license_ = read_payload(
            ctx.client, endpoints.WEBAPI_LICENSE, server_id, parse_license, payload, server_id
        )
        return LicenseSection(license=license_)
