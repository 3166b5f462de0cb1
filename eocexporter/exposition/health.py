"""The exporter's own health and each target's reachability: build, collector runs, API requests."""

from __future__ import annotations

from eocexporter.exposition.family import Family, SeriesSet, bool_value, counter, gauge
from eocexporter.snapshot import ExporterSnapshot, TargetSnapshot

BUILD_INFO = gauge(
    "eocortex_exporter_build_info",
    "Always 1; labels carry the exporter's version and the Python version it runs on.",
    ("version", "python_version"),
)
RENDER_FAILURES = counter(
    "eocortex_exporter_render_failures",
    "Renderings of the exposition that left a part of a target's series out because it could not be"
    " rendered (part: health, topology, a collector, parquet; target and part empty when nothing could"
    " be rendered and the previous exposition stayed). Each is logged.",
    ("target", "part"),
)
RENDER_CPU = counter(
    "eocortex_exporter_render_cpu_seconds",
    "CPU seconds the exporter spent making the exposition it serves, by stage: encode (series to text;"
    " only the parts whose data changed are encoded again) and gzip.",
    ("stage",),
)
CONFIG_RELOAD_SUCCESSFUL = gauge(
    "eocortex_exporter_config_last_reload_successful",
    "1 if the last reload of the configuration (SIGHUP or POST /-/reload) succeeded, or none was tried; 0 if"
    " it failed and the exporter runs on the configuration it had.",
    (),
)
CONFIG_RELOAD_TIMESTAMP = gauge(
    "eocortex_exporter_config_last_reload_success_timestamp_seconds",
    "Unix time of the last successful configuration load (the start, or a reload).",
    (),
)
UP = gauge(
    "eocortex_up",
    "1 if the last discovery run reached the target's main server and authenticated, 0 if not.",
    ("target",),
    polled_by="discovery",
)
CONFIGURE_ACCESS = gauge(
    "eocortex_configure_access",
    "1 if configure/servers was allowed, 0 if it answered 403 and the exporter fell back to the main"
    " server's api/ alone (other servers are then not discovered).",
    ("target",),
    polled_by="discovery",
)
SERVER_UP = gauge(
    "eocortex_server_up",
    "1 if the server's own api/ answered in the last polling cycle, 0 if not.",
    ("target", "server_id"),
    polled_by="discovery",
)
COLLECTOR_SUCCESS = gauge(
    "eocortex_collector_success",
    "1 if the last run of the collector on the target succeeded, 0 if it failed.",
    ("target", "collector"),
)
COLLECTOR_DURATION = gauge(
    "eocortex_collector_duration_seconds",
    "Wall-clock duration of the last run of the collector on the target.",
    ("target", "collector"),
)
COLLECTOR_LAST_SUCCESS = gauge(
    "eocortex_collector_last_success_timestamp_seconds",
    "Unix time the collector last succeeded on the target; absent until it has."
    " The age of the target's cached values is time() minus this.",
    ("target", "collector"),
)
API_REQUESTS = Family(
    "eocortex_api_requests",
    "counter",
    "HTTP requests the exporter made to the Eocortex API, by route template and status code"
    " (code is the HTTP status, or the kind of failure when no response came).",
    ("target", "endpoint", "code"),
    counted_by_client=True,
)
API_REQUEST_DURATION = Family(
    "eocortex_api_request_duration_seconds",
    "histogram",
    "Duration of the exporter's requests to the Eocortex API, by route template.",
    ("target", "endpoint"),
    counted_by_client=True,
)
API_PARSE_ERRORS = Family(
    "eocortex_api_parse_errors",
    "counter",
    "Responses of the Eocortex API the exporter could not parse, or parts of them it skipped (an item"
    " without its id, a field of the wrong type), by route template.",
    ("target", "endpoint"),
    counted_by_client=True,
)

API_PARSE_CPU = Family(
    "eocortex_api_parse_cpu_seconds",
    "counter",
    "CPU seconds the exporter spent decoding and reading the Eocortex API's answers (JSON and the"
    " tolerant parsers), by route template.",
    ("target", "endpoint"),
    counted_by_client=True,
)
API_SERVER_CONCURRENCY_LIMIT = gauge(
    "eocortex_api_server_concurrency_limit",
    "Requests the exporter currently allows in flight to the server at once: politeness.server_concurrency,"
    " halved while the server's answers slow down or it answers 503/429 or times out, and raised again by"
    " one as they recover. Absent for a server not asked anything yet.",
    ("target", "server_id"),
)
API_THROTTLED = Family(
    "eocortex_api_throttled_seconds",
    "counter",
    "Seconds the exporter's requests to the server waited for their turn: for a free slot under the"
    " server's concurrency limit, or for politeness.server_requests_per_second.",
    ("target", "server_id"),
    counted_by_client=True,
)
API_UNKNOWN_VALUES = Family(
    "eocortex_api_unknown_values",
    "counter",
    "Values the exporter read but does not know how to export, by route template and field (a zone Type"
    " the reference does not document); each is logged once.",
    ("target", "endpoint", "field"),
    counted_by_client=True,
)
ENDPOINT_SUPPORTED = gauge(
    "eocortex_endpoint_supported",
    "1 if the server answers the endpoint, 0 if it does not support it (404: a version without it; 403:"
    " no rights; or it refuses every camera) and the collector goes on without it; asked again hourly."
    " Absent for endpoints the server was not asked.",
    ("target", "server_id", "endpoint"),
)
ENDPOINT_REFUSED_CAMERAS = gauge(
    "eocortex_endpoint_refused_cameras",
    "Cameras the server refused for the endpoint (400 or 403: the module is not licensed for them, or no"
    " rights); they are skipped and asked again hourly.",
    ("target", "server_id", "endpoint"),
)

FAMILIES = (
    BUILD_INFO,
    RENDER_FAILURES,
    RENDER_CPU,
    CONFIG_RELOAD_SUCCESSFUL,
    CONFIG_RELOAD_TIMESTAMP,
    UP,
    CONFIGURE_ACCESS,
    SERVER_UP,
    COLLECTOR_SUCCESS,
    COLLECTOR_DURATION,
    COLLECTOR_LAST_SUCCESS,
    API_REQUESTS,
    API_REQUEST_DURATION,
    API_PARSE_ERRORS,
    API_PARSE_CPU,
    API_SERVER_CONCURRENCY_LIMIT,
    API_THROTTLED,
    API_UNKNOWN_VALUES,
    ENDPOINT_SUPPORTED,
    ENDPOINT_REFUSED_CAMERAS,
)


def render_exporter(series: SeriesSet, snapshot: ExporterSnapshot) -> None:
    series.add(BUILD_INFO, (snapshot.version, snapshot.python_version), 1)
    for (target, part), count in sorted(snapshot.render_failures.items()):
        series.add(RENDER_FAILURES, (target, part), count)
    for stage, seconds in sorted(snapshot.render_seconds.items()):
        series.add(RENDER_CPU, (stage,), seconds)
    if snapshot.reload is not None:
        series.add(CONFIG_RELOAD_SUCCESSFUL, (), bool_value(snapshot.reload.successful))
        series.add(CONFIG_RELOAD_TIMESTAMP, (), snapshot.reload.success_timestamp)


def render(series: SeriesSet, snapshot: TargetSnapshot) -> None:
    target = snapshot.target
    if snapshot.up is not None:  # None: another shard reports this target's own series
        series.add(UP, (target,), bool_value(snapshot.up))
    if snapshot.topology is not None:
        series.add(CONFIGURE_ACCESS, (target,), bool_value(snapshot.topology.configure_access))
    for server_id, answered in sorted(snapshot.servers_up.items()):
        series.add(SERVER_UP, (target, server_id), bool_value(answered))
    for collector, run in sorted(snapshot.collectors.items()):
        series.add(COLLECTOR_SUCCESS, (target, collector), bool_value(run.success))
        series.add(COLLECTOR_DURATION, (target, collector), run.duration_seconds)
        if run.last_success_timestamp is not None:
            series.add(COLLECTOR_LAST_SUCCESS, (target, collector), run.last_success_timestamp)
    api = snapshot.api
    for (endpoint, code), count in sorted(api.requests.items()):
        series.add(API_REQUESTS, (target, endpoint, code), count)
    for endpoint, histogram in sorted(api.durations.items()):
        series.add_histogram(API_REQUEST_DURATION, (target, endpoint), histogram)
    for endpoint, count in sorted(api.parse_errors.items()):
        series.add(API_PARSE_ERRORS, (target, endpoint), count)
    for endpoint, seconds in sorted(api.parse_seconds.items()):
        series.add(API_PARSE_CPU, (target, endpoint), seconds)
    for server_id, limit in sorted(api.server_concurrency_limits.items()):
        series.add(API_SERVER_CONCURRENCY_LIMIT, (target, server_id), limit)
    for server_id, seconds in sorted(api.server_throttled_seconds.items()):
        series.add(API_THROTTLED, (target, server_id), seconds)
    for (endpoint, field), count in sorted(api.unknown_values.items()):
        series.add(API_UNKNOWN_VALUES, (target, endpoint, field), count)
    for (server_id, endpoint), supported in sorted(snapshot.support.endpoints.items()):
        series.add(ENDPOINT_SUPPORTED, (target, server_id, endpoint), bool_value(supported))
    for (server_id, endpoint), count in sorted(snapshot.support.refused_cameras.items()):
        series.add(ENDPOINT_REFUSED_CAMERAS, (target, server_id, endpoint), count)
