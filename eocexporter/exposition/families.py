"""Snapshot -> metric families: a pure function, no I/O, no registry, no metric objects per camera.

Every family is built from prometheus-client's ``*MetricFamily`` classes with one ``add_metric`` per series,
so the library escapes label values. Output is deterministic: families in a fixed order, series sorted by
their label values, and when the snapshot reports one thing twice (the same camera listed by two servers,
a label value two API names map to) the first occurrence in that sorted walk wins, so no series is ever
emitted twice. Nothing from the API ever becomes a metric name.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import TypeVar

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.exposition import generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.utils import floatToGoString

from eocexporter.exposition.labels import feature_label, module_label
from eocexporter.model import KNOWN_CAMERA_STATES, CountingZone
from eocexporter.snapshot import ExporterSnapshot, HistogramData, TargetSnapshot

# The API's "Mbps" are mebibits per second (see docs/metrics.md): 2**20 bits / 8 = bytes per second.
BYTES_PER_SECOND_PER_MBPS = 131072

_V = TypeVar("_V")

LINE_SECTION = "LineSection"
AREA_ZONE = "Zone"


def _polled(collector: str) -> str:
    return (
        f" Polled in the background by the {collector} collector; see"
        f' eocortex_collector_last_success_timestamp_seconds{{collector="{collector}"}}.'
    )


_DISCOVERY = _polled("discovery")
_CAMERAS = _polled("cameras")
_LICENSES = _polled("licenses")
_OBJECT_COUNTING = _polled("object_counting")
_VISITORS = _polled("visitors")
_ARCHIVING = _polled("archiving")
_CLIENT = (
    " Counted by the exporter's client since it started; published when a background collector run ends."
)


class _Collected:
    """The smallest thing generate_latest accepts: an object whose collect() yields the families."""

    def __init__(self, families: Iterable[Metric]):
        self._families = families

    def collect(self) -> Iterable[Metric]:
        return self._families


def render_families(families: Iterable[Metric]) -> bytes:
    """Families through prometheus-client's own encoder (the reference :func:`render_text` matches)."""
    return generate_latest(_Collected(families))  # type: ignore[arg-type]


def _bool(flag: bool) -> float:
    return 1.0 if flag else 0.0


def _bool_label(flag: bool) -> str:
    return "true" if flag else "false"


class _Family:
    """The series of one gauge or counter family, keyed by label values; the first value given wins."""

    def __init__(
        self, factory: Callable[..., Metric], name: str, documentation: str, labels: tuple[str, ...]
    ):
        self._factory = factory
        self._name = name
        self._documentation = documentation
        self._labels = labels
        self._series: dict[tuple[str, ...], float] = {}

    def add(self, values: tuple[str, ...], value: float) -> None:
        self._series.setdefault(values, float(value))

    def build(self) -> Metric | None:
        if not self._series:
            return None  # a family with nothing to say is left out, HELP and TYPE included
        family = self._factory(self._name, self._documentation, labels=self._labels)
        for values in sorted(self._series):
            family.add_metric(values, self._series[values])
        return family

    def write(self, out: list[str], escape: Callable[[str], str]) -> None:
        """Append this family's text, byte for byte what generate_latest makes of :meth:`build`."""
        if not self._series:
            return
        name = self._name + "_total" if self._factory is CounterMetricFamily else self._name
        kind = "counter" if self._factory is CounterMetricFamily else "gauge"
        out.append(f"# HELP {name} {_escape_help(self._documentation)}\n# TYPE {name} {kind}\n")
        # generate_latest writes labels sorted by name; the series stay sorted by their values. One format
        # template per family puts each escaped value in its place in a single C-level call per series.
        order = sorted(range(len(self._labels)), key=lambda index: self._labels[index])
        labels = ",".join(f'{self._labels[index]}="{{{index}}}"' for index in order)
        line = (f"{name}{{{{{labels}}}}} " if labels else f"{name} ").format
        series = self._series
        for values in sorted(series):
            out.append(f"{line(*map(escape, values))}{_go_float(series[values])}\n")


class _Histogram:
    def __init__(self, name: str, documentation: str, labels: tuple[str, ...]):
        self._name = name
        self._documentation = documentation
        self._labels = labels
        self._series: dict[tuple[str, ...], HistogramData] = {}

    def add(self, values: tuple[str, ...], data: HistogramData) -> None:
        self._series.setdefault(values, data)

    def build(self) -> Metric | None:
        if not self._series:
            return None
        family = HistogramMetricFamily(self._name, self._documentation, labels=self._labels)
        for values in sorted(self._series):
            data = self._series[values]
            buckets = [
                (floatToGoString(bound), float(count))
                for bound, count in zip(data.bounds, data.bucket_counts, strict=True)
                if bound != float("inf")  # +Inf is always the total count, added below
            ]
            buckets.append(("+Inf", float(data.count)))
            family.add_metric(values, buckets, sum_value=float(data.sum))
        return family

    def write(self, out: list[str], escape: Callable[[str], str]) -> None:
        # Few series (one per endpoint): the generic path through generate_latest costs nothing here.
        family = self.build()
        if family is not None:
            out.append(render_families([family]).decode("utf-8"))


def _gauge(name: str, documentation: str, labels: tuple[str, ...]) -> _Family:
    return _Family(GaugeMetricFamily, name, documentation, labels)


def _counter(name: str, documentation: str, labels: tuple[str, ...]) -> _Family:
    # CounterMetricFamily appends "_total" itself; the name given here is the bare one.
    return _Family(CounterMetricFamily, name, documentation, labels)


class _Families:
    """Every family the exporter can emit, in output order."""

    def __init__(self) -> None:
        t = "target"
        self.build_info = _gauge(
            "eocortex_exporter_build_info",
            "Always 1; labels carry the exporter's version and the Python version it runs on.",
            ("version", "python_version"),
        )
        self.up = _gauge(
            "eocortex_up",
            "1 if the last discovery run reached the target's main server and authenticated, 0 if not."
            + _DISCOVERY,
            (t,),
        )
        self.configure_access = _gauge(
            "eocortex_configure_access",
            "1 if configure/servers was allowed, 0 if it answered 403 and the exporter fell back to the main"
            " server's api/ alone (other servers are then not discovered)." + _DISCOVERY,
            (t,),
        )
        self.server_up = _gauge(
            "eocortex_server_up",
            "1 if the server's own api/ answered in the last polling cycle, 0 if not." + _DISCOVERY,
            (t, "server_id"),
        )
        self.collector_success = _gauge(
            "eocortex_collector_success",
            "1 if the last run of the collector on the target succeeded, 0 if it failed.",
            (t, "collector"),
        )
        self.collector_duration = _gauge(
            "eocortex_collector_duration_seconds",
            "Wall-clock duration of the last run of the collector on the target.",
            (t, "collector"),
        )
        self.collector_last_success = _gauge(
            "eocortex_collector_last_success_timestamp_seconds",
            "Unix time the collector last succeeded on the target; absent until it has."
            " The age of the target's cached values is time() minus this.",
            (t, "collector"),
        )
        self.api_requests = _counter(
            "eocortex_api_requests",
            "HTTP requests the exporter made to the Eocortex API, by route template and status code"
            " (code is the HTTP status, or the kind of failure when no response came)." + _CLIENT,
            (t, "endpoint", "code"),
        )
        self.api_duration = _Histogram(
            "eocortex_api_request_duration_seconds",
            "Duration of the exporter's requests to the Eocortex API, by route template." + _CLIENT,
            (t, "endpoint"),
        )
        self.api_parse_errors = _counter(
            "eocortex_api_parse_errors",
            "Responses of the Eocortex API the exporter could not parse, by route template." + _CLIENT,
            (t, "endpoint"),
        )
        self.server_info = _gauge(
            "eocortex_server_info",
            "Always 1; one series per server of the installation from configure/servers, with its name and"
            " address as configured." + _DISCOVERY,
            (t, "server_id", "server", "hostname", "port"),
        )
        self.server_main = _gauge(
            "eocortex_server_main",
            "1 for the main server the exporter talks to (the one configured as the target's url), 0 for"
            " the others." + _DISCOVERY,
            (t, "server_id"),
        )
        self.server_replication = _gauge(
            "eocortex_server_replication",
            "1 if configure/servers marks the server as a replication server (IsReplicationServer), 0 if"
            " not." + _DISCOVERY,
            (t, "server_id"),
        )
        self.server_license_limit = _gauge(
            "eocortex_server_license_channels_limit",
            "Licensed channels of the server by kind, from configure/servers TotalLicParams." + _DISCOVERY,
            (t, "server_id", "kind"),
        )
        self.server_license_used = _gauge(
            "eocortex_server_license_channels_used",
            "Channels of the server in use by kind, from configure/servers UsedLicParams." + _DISCOVERY,
            (t, "server_id", "kind"),
        )
        self.license_info = _gauge(
            "eocortex_license_info",
            "Always 1; the licence's ProductType from webapi/license." + _LICENSES,
            (t, "server_id", "product_type"),
        )
        self.license_limit = _gauge(
            "eocortex_license_channels_limit",
            "Channels the licence allows for the module (webapi/license <Module>Channels.Total)." + _LICENSES,
            (t, "server_id", "module"),
        )
        self.license_used = _gauge(
            "eocortex_license_channels_used",
            "Channels using the module across the installation (webapi/license <Module>Channels.Used)."
            + _LICENSES,
            (t, "server_id", "module"),
        )
        self.license_used_on_server = _gauge(
            "eocortex_license_channels_used_on_server",
            "Channels using the module on this server (webapi/license <Module>Channels.OnServer)."
            + _LICENSES,
            (t, "server_id", "module"),
        )
        self.license_feature = _gauge(
            "eocortex_license_feature_enabled",
            "1 if the licence enables the feature (webapi/license Is...Enabled flags and VideoAnalystServer),"
            " 0 if not." + _LICENSES,
            (t, "server_id", "feature"),
        )
        self.license_expiry = _gauge(
            "eocortex_license_expiry_timestamp_seconds",
            "Unix time the time-limited licence expires (webapi/license TimeLimit); absent for a licence"
            " without a time limit." + _LICENSES,
            (t, "server_id"),
        )
        self.camera_info = _gauge(
            "eocortex_camera_info",
            "Always 1; one series per camera with its name, owning server and whether it is disabled"
            " (api/channels)." + _CAMERAS,
            (t, "server_id", "camera_id", "camera", "disabled"),
        )
        self.camera_status = _gauge(
            "eocortex_camera_status",
            "1 for the camera's current status from api/channels/{id}/status, 0 for every other known status"
            " (Ok, ErrorMain, ErrorAlt, ErrorSound, Wait)." + _CAMERAS,
            (t, "camera_id", "status"),
        )
        self.camera_receive = _gauge(
            "eocortex_camera_receive_bytes_per_second",
            "Bitrate the server receives from the camera by stream (ReceiveVideoMbps, ReceiveAltVideoMbps;"
            " the API's Mbps are mebibits per second, times 131072)." + _CAMERAS,
            (t, "camera_id", "stream"),
        )
        self.camera_write = _gauge(
            "eocortex_camera_write_bytes_per_second",
            "Bitrate the server writes to the archive for the camera (WriteVideoMbps; the API's Mbps are"
            " mebibits per second, times 131072)." + _CAMERAS,
            (t, "camera_id"),
        )
        self.camera_alt_stream = _gauge(
            "eocortex_camera_alt_stream_enabled",
            "1 if the camera's alternative stream is enabled (AltEnabled), 0 if not." + _CAMERAS,
            (t, "camera_id"),
        )
        self.camera_archiving_info = _gauge(
            "eocortex_camera_archiving_info",
            "Always 1; the camera's recording mode (configure/channels/{id} ArchiveSettings.ArchivingMode:"
            " AlwaysOn, MDandManual, OnlyManual, BySchedule)." + _ARCHIVING,
            (t, "camera_id", "mode"),
        )
        self.camera_archiving_enabled = _gauge(
            "eocortex_camera_archiving_enabled",
            "0 if recording to the archive is switched off for the camera (ArchiveSettings.ArchivingDisabled),"
            " 1 if not." + _ARCHIVING,
            (t, "camera_id"),
        )
        self.line_crossings = _counter(
            "eocortex_object_counting_line_crossings",
            "Objects that crossed the counting line since the counter's last scheduled reset"
            " (api/objects_counting/current_counters, Type LineSection)." + _OBJECT_COUNTING,
            (t, "camera_id", "zone_id", "zone", "object_class"),
        )
        self.zone_objects = _gauge(
            "eocortex_object_counting_zone_objects",
            "Objects currently in the counting area (api/objects_counting/current_counters, Type Zone)."
            + _OBJECT_COUNTING,
            (t, "camera_id", "zone_id", "zone", "object_class"),
        )
        self.visitors = _counter(
            "eocortex_visitors",
            "Visitors the camera counted since local midnight (api/unique_visitor/report TotalVisitors)."
            + _VISITORS,
            (t, "camera_id"),
        )
        self.unique_visitors = _counter(
            "eocortex_unique_visitors",
            "Unique visitors the camera counted since local midnight (UniqueVisitors)." + _VISITORS,
            (t, "camera_id"),
        )
        self.visitors_by_gender = _counter(
            "eocortex_visitors_by_gender",
            "Visitors since local midnight by gender (GenderDistribution)." + _VISITORS,
            (t, "camera_id", "gender"),
        )
        self.visitors_by_age = _counter(
            "eocortex_visitors_by_age",
            "Visitors since local midnight by age group (AgeDistribution)." + _VISITORS,
            (t, "camera_id", "age_group"),
        )
        self.visitors_by_emotion = _counter(
            "eocortex_visitors_by_emotion",
            "Visitors since local midnight by emotion (EmotionDistribution)." + _VISITORS,
            (t, "camera_id", "emotion"),
        )

        p = "dataset"
        self.parquet_rows = _counter(
            "eocortex_parquet_rows_written",
            "Rows the Parquet sink wrote, by dataset, since the exporter started.",
            (t, p),
        )
        self.parquet_files = _counter(
            "eocortex_parquet_files_written",
            "Parquet files the sink wrote (or replaced), by dataset, since the exporter started.",
            (t, p),
        )
        self.parquet_write_errors = _counter(
            "eocortex_parquet_write_errors",
            "Parquet files or checkpoints the sink failed to write (disk full, read-only, store unreachable).",
            (t, p),
        )
        self.parquet_fetch_errors = _counter(
            "eocortex_parquet_fetch_errors",
            "Report intervals the sink failed to fetch from Eocortex; each is retried on the next pass.",
            (t, p),
        )
        self.parquet_skipped = _counter(
            "eocortex_parquet_skipped_intervals",
            "Closed report intervals given up because they fell out of the catch-up window before they"
            " could be written.",
            (t, p),
        )
        self.parquet_last_written = _gauge(
            "eocortex_parquet_last_written_timestamp_seconds",
            "End of the last report interval written per server, or time of the server's last snapshot"
            " for snapshot datasets; unix seconds.",
            (t, p, "server_id"),
        )
        self.parquet_backlog = _gauge(
            "eocortex_parquet_backlog_intervals",
            "Closed report intervals of the server not yet written (the catch-up backlog).",
            (t, p, "server_id"),
        )

    def build(self) -> list[Metric]:
        built = (family.build() for family in vars(self).values())
        return [family for family in built if family is not None]


_GO_FLOATS: dict[float, str] = {}


def _go_float(value: float) -> str:
    """floatToGoString, remembered for the values that recur (0, 1, small counts)."""
    text = _GO_FLOATS.get(value)
    if text is None:
        text = floatToGoString(value)
        # -0.0 equals 0.0 as a key but prints differently: leave signed zeros out.
        if len(_GO_FLOATS) < 4096 and (value or math.copysign(1.0, value) > 0):
            _GO_FLOATS[value] = text
    return text


def _escape_help(text: str) -> str:
    return text.replace("\\", r"\\").replace("\n", r"\n")


def _label_escaper() -> Callable[[str], str]:
    """Escapes label values as generate_latest does, remembering each: ids recur in many families."""
    cache: dict[str, str] = {}

    def escape(value: str) -> str:
        escaped = cache.get(value)
        if escaped is None:
            escaped = cache[value] = value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")
        return escaped

    return escape


def render_text(snapshot: ExporterSnapshot) -> bytes:
    """The text exposition of ``snapshot``, written directly: the same bytes as generate_latest over
    :func:`metric_families`, without building a prometheus-client sample object per series."""
    families = _collect(snapshot)
    out: list[str] = []
    escape = _label_escaper()
    for family in vars(families).values():
        family.write(out, escape)
    return "".join(out).encode("utf-8")


def _collect(snapshot: ExporterSnapshot) -> _Families:
    families = _Families()
    families.build_info.add((snapshot.version, snapshot.python_version), 1)
    for target in sorted(snapshot.targets, key=lambda target: target.target):
        _add_target(families, target)
    return families


def metric_families(snapshot: ExporterSnapshot) -> list[Metric]:
    """Every metric family for ``snapshot``, deterministic for equal snapshots."""
    return _collect(snapshot).build()


def _by_key(mapping: Mapping[str, _V]) -> Iterable[tuple[str, _V]]:
    return sorted(mapping.items(), key=lambda item: item[0])


def _add_target(f: _Families, snap: TargetSnapshot) -> None:
    t = snap.target
    if snap.up is not None:  # None: another shard reports this target's own series
        f.up.add((t,), _bool(snap.up))
    for server_id, up in _by_key(snap.servers_up):
        f.server_up.add((t, server_id), _bool(up))
    for name, run in _by_key(snap.collectors):
        f.collector_success.add((t, name), _bool(run.success))
        f.collector_duration.add((t, name), run.duration_seconds)
        if run.last_success_timestamp is not None:
            f.collector_last_success.add((t, name), run.last_success_timestamp)

    for (endpoint, code), count in sorted(snap.api.requests.items()):
        f.api_requests.add((t, endpoint, code), count)
    for endpoint, histogram in _by_key(snap.api.durations):
        f.api_duration.add((t, endpoint), histogram)
    for endpoint, count in _by_key(snap.api.parse_errors):
        f.api_parse_errors.add((t, endpoint), count)

    if snap.topology is not None:
        topology = snap.topology
        f.configure_access.add((t,), _bool(topology.configure_access))
        for server in sorted(topology.servers, key=lambda server: server.server_id):
            sid = server.server_id
            f.server_info.add((t, sid, server.name, server.hostname, str(server.port)), 1)
            f.server_main.add((t, sid), _bool(sid == topology.main_server_id))
            f.server_replication.add((t, sid), _bool(server.is_replication))
            for key, value in _by_key(server.license_total):
                f.server_license_limit.add((t, sid, module_label(key)), value)
            for key, value in _by_key(server.license_used):
                f.server_license_used.add((t, sid, module_label(key)), value)

    for sid, section in _by_key(snap.licenses):
        lic = section.license
        f.license_info.add((t, sid, lic.product_type), 1)
        for name, module in _by_key(lic.modules):
            label = module_label(name)
            f.license_limit.add((t, sid, label), module.total)
            f.license_used.add((t, sid, label), module.used)
            f.license_used_on_server.add((t, sid, label), module.on_server)
        for name, enabled in _by_key(lic.features):
            f.license_feature.add((t, sid, feature_label(name)), _bool(enabled))
        if lic.is_time_limited and lic.time_limit is not None:
            f.license_expiry.add((t, sid), _unix_seconds(lic.time_limit))

    _add_cameras(f, snap)
    _add_object_counting(f, snap)
    _add_visitors(f, snap)
    _add_parquet(f, snap)


def _add_parquet(f: _Families, snap: TargetSnapshot) -> None:
    t = snap.target
    for dataset, stats in _by_key(snap.parquet):
        f.parquet_rows.add((t, dataset), stats.rows_written)
        f.parquet_files.add((t, dataset), stats.files_written)
        f.parquet_write_errors.add((t, dataset), stats.write_errors)
        f.parquet_fetch_errors.add((t, dataset), stats.fetch_errors)
        f.parquet_skipped.add((t, dataset), stats.skipped_intervals)
        for server_id, moment in _by_key(stats.last_written):
            f.parquet_last_written.add((t, dataset, server_id), moment)
        for server_id, count in _by_key(stats.backlog):
            f.parquet_backlog.add((t, dataset, server_id), count)


def _unix_seconds(moment: datetime) -> float:
    # The contract promises aware UTC; a naive value is read as UTC rather than as the exporter's local time.
    return (moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)).timestamp()


def _add_cameras(f: _Families, snap: TargetSnapshot) -> None:
    t = snap.target
    # A camera listed by two servers (or twice by one) is reported once, from the first server by
    # server_id: two camera_info series for one camera_id would break every group_left join.
    seen_cameras: set[str] = set()
    seen_statuses: set[str] = set()
    for sid, section in _by_key(snap.cameras):
        for camera in section.cameras:
            if camera.camera_id in seen_cameras:
                continue
            seen_cameras.add(camera.camera_id)
            f.camera_info.add((t, sid, camera.camera_id, camera.name, _bool_label(camera.disabled)), 1)
        for status in section.statuses:
            cid = status.camera_id
            if cid in seen_statuses:
                continue
            seen_statuses.add(cid)
            for state in {*KNOWN_CAMERA_STATES, status.status}:
                f.camera_status.add((t, cid, state), _bool(state == status.status))
            f.camera_receive.add((t, cid, "main"), status.receive_main_mbps * BYTES_PER_SECOND_PER_MBPS)
            f.camera_receive.add((t, cid, "alt"), status.receive_alt_mbps * BYTES_PER_SECOND_PER_MBPS)
            f.camera_write.add((t, cid), status.write_mbps * BYTES_PER_SECOND_PER_MBPS)
            f.camera_alt_stream.add((t, cid), _bool(status.alt_enabled))
    for _sid, archiving_section in _by_key(snap.archiving):
        for archiving in archiving_section.cameras:
            f.camera_archiving_info.add((t, archiving.camera_id, archiving.mode), 1)
            f.camera_archiving_enabled.add((t, archiving.camera_id), _bool(not archiving.disabled))


def _add_object_counting(f: _Families, snap: TargetSnapshot) -> None:
    t = snap.target
    seen: set[tuple[str, str]] = set()
    for _sid, section in _by_key(snap.object_counting):
        for zone in section.zones:
            key = (zone.camera_id, zone.zone_id)
            if key in seen:
                continue
            seen.add(key)
            family = _zone_family(f, zone)
            if family is None:
                continue
            for object_class, count in _by_key(zone.counts):
                family.add((t, zone.camera_id, zone.zone_id, zone.zone, object_class), count)


def _zone_family(f: _Families, zone: CountingZone) -> _Family | None:
    if zone.kind == LINE_SECTION:
        return f.line_crossings
    if zone.kind == AREA_ZONE:
        return f.zone_objects
    # A kind the reference does not document: neither a counter nor an occupancy is known to be right.
    return None


def _add_visitors(f: _Families, snap: TargetSnapshot) -> None:
    t = snap.target
    seen: set[str] = set()
    for _sid, section in _by_key(snap.visitors):
        for row in section.visitors:
            cid = row.camera_id
            if cid in seen:
                continue
            seen.add(cid)
            f.visitors.add((t, cid), row.total)
            f.unique_visitors.add((t, cid), row.unique)
            for gender, count in _by_key(row.gender):
                f.visitors_by_gender.add((t, cid, gender), count)
            for age_group, count in _by_key(row.age):
                f.visitors_by_age.add((t, cid, age_group), count)
            for emotion, count in _by_key(row.emotion):
                f.visitors_by_emotion.add((t, cid, emotion), count)
