"""What the renderer emits for hand-built snapshots, checked by parsing the bytes back."""

from __future__ import annotations

import collections
import dataclasses
import gzip
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from exposition_snapshots import (
    AREA,
    CAM_1,
    CAM_2,
    CAM_3,
    EXPIRY,
    LINE,
    MAIN,
    SECOND,
    build_exposition,
    down_target,
    metric_families,
    parse,
    populated,
    populated_target,
    render,
    replace_target,
    samples,
    snapshot_of,
)
from helpers import check_golden
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from eocexporter import exposition
from eocexporter.exposition import CONTENT_TYPE, RenderCache
from eocexporter.exposition.cameras import BYTES_PER_SECOND_PER_MBPS
from eocexporter.exposition.family import Family
from eocexporter.model import (
    KNOWN_CAMERA_STATES,
    AnalyticsSection,
    ArchiveDepthSection,
    ArchiveExportSection,
    ArchivingSection,
    BindingsSection,
    Camera,
    CameraArchiveDays,
    CameraArchiving,
    CameraBinding,
    CameraPlugins,
    CamerasSection,
    CameraStatus,
    CountingZone,
    DatabaseSize,
    DatabasesSection,
    ExportTask,
    License,
    LicenseSection,
    ObjectCountingSection,
    VisitorCounts,
    VisitorsSection,
)
from eocexporter.registry import COLLECTORS, catalogue
from eocexporter.snapshot import (
    ApiStats,
    ConfigReload,
    ExporterSnapshot,
    HistogramData,
    ParquetDatasetStats,
    Sections,
    SupportStats,
    TargetSnapshot,
)

GOLDEN = Path(__file__).parent / "golden" / "populated.prom"

# Every family the exporter can emit, from the registry: the contract dashboards and alerts depend on.
CATALOGUE = catalogue()


def with_every_family(snapshot: ExporterSnapshot) -> ExporterSnapshot:
    """``snapshot`` with what ``populated()`` (and its golden file) leave out — for its first target
    archiving settings and depth, bindings, plugins, databases, export tasks, a camera on its reserve
    server, licence client limits, Parquet sink figures, unknown values, endpoint support; a render
    failure and a failed reload — so every family has series."""
    stats = ParquetDatasetStats(1, 1, 0, 0, 0, last_written={MAIN: 1.7e9}, backlog={MAIN: 0})
    archiving = ArchivingSection(
        cameras=(CameraArchiving(CAM_1, "AlwaysOn", False, 7.0, 30.0, {"FaceDetector": True}),)
    )
    depth = ArchiveDepthSection(cameras=(CameraArchiveDays(CAM_1, (date(2026, 11, 1), date(2026, 11, 3))),))
    binding = CameraBinding(CAM_1, "Camera 1", {"owner": MAIN, "reserve": SECOND}, True, 55.75, 37.62)
    export = ArchiveExportSection(
        tasks=(ExportTask("t1", CAM_1, "Error", "NotEnoughSpace"),), failures={"NotEnoughSpace": 1}
    )
    # CAM_1 is SECOND's, served by MAIN.
    kept_cameras = snapshot.targets[0].sections.of(CamerasSection)
    main_cameras = kept_cameras[MAIN]
    cameras = {
        **kept_cameras,
        MAIN: dataclasses.replace(
            main_cameras,
            cameras=(
                Camera(CAM_1, "Camera 1", False, MAIN, owner_server_id=SECOND),
                *main_cameras.cameras[1:],
            ),
        ),
    }
    license_ = LicenseSection(
        dataclasses.replace(_license_of(snapshot), max_clients_limited=True, max_clients=25)
    )
    first, *rest = snapshot.targets
    api = dataclasses.replace(
        first.api,
        unknown_values={("api/objects_counting/current_counters", "Type"): 2},
        parse_seconds={"api/channels": 0.25},
        server_concurrency_limits={MAIN: 4},
        server_throttled_seconds={MAIN: 1.5},
    )
    support = SupportStats(
        endpoints={(MAIN, "webapi/license"): True, (SECOND, "webapi/license"): False},
        refused_cameras={(MAIN, "api/unique_visitor/report"): 1},
    )
    first = replace_target(
        first,
        archiving={MAIN: archiving},
        archive_depth={MAIN: depth},
        bindings={MAIN: BindingsSection(cameras=(binding,))},
        analytics_plugins={MAIN: AnalyticsSection(cameras=(CameraPlugins(CAM_1, ("p1",)),))},
        databases={MAIN: DatabasesSection(databases=(DatabaseSize("faces", "basic", "records", True, 12),))},
        archive_export={MAIN: export},
        cameras=cameras,
        licenses={MAIN: license_},
        parquet={"object_counts": stats},
        api=api,
        support=support,
    )
    return dataclasses.replace(
        snapshot,
        targets=(first, *rest),
        render_failures={("plant", "cameras"): 1},
        render_seconds={"encode": 1.5, "gzip": 0.25},
        reload=ConfigReload(successful=False, success_timestamp=1.7e9),
    )


def _license_of(snapshot: ExporterSnapshot) -> License:
    license_ = snapshot.targets[0].sections.of(LicenseSection)[MAIN].license
    assert license_ is not None
    return license_


def _with(target: TargetSnapshot, **changes: object) -> ExporterSnapshot:
    return snapshot_of(replace_target(target, **changes))


def _label_values(body: bytes, label: str) -> set[str]:
    return {
        sample.labels[label]
        for family in parse(body).values()
        for sample in family.samples
        if label in sample.labels
    }


# ---- the contract ------------------------------------------------------------------------------------


@pytest.mark.parametrize("family", CATALOGUE, ids=[family.name for family in CATALOGUE])
def test_every_catalogued_family_is_emitted_with_its_type_and_labels(family: Family) -> None:
    parsed = parse(render(with_every_family(populated())))[family.name]
    assert parsed.type == family.kind
    assert parsed.samples
    for sample in parsed.samples:
        assert set(sample.labels) - {"le"} == set(family.labels)
    # A value served from the collectors' cache says so, and names the collector.
    assert ("Polled in the background" in parsed.documentation) == (family.polled_by is not None)


def test_nothing_is_emitted_beyond_the_catalogue() -> None:
    assert set(parse(render(with_every_family(populated())))) == {family.name for family in CATALOGUE}


def test_the_catalogue_names_each_family_once() -> None:
    names = [family.exposed_name for family in CATALOGUE]
    assert len(names) == len(set(names))
    assert all(name.startswith("eocortex_") for name in names)


def test_counters_are_exposed_with_total_and_gauges_without() -> None:
    text = render(populated()).decode()
    types = dict(line.split()[2:4] for line in text.splitlines() if line.startswith("# TYPE"))
    for name, kind in types.items():
        assert name.endswith("_total") == (kind == "counter"), name


def test_matches_golden_file() -> None:
    check_golden(GOLDEN, render(populated()))


# ---- values ------------------------------------------------------------------------------------------


def test_mbps_become_bytes_per_second_with_the_binary_factor() -> None:
    # Reference L531: 0.8812103271484375 "Mbps" is 115502 * 8 / 2**20, an integer byte rate.
    assert BYTES_PER_SECOND_PER_MBPS == 131072
    found = samples(render(populated()), "eocortex_camera_receive_bytes_per_second")
    assert found[(("camera_id", CAM_1), ("stream", "main"), ("target", "plant"))] == 115502.0
    assert found[(("camera_id", CAM_3), ("stream", "alt"), ("target", "plant"))] == 32768.0
    write = samples(render(populated()), "eocortex_camera_write_bytes_per_second")
    assert write[(("camera_id", CAM_1), ("target", "plant"))] == 65536.0


def test_status_is_a_state_set_over_known_states_plus_the_value_seen() -> None:
    status = CameraStatus(CAM_1, "Reconnecting", False, 0.0, 0.0, 0.0)
    target = _with(
        populated_target(),
        cameras={MAIN: CamerasSection(cameras=(Camera(CAM_1, "Camera 1", False, MAIN),), statuses=(status,))},
    )
    found = samples(render(target), "eocortex_camera_status")
    states = {dict(labels)["status"]: value for labels, value in found.items()}
    assert set(states) == {*KNOWN_CAMERA_STATES, "Reconnecting"}
    assert [state for state, value in states.items() if value == 1.0] == ["Reconnecting"]


def test_known_status_gives_exactly_the_known_states_with_one_set() -> None:
    found = samples(render(populated()), "eocortex_camera_status")
    for camera_id, current in ((CAM_1, "Ok"), (CAM_3, "ErrorAlt")):
        states = {
            dict(labels)["status"]: v for labels, v in found.items() if dict(labels)["camera_id"] == camera_id
        }
        assert set(states) == set(KNOWN_CAMERA_STATES)
        assert {state for state, value in states.items() if value == 1.0} == {current}


def test_line_sections_are_counters_and_areas_are_gauges() -> None:
    body = render(populated())
    line = samples(body, "eocortex_object_counting_line_crossings_total")
    area = samples(body, "eocortex_object_counting_zone_objects")
    assert {dict(labels)["zone_id"] for labels in line} == {LINE}
    assert {dict(labels)["zone_id"] for labels in area} == {AREA}
    assert (
        line[
            (
                ("camera_id", CAM_2),
                ("object_class", "Person"),
                ("target", "plant"),
                ("zone", "Crossing of the line"),
                ("zone_id", LINE),
            )
        ]
        == 16.0
    )


def test_a_zone_of_an_undocumented_kind_is_left_out() -> None:
    zone = CountingZone(CAM_2, "other-zone", "Odd", "Polygon", {"Person": 1})
    body = render(_with(populated_target(), object_counting={MAIN: ObjectCountingSection(zones=(zone,))}))
    assert "other-zone" not in body.decode()


def test_visitor_breakdowns_keep_the_api_names() -> None:
    body = render(populated())
    assert _label_values(body, "gender") == {"Female", "Male"}
    assert _label_values(body, "age_group") == {"Young", "Adult", "MiddleAged", "Senior"}
    assert _label_values(body, "emotion") == {"Positive", "Neutral", "Negative"}
    assert samples(body, "eocortex_visitors_total") == {(("camera_id", CAM_3), ("target", "plant")): 243.0}
    assert samples(body, "eocortex_unique_visitors_total") == {
        (("camera_id", CAM_3), ("target", "plant")): 55.0
    }


def test_licence_labels_use_the_snake_case_rule() -> None:
    body = render(populated())
    assert _label_values(body, "module") == {"face_detector", "people_cnt_3d"}
    assert _label_values(body, "kind") == {"channels", "ptz", "face_recognition"}
    assert _label_values(body, "feature") == {"video_wall", "video_analyst_server"}


def test_camera_info_carries_owner_and_disabled_flag() -> None:
    found = samples(render(populated()), "eocortex_camera_info")
    info = {dict(labels)["camera_id"]: dict(labels) for labels in found}
    assert info[CAM_2]["disabled"] == "true"
    assert info[CAM_1]["disabled"] == "false"
    assert info[CAM_3]["server_id"] == SECOND
    assert set(found.values()) == {1.0}


def test_server_info_port_is_a_label_and_main_server_is_marked() -> None:
    body = render(populated())
    info = {dict(labels)["server_id"]: dict(labels) for labels in samples(body, "eocortex_server_info")}
    assert info[SECOND]["port"] == "8081"
    assert info[SECOND]["hostname"] == "10.1.1.86"
    main = samples(body, "eocortex_server_main")
    assert main[(("server_id", MAIN), ("target", "plant"))] == 1.0
    assert main[(("server_id", SECOND), ("target", "plant"))] == 0.0


def test_configure_access_is_zero_after_fallback_and_absent_without_topology() -> None:
    target = populated_target()
    fallback = dataclasses.replace(target.topology, configure_access=False)
    body = render(snapshot_of(dataclasses.replace(target, topology=fallback), down_target()))
    assert samples(body, "eocortex_configure_access") == {(("target", "plant"),): 0.0}


def test_collector_last_success_is_omitted_until_the_collector_succeeded() -> None:
    found = samples(render(populated()), "eocortex_collector_last_success_timestamp_seconds")
    assert {dict(labels)["collector"] for labels in found} == {"discovery", "cameras"}
    assert found[(("collector", "discovery"), ("target", "plant"))] == 1_700_000_000.5


def test_histogram_buckets_are_cumulative_with_inf_as_count() -> None:
    body = render(populated())
    buckets = samples(body, "eocortex_api_request_duration_seconds_bucket")
    by_le = {dict(labels)["le"]: value for labels, value in buckets.items()}
    assert by_le == {"0.1": 3.0, "0.5": 5.0, "1.0": 6.0, "+Inf": 7.0}
    assert samples(body, "eocortex_api_request_duration_seconds_sum") == {
        (("endpoint", "api/channels"), ("target", "plant")): 2.75
    }


def test_an_explicit_infinite_bound_is_not_repeated() -> None:
    histogram = HistogramData(bounds=(1.0, float("inf")), bucket_counts=(1, 2), count=2, sum=1.5)
    body = render(_with(populated_target(), api=ApiStats(durations={"api/channels": histogram})))
    les = [dict(labels)["le"] for labels in samples(body, "eocortex_api_request_duration_seconds_bucket")]
    assert les == ["1.0", "+Inf"]


# ---- licence expiry ----------------------------------------------------------------------------------


def _licence_snapshot(is_time_limited: bool, time_limit: datetime | None) -> ExporterSnapshot:
    target = populated_target()
    section = target.sections.of(LicenseSection)[MAIN]
    lic = dataclasses.replace(section.license, is_time_limited=is_time_limited, time_limit=time_limit)
    return _with(target, licenses={MAIN: dataclasses.replace(section, license=lic)})


def test_expiry_is_emitted_for_a_time_limited_licence() -> None:
    found = samples(render(_licence_snapshot(True, EXPIRY)), "eocortex_license_expiry_timestamp_seconds")
    assert found == {(("server_id", MAIN), ("target", "plant")): EXPIRY.timestamp()}


@pytest.mark.parametrize(("is_time_limited", "time_limit"), [(False, EXPIRY), (True, None), (False, None)])
def test_expiry_is_absent_unless_time_limited_with_a_date(
    is_time_limited: bool, time_limit: datetime | None
) -> None:
    body = render(_licence_snapshot(is_time_limited, time_limit))
    assert "eocortex_license_expiry_timestamp_seconds" not in body.decode()


def test_naive_expiry_is_read_as_utc() -> None:
    naive = datetime(2030, 1, 1, 0, 0, 0)
    found = samples(render(_licence_snapshot(True, naive)), "eocortex_license_expiry_timestamp_seconds")
    assert list(found.values()) == [datetime(2030, 1, 1, tzinfo=UTC).timestamp()]


# ---- escaping ----------------------------------------------------------------------------------------

AWKWARD = 'Вход "главный" \\ склад\nвторая строка'


def test_awkward_names_round_trip_through_the_parser() -> None:
    target = populated_target()
    server = dataclasses.replace(target.topology.servers[1], name=AWKWARD, hostname="хост\\1")
    cameras = CamerasSection(cameras=(Camera(CAM_1, AWKWARD, False, MAIN),), statuses=())
    zone = CountingZone(CAM_1, LINE, AWKWARD, "LineSection", {'Кот "2"': 1})
    body = render(
        _with(
            target,
            topology=dataclasses.replace(target.topology, servers=(server,)),
            cameras={MAIN: cameras},
            object_counting={MAIN: ObjectCountingSection(zones=(zone,))},
        )
    )
    assert _label_values(body, "camera") == {AWKWARD}
    assert _label_values(body, "server") == {AWKWARD}
    assert _label_values(body, "hostname") == {"хост\\1"}
    assert _label_values(body, "zone") == {AWKWARD}
    assert _label_values(body, "object_class") == {'Кот "2"'}
    # One sample per line: the newline inside the name is escaped, never written raw.
    assert sum(line.startswith("eocortex_camera_info{") for line in body.decode().splitlines()) == 1


# ---- things that disappear, things never invented ----------------------------------------------------


def test_a_camera_gone_from_the_snapshot_has_no_series_left() -> None:
    target = populated_target()
    section = target.sections.of(CamerasSection)[SECOND]
    without = dataclasses.replace(section, cameras=(), statuses=())
    body = render(_with(target, cameras={**target.sections.of(CamerasSection), SECOND: without}, visitors={}))
    assert CAM_3 not in body.decode()
    assert CAM_3 in render(populated()).decode()


def test_a_zone_gone_from_the_snapshot_has_no_series_left() -> None:
    target = populated_target()
    zones = tuple(
        zone for zone in target.sections.of(ObjectCountingSection)[MAIN].zones if zone.zone_id != AREA
    )
    body = render(_with(target, object_counting={MAIN: ObjectCountingSection(zones=zones)}))
    assert AREA not in body.decode()
    assert "eocortex_object_counting_zone_objects" not in body.decode()  # no empty family either
    assert LINE in body.decode()


def test_a_server_gone_from_the_snapshot_has_no_series_left() -> None:
    target = populated_target()
    topology = dataclasses.replace(
        target.topology, servers=tuple(s for s in target.topology.servers if s.server_id != SECOND)
    )
    body = render(
        _with(
            target,
            topology=topology,
            servers_up={MAIN: True},
            cameras={MAIN: target.sections.of(CamerasSection)[MAIN]},
            visitors={},
        )
    )
    assert SECOND not in body.decode()


def test_a_camera_without_a_module_gets_no_series_for_it() -> None:
    body = render(populated())
    # CAM_1 has a status but no counting zone and no visitor report; CAM_2 (disabled) has no status.
    for name in (
        "eocortex_object_counting_line_crossings_total",
        "eocortex_object_counting_zone_objects",
        "eocortex_visitors_total",
        "eocortex_visitors_by_gender_total",
    ):
        assert all(dict(labels)["camera_id"] != CAM_1 for labels in samples(body, name)), name
    for name in ("eocortex_camera_status", "eocortex_camera_receive_bytes_per_second"):
        assert all(dict(labels)["camera_id"] != CAM_2 for labels in samples(body, name)), name


def test_a_target_that_is_down_has_only_its_up_and_run_series() -> None:
    body = render(snapshot_of(down_target()))
    targets = {
        name for name, family in parse(body).items() if any("target" in s.labels for s in family.samples)
    }
    assert targets == {
        "eocortex_up",
        "eocortex_collector_success",
        "eocortex_collector_duration_seconds",
        "eocortex_api_requests",
    }


def test_an_empty_snapshot_has_only_build_info() -> None:
    body = render(snapshot_of())
    assert list(parse(body)) == ["eocortex_exporter_build_info"]


# ---- one series per thing, even when the snapshot repeats it -----------------------------------------


def test_a_camera_listed_by_two_servers_is_reported_once_from_the_first_server_id() -> None:
    target = populated_target()
    twice = CamerasSection(
        cameras=(Camera(CAM_1, "Copy", False, SECOND),),
        statuses=(CameraStatus(CAM_1, "Wait", False, 0.0, 0.0, 0.0),),
    )
    body = render(_with(target, cameras={**target.sections.of(CamerasSection), SECOND: twice}))
    info = [
        dict(labels) for labels in samples(body, "eocortex_camera_info") if dict(labels)["camera_id"] == CAM_1
    ]
    first = min(MAIN, SECOND)
    assert [row["server_id"] for row in info] == [first]
    status = samples(body, "eocortex_camera_status")
    ones = [
        dict(labels)["status"]
        for labels, v in status.items()
        if dict(labels)["camera_id"] == CAM_1 and v == 1
    ]
    assert len(ones) == 1
    parse(body)  # and the parser accepts the whole exposition


def test_a_visitor_row_repeated_on_two_servers_is_reported_once() -> None:
    target = populated_target()
    row = VisitorCounts(CAM_3, total=1, unique=1, gender={"Other": 1}, age={}, emotion={})
    body = render(
        _with(
            target, visitors={**target.sections.of(VisitorsSection), MAIN: VisitorsSection(visitors=(row,))}
        )
    )
    assert len(samples(body, "eocortex_visitors_total")) == 1
    assert _label_values(body, "gender") in ({"Other"}, {"Female", "Male"})


def test_two_api_names_with_one_label_value_give_one_series() -> None:
    target = populated_target()
    server = dataclasses.replace(
        target.topology.servers[0], license_total={"PTZChannels": 1, "PtzChannels": 2}
    )
    body = render(_with(target, topology=dataclasses.replace(target.topology, servers=(server,))))
    found = samples(body, "eocortex_server_license_channels_limit")
    assert list(found.values()) == [1.0]  # the first API name in sorted order wins


# ---- bytes -------------------------------------------------------------------------------------------


def _reversed(snapshot: ExporterSnapshot) -> ExporterSnapshot:
    """The same data with every tuple and mapping in the opposite order."""

    def flip_map(mapping):
        return dict(reversed(list(mapping.items())))

    targets = []
    for target in reversed(snapshot.targets):
        topology = target.topology and dataclasses.replace(
            target.topology, servers=tuple(reversed(target.topology.servers))
        )
        cameras = {
            sid: CamerasSection(tuple(reversed(s.cameras)), tuple(reversed(s.statuses)))
            for sid, s in flip_map(target.sections.of(CamerasSection)).items()
        }
        zones = {
            sid: ObjectCountingSection(
                tuple(dataclasses.replace(z, counts=flip_map(z.counts)) for z in reversed(s.zones))
            )
            for sid, s in flip_map(target.sections.of(ObjectCountingSection)).items()
        }
        api = ApiStats(
            requests=flip_map(target.api.requests),
            durations=flip_map(target.api.durations),
            parse_errors=flip_map(target.api.parse_errors),
        )
        targets.append(
            replace_target(
                target,
                topology=topology,
                servers_up=flip_map(target.servers_up),
                collectors=flip_map(target.collectors),
                api=api,
                cameras=cameras,
                object_counting=zones,
                licenses=flip_map(target.sections.of(LicenseSection)),
                visitors=flip_map(target.sections.of(VisitorsSection)),
            )
        )
    return dataclasses.replace(snapshot, targets=tuple(targets))


def test_equal_snapshots_render_to_equal_bytes() -> None:
    assert render(populated()) == render(populated())


def test_order_of_the_input_does_not_change_the_bytes() -> None:
    assert render(_reversed(populated())) == render(populated())


def test_exposition_carries_body_gzip_and_content_type() -> None:
    exposition = build_exposition(populated())
    assert exposition.body == render(populated())
    assert gzip.decompress(exposition.gzipped) == exposition.body
    assert exposition.content_type == CONTENT_TYPE == CONTENT_TYPE_PLAIN_0_0_4
    assert build_exposition(populated()) == exposition  # gzip without a timestamp: same bytes again
    with pytest.raises(dataclasses.FrozenInstanceError):
        exposition.chunks = ()  # type: ignore[misc]


def test_families_are_built_without_rendering() -> None:
    names = [family.name for family in metric_families(with_every_family(populated()))]
    assert names == [family.name for family in CATALOGUE]


# ---- docs ------------------------------------------------------------------------------------------------

DOCS = Path(__file__).parents[2] / "docs" / "metrics.md"


def test_docs_list_every_family_and_its_exact_help_text() -> None:
    docs = DOCS.read_text(encoding="utf-8")
    text = render(populated()).decode()
    for line in text.splitlines():
        if line.startswith("# HELP "):
            assert line in docs, line
            assert f"`{line.split()[2]}`" in docs, line.split()[2]


def documented_rows() -> dict[str, tuple[str, set[str]]]:
    """Exposed name -> (type, label names) from the tables of docs/metrics.md."""
    rows = {}
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0].startswith("`eocortex_"):
            labels = {label.strip("` ") for label in cells[2].split(",") if label.strip()}
            assert cells[0].strip("`") not in rows, f"{cells[0]} is documented twice"
            rows[cells[0].strip("`")] = (cells[1], labels)
    return rows


def test_docs_tables_describe_exactly_the_catalogued_families() -> None:
    rows = documented_rows()
    assert set(rows) == {family.exposed_name for family in CATALOGUE}
    for family in CATALOGUE:
        assert rows[family.exposed_name] == (family.kind, set(family.labels)), family.exposed_name


def test_a_part_that_cannot_be_rendered_is_left_out_and_the_rest_is_served() -> None:
    target = populated_target()
    broken = CamerasSection(cameras=(Camera(CAM_1, "Camera 1", False, MAIN),), statuses=(None,))  # type: ignore[arg-type]
    snapshot = _with(target, cameras={MAIN: broken})
    exposition = build_exposition(snapshot)
    [failure] = exposition.failures
    assert (failure.target, failure.part, type(failure.error)) == ("plant", "cameras", AttributeError)
    families = parse(exposition.body)
    assert "eocortex_camera_info" not in families  # the whole part is left out, not half of it
    assert families["eocortex_up"].samples
    assert families["eocortex_license_info"].samples
    assert families["eocortex_visitors"].samples
    assert gzip.decompress(exposition.gzipped) == exposition.body


# ---- rendering proportional to change ---------------------------------------------------------------


def _counting(collectors):
    """The registry's entries with each render counted by collector name."""
    calls: collections.Counter[str] = collections.Counter()

    def counted(entry):
        def render_and_count(series, target, sections):
            calls[entry.name] += 1
            entry.render(series, target, sections)

        return dataclasses.replace(entry, render=render_and_count)

    return [counted(entry) for entry in collectors], calls


def test_a_cached_render_encodes_only_the_collectors_whose_sections_changed() -> None:
    collectors, calls = _counting(COLLECTORS)
    cache = RenderCache()
    first = populated_target()
    exposition.build_exposition(snapshot_of(first), collectors, cache)
    rendered_once = dict(calls)
    assert set(rendered_once) == {entry.name for entry in COLLECTORS}
    # The same sections again: nothing is rendered, and the bytes are the same.
    again = exposition.build_exposition(snapshot_of(first), collectors, cache)
    assert calls == rendered_once
    assert again.body == render(snapshot_of(first))
    # One camera's status changes: only the cameras part is rendered again, and the result is what a
    # render from scratch makes of the new snapshot.
    kept = first.sections.of(CamerasSection)
    changed = dataclasses.replace(
        kept[MAIN], statuses=(dataclasses.replace(kept[MAIN].statuses[0], status="ErrorMain"),)
    )
    second = replace_target(first, cameras={**kept, MAIN: changed})
    after = exposition.build_exposition(snapshot_of(second), collectors, cache)
    assert calls["cameras"] == rendered_once["cameras"] + 1
    assert {name: count for name, count in calls.items() if name != "cameras"} == {
        name: count for name, count in rendered_once.items() if name != "cameras"
    }
    assert after.body == render(snapshot_of(second)) != again.body
    # A section kept after a failed run renders in another order: that is a change too.
    stale = dataclasses.replace(
        second, sections=Sections(second.sections.by_type, frozenset({(CamerasSection, MAIN)}))
    )
    assert exposition.build_exposition(snapshot_of(stale), collectors, cache).body == render(
        snapshot_of(stale)
    )


def test_a_target_gone_from_the_configuration_leaves_the_cache() -> None:
    cache = RenderCache()
    exposition.build_exposition(snapshot_of(populated_target("a"), populated_target("b")), COLLECTORS, cache)
    only_a = exposition.build_exposition(snapshot_of(populated_target("a")), COLLECTORS, cache)
    assert _label_values(only_a.body, "target") == {"a"}
    assert {key[0] for key in cache._parts} == {"a"}
