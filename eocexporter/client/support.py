"""What each server was found not to support, so that asking is not failing, and is not repeated often.

A server of a version without an endpoint answers 404 (Q2: "treat 404 as not supported by this server
version"); a server refuses one camera with 400 or 403 when the module is not licensed for it or the
user has no rights on it. Neither is a failure: the endpoint (or the camera) is marked unsupported, the
collector succeeds without it, and it is asked again after :data:`RECHECK_SECONDS`, so that a licence
bought or a server upgraded shows up within the hour without a request per run meanwhile.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from eocexporter.snapshot import SupportStats

RECHECK_SECONDS = 3600.0


class EndpointSupport:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._endpoints: dict[tuple[str, str], float | None] = {}  # -> None: supported; else refused at
        self._cameras: dict[tuple[str, str], dict[str, float]] = {}  # -> camera_id: refused at

    # ---- endpoints -------------------------------------------------------------------------------

    def unsupported(self, server_id: str, endpoint: str) -> bool:
        """Known unsupported, whether or not it is time to ask again."""
        return self._endpoints.get((server_id, endpoint)) is not None

    def due(self, server_id: str, endpoint: str) -> bool:
        """Worth asking now: supported or never asked, or unsupported for long enough to ask again."""
        refused_at = self._endpoints.get((server_id, endpoint))
        return refused_at is None or self._clock() - refused_at >= RECHECK_SECONDS

    def record(self, server_id: str, endpoint: str, supported: bool) -> None:
        self._endpoints[(server_id, endpoint)] = None if supported else self._clock()

    # ---- cameras of an endpoint ------------------------------------------------------------------

    def cameras_due(self, server_id: str, endpoint: str, camera_ids: Iterable[str]) -> list[str]:
        """``camera_ids`` without those refused less than RECHECK_SECONDS ago."""
        refused = self._cameras.get((server_id, endpoint))
        if not refused:
            return list(camera_ids)
        now = self._clock()
        return [
            camera_id
            for camera_id in camera_ids
            if now - refused.get(camera_id, -RECHECK_SECONDS) >= RECHECK_SECONDS
        ]

    def record_cameras(
        self, server_id: str, endpoint: str, camera_ids: Iterable[str], supported: bool
    ) -> None:
        if supported:
            refused = self._cameras.get((server_id, endpoint), {})
            for camera_id in camera_ids if refused else ():
                refused.pop(camera_id, None)
            return
        refused = self._cameras.setdefault((server_id, endpoint), {})
        now = self._clock()
        for camera_id in camera_ids:
            refused[camera_id] = now

    # ---- bookkeeping -----------------------------------------------------------------------------

    def forget_servers_not_in(self, server_ids: Iterable[str]) -> None:
        present = set(server_ids)
        for table in (self._endpoints, self._cameras):
            for key in [key for key in table if key[0] not in present]:
                del table[key]

    def snapshot(self) -> SupportStats:
        return SupportStats(
            endpoints={key: refused is None for key, refused in sorted(self._endpoints.items())},
            refused_cameras={key: len(refused) for key, refused in sorted(self._cameras.items())},
        )
