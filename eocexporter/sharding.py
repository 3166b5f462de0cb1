"""Splitting the work across exporter replicas by a stable hash.

Each (target, server) pair belongs to exactly one of ``count`` shards, and each target's own series
(``eocortex_up``, the server list and its licence parameters) to one shard, so N replicas each poll about
1/N of the servers, a single large installation included, and together expose each series exactly once.
The hash is of the names and ids only, so the split never changes while the configuration does not.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Shard:
    index: int = 0
    count: int = 1

    def _owns(self, *parts: str) -> bool:
        if self.count == 1:
            return True
        digest = hashlib.blake2b("\0".join(parts).encode("utf-8"), digest_size=8).digest()
        return int.from_bytes(digest, "big") % self.count == self.index

    def owns_target(self, target: str) -> bool:
        return self._owns(target)

    def owns_server(self, target: str, server_id: str) -> bool:
        return self._owns(target, server_id)
