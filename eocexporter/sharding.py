"""Splitting the work across exporter replicas, balanced and stable.

Each (target, server) pair belongs to exactly one of ``count`` shards, and each target's own series
(``eocortex_up``, the server list and its licence parameters) to one shard, so N replicas together
expose each series exactly once.

A target's servers are spread evenly: each shard polls ⌊S/N⌋ or ⌈S/N⌉ of a target's S servers. A hash
of each server alone would not do that where it matters most, an installation of a few large servers:
five servers hashed onto five shards land one on each in 4% of installations (5!/5^5); the benchmark's
(`simulate --servers 5 --seed 1`, target `bench`) landed 0, 0, 3, 2, 0: one replica polling 30,000
cameras and three polling none. The assignment is rendezvous hashing with bounded loads
(Mirrokni, Thorup, Zadimoghaddam, 2016): the servers, in the order of their hash, each take the shard
they rank highest among those that can still take one. It depends on the names and ids only, never on the
order discovery lists them in, so every replica computes the same split from the same server list, and a
server added or removed moves few of the others (a plain "i-th server to shard i mod N" would move about
half of them).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache


def _rank(*parts: str) -> int:
    digest = hashlib.blake2b("\0".join(parts).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big")


@lru_cache(maxsize=1024)
def _assignment(target: str, server_ids: frozenset[str], count: int) -> dict[str, int]:
    """server id -> shard, for one target's servers (cached: collectors ask every run)."""
    # Every shard takes ⌊S/N⌋ servers, and S mod N of them one more: a bound of ⌈S/N⌉ alone could leave
    # a shard short (7 servers on 3 shards as 3, 3, 1).
    floor, larger = divmod(len(server_ids), count)
    load = [0] * count
    shards: dict[str, int] = {}
    for server_id in sorted(server_ids, key=lambda server: (_rank(target, server), server)):
        preferred = sorted(range(count), key=lambda shard: (_rank(target, server_id, str(shard)), shard))
        shard = next(shard for shard in preferred if load[shard] < floor or (load[shard] == floor and larger))
        if load[shard] == floor:
            larger -= 1
        load[shard] += 1
        shards[server_id] = shard
    return shards


@dataclass(frozen=True, slots=True)
class Shard:
    index: int = 0
    count: int = 1

    def owns_target(self, target: str) -> bool:
        return self.count == 1 or _rank(target) % self.count == self.index

    def owned_servers(self, target: str, server_ids: Iterable[str]) -> frozenset[str]:
        """Those of a target's servers (all of them, as discovery lists them) that this shard polls."""
        everything = frozenset(server_ids)
        if self.count == 1:
            return everything
        shards = _assignment(target, everything, self.count)
        return frozenset(server_id for server_id, shard in shards.items() if shard == self.index)
