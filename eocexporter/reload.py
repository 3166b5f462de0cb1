"""What a new configuration changes in a running exporter (SIGHUP and ``POST /-/reload``).

The new configuration is validated first (a bad one changes nothing). Then only what changed is
restarted: a target whose options (or whose password file's content) changed, a target added or
removed; every target when the collectors' options, the staleness rule or the sharding changed; the
Parquet sink when its options changed. Unchanged targets keep running, with their data, and the Parquet
checkpoints live on disk, so no target loses an interval. ``listen`` cannot change without a restart.
"""

from __future__ import annotations

from dataclasses import dataclass

from eocexporter.config import Settings
from eocexporter.options import TargetConfig


@dataclass(frozen=True, slots=True)
class ReloadPlan:
    restart: frozenset[str]  # running targets to stop (removed or changed), by name
    start: tuple[TargetConfig, ...]  # targets to start (added, changed, or every one on restart_all)
    restart_all: bool  # the collectors, staleness or sharding changed: every target restarts
    sink_changed: bool
    listen_ignored: bool  # listen differs: it needs a restart of the process


def plan_reload(old: Settings, new: Settings) -> ReloadPlan:
    restart_all = (
        old.collectors != new.collectors
        or old.stale_after_intervals != new.stale_after_intervals
        or (old.shard_index, old.shard_count) != (new.shard_index, new.shard_count)
    )
    running = {target.name: target for target in old.targets}
    wanted = {target.name: target for target in new.targets}
    restart = {
        name
        for name, target in running.items()
        if restart_all or name not in wanted or _changed(target, wanted[name])
    }
    start = tuple(target for target in new.targets if target.name not in running or target.name in restart)
    return ReloadPlan(
        restart=frozenset(restart),
        start=start,
        restart_all=restart_all,
        sink_changed=old.parquet != new.parquet,
        listen_ignored=old.listen != new.listen,
    )


def _changed(old: TargetConfig, new: TargetConfig) -> bool:
    # A password file rotated in place (a Kubernetes secret) leaves the options equal: compare the secret
    # as each configuration read it.
    return old != new or old.secret_digest != new.secret_digest
