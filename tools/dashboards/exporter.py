"""Eocortex / Exporter: eocexporter itself (collectors, requests to the Eocortex API, the Parquet sink)."""

from __future__ import annotations

from grafana_foundation_sdk.builders import stat, timeseries
from grafana_foundation_sdk.models.common import BigValueGraphMode, BigValueTextMode

from .common import Dashboard, T, panel, query

FILE = "eocortex-exporter.json"


def dashboard() -> Dashboard:
    d = Dashboard(
        "eocortex-exporter",
        "Eocortex / Exporter",
        "eocexporter itself: collector runs, requests to the Eocortex API, latency, parse errors, data age.",
        ["datasource", "target"],
    )
    requests = f"eocortex_api_requests_total{{{T}}}"
    d.row("Collectors")
    d.add(
        panel(
            timeseries.Panel,
            "Collector success",
            "eocortex_collector_success: 1 when the last run of the collector succeeded.",
            [query(f"eocortex_collector_success{{{T}}}", "{{target}} {{collector}}")],
            unit="none",
        )
        .min(0)
        .max(1)
    )
    d.add(
        panel(
            timeseries.Panel,
            "Collector run duration",
            "eocortex_collector_duration_seconds: a run longer than its interval is falling behind.",
            [query(f"eocortex_collector_duration_seconds{{{T}}}", "{{target}} {{collector}}")],
            unit="s",
        )
    )
    d.add(
        panel(
            timeseries.Panel,
            "Age of the data",
            "Seconds since each collector last succeeded: the age of what /metrics serves.",
            [
                query(
                    f"time() - eocortex_collector_last_success_timestamp_seconds{{{T}}}",
                    "{{target}} {{collector}}",
                )
            ],
            unit="s",
        )
    )
    d.add(
        panel(
            stat.Panel,
            "Exporter version",
            "eocortex_exporter_build_info of each scraped exporter.",
            [query("eocortex_exporter_build_info", "{{version}} (Python {{python_version}})")],
            unit="none",
        )
        .text_mode(BigValueTextMode.NAME)
        .graph_mode(BigValueGraphMode.NONE)
    )
    d.row("Eocortex API")
    d.add(
        panel(
            timeseries.Panel,
            "API requests by endpoint and code",
            "Requests per second to the Eocortex API by route template and HTTP status (or kind of failure).",
            [
                query(
                    f"sum by (target, endpoint, code) (rate({requests}[$__rate_interval]))",
                    "{{endpoint}} {{code}}",
                )
            ],
            unit="reqps",
        )
    )
    d.add(
        panel(
            timeseries.Panel,
            "Request latency",
            "Quantiles of eocortex_api_request_duration_seconds by route template.",
            [
                query(
                    f"histogram_quantile({q}, sum by (target, endpoint, le) (rate(eocortex_api_request_duration_seconds_bucket{{{T}}}[$__rate_interval])))",
                    f"p{int(q * 100)} {{{{endpoint}}}}",
                )
                for q in (0.5, 0.9, 0.99)
            ],
            unit="s",
        )
    )
    d.add(
        panel(
            timeseries.Panel,
            "Parse errors",
            "Responses per second that did not parse, by route template (0 for every route that answered).",
            [
                query(
                    f"""sum by (target, endpoint) (rate(eocortex_api_parse_errors_total{{{T}}}[$__rate_interval]))
                    or 0 * sum by (target, endpoint) (rate({requests}[$__rate_interval]))""",
                    "{{endpoint}}",
                )
            ],
            unit="reqps",
        )
    )
    d.add(
        panel(
            timeseries.Panel,
            "Failed requests",
            "Share of requests to the Eocortex API that did not get a 2xx answer.",
            [
                query(
                    f"""(sum by (target) (rate(eocortex_api_requests_total{{{T}, code!~"2.."}}[$__rate_interval]))
                    or 0 * sum by (target) (rate({requests}[$__rate_interval])))
                    / sum by (target) (rate({requests}[$__rate_interval]))""",
                    "{{target}}",
                )
            ],
            unit="percentunit",
        ).min(0)
    )
    d.add(
        panel(
            timeseries.Panel,
            "Concurrency allowed per server",
            "Requests the exporter lets be in flight to each server (politeness.server_concurrency, halved while"
            " the server slows down or refuses, won back one at a time). A dip is the exporter backing off.",
            [query(f"eocortex_api_server_concurrency_limit{{{T}}}", "{{target}} {{server_id}}")],
            unit="none",
        ).min(0)
    )
    d.add(
        panel(
            timeseries.Panel,
            "Requests waiting for their server",
            "Seconds per second the exporter's requests waited for a server's concurrency slot or its"
            " requests-per-second limit: 0 unless a limit holds the polling back.",
            [
                query(
                    f"sum by (target, server_id) (rate(eocortex_api_throttled_seconds_total{{{T}}}[$__rate_interval]))",
                    "{{target}} {{server_id}}",
                )
            ],
            unit="s",
        ).min(0)
    )
    d.add(
        panel(
            timeseries.Panel,
            "CPU parsing API answers",
            "CPU seconds per second the exporter spends decoding and reading the Eocortex API's answers, by"
            " target (eocortex_exporter_render_cpu_seconds_total has the exposition's own, per process).",
            [
                query(
                    f"sum by (target) (rate(eocortex_api_parse_cpu_seconds_total{{{T}}}[$__rate_interval]))",
                    "{{target}}",
                )
            ],
            unit="s",
        ).min(0)
    )
    d.row("Parquet sink (with parquet.root set)")
    d.add(
        panel(
            timeseries.Panel,
            "Parquet rows written",
            "Rows per second the Parquet sink writes, by dataset (docs/parquet.md). No data while the sink is off.",
            [
                query(
                    f"sum by (target, dataset) (rate(eocortex_parquet_rows_written_total{{{T}}}[$__rate_interval]))",
                    "{{target}} {{dataset}}",
                )
            ],
            unit="short",
        )
    )
    d.add(
        panel(
            timeseries.Panel,
            "Parquet errors",
            "Files or checkpoints that could not be written (disk full, read-only, store down), and report"
            " intervals that could not be fetched, per interval of the graph.",
            [
                query(
                    f"sum by (target, dataset) (increase(eocortex_parquet_write_errors_total{{{T}}}[$__rate_interval]))",
                    "write {{target}} {{dataset}}",
                ),
                query(
                    f"sum by (target, dataset) (increase(eocortex_parquet_fetch_errors_total{{{T}}}[$__rate_interval]))",
                    "fetch {{target}} {{dataset}}",
                ),
            ],
            unit="short",
        ).min(0)
    )
    d.add(
        panel(
            timeseries.Panel,
            "Parquet catch-up backlog",
            "Closed report intervals not yet written, per server: rises during an outage, falls as it catches up.",
            [
                query(
                    f"sum by (target, dataset) (eocortex_parquet_backlog_intervals{{{T}}})",
                    "{{target}} {{dataset}}",
                )
            ],
            unit="short",
        ).min(0)
    )
    d.add(
        panel(
            timeseries.Panel,
            "Age of the Parquet data",
            "Seconds since the end of the last report interval (or the last snapshot) written, per dataset.",
            [
                query(
                    f"time() - min by (target, dataset) (eocortex_parquet_last_written_timestamp_seconds{{{T}}})",
                    "{{target}} {{dataset}}",
                )
            ],
            unit="s",
        )
    )
    return d
