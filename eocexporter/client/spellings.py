"""Paths the reference spells more than one way (digest Q1: ``objects_counting`` / ``object_counting``).

The spellings are tried in order; a 404 moves on to the next. The one that answered is remembered per
server, so a steady state costs one request; when it stops answering (an upgrade or downgrade), the
spellings are tried afresh.
"""

from __future__ import annotations

from collections.abc import Mapping

from eocexporter.client.errors import ApiNotFound
from eocexporter.client.http import EocortexClient


class PathSpellings:
    def __init__(self) -> None:
        self._known: dict[tuple[str, str, str], str] = {}  # (target, server, first spelling) -> answered

    async def get_body(
        self,
        client: EocortexClient,
        base_url: str,
        server_id: str,
        spellings: tuple[str, ...],
        params: Mapping[str, str] | None = None,
    ) -> tuple[str, bytes] | None:
        """(the spelling that answered, its body), or None when every spelling is 404."""
        key = (client.target.name, server_id, spellings[0])
        known = self._known.get(key)
        order = (known, *(spelling for spelling in spellings if spelling != known)) if known else spellings
        for endpoint in order:
            try:
                body = await client.get_body(base_url, endpoint, endpoint, params)
            except ApiNotFound:
                self._known.pop(key, None)
                continue
            self._known[key] = endpoint
            return endpoint, body
        return None
