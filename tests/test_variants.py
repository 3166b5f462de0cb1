"""Every reading of the ambiguous reference that the simulator can produce gives the same metrics.

docs/eocortex-api-notes.md lists the readings; the simulator switches between them (its `Variants`).
"""

from __future__ import annotations

import pytest
from conftest import make_settings
from helpers import parse_samples, series, value

# What may legitimately differ between two runs: timings, and how many requests it took.
_VOLATILE_PREFIXES = (
    "eocortex_api_",
    "eocortex_collector_duration_seconds",
    "eocortex_collector_last_success_timestamp_seconds",
    "eocortex_exporter_config_last_reload_success_timestamp_seconds",
)


def stable(samples):
    return {key: v for key, v in samples.items() if not key[0].startswith(_VOLATILE_PREFIXES)}


async def collect(sim, exporter_factory):
    exporter = exporter_factory(make_settings(sim.main_url))
    assert await exporter.collect_once()
    return parse_samples(exporter.exposition.body)


@pytest.mark.parametrize(
    "variant",
    [
        {"status_ok": "OK"},
        {"booleans_as_strings": True},
        {"whole_numbers_as_int": False},
        {"visitor_channel_id_null": True},
        # Milliseconds instead of .NET's 7 digits: the expiry differs below a millisecond.
        {"time_limit_fraction_digits": 3},
        {"unlimited_time_limit": "null"},
        {"server_detail_without_people_counter": True},
    ],
    ids=lambda variant: next(iter(variant)),
)
async def test_variant_gives_the_same_metrics(sim, exporter_factory, variant) -> None:
    baseline = stable(await collect(sim, exporter_factory))
    sim.installation.set_variants(**variant)
    assert stable(await collect(sim, exporter_factory)) == pytest.approx(baseline, abs=0.001)


async def test_unknown_fields_are_ignored_and_new_licence_flags_picked_up(sim, exporter_factory) -> None:
    baseline = stable(await collect(sim, exporter_factory))
    sim.installation.set_variants(extra_fields=True)
    samples = stable(await collect(sim, exporter_factory))
    extra = {key: v for key, v in samples.items() if key not in baseline}
    assert {key: v for key, v in samples.items() if key in baseline} == baseline
    # The simulator adds an undocumented IsCloudArchiveEnabled flag: a feature like the others.
    assert {dict(labels)["feature"] for _, labels in extra} == {"cloud_archive"}
    assert {name for name, _ in extra} == {"eocortex_license_feature_enabled"}


async def test_visitor_rows_without_channel_id_switch_that_server_to_one_camera_per_request(
    sim, exporter_factory, caplog
) -> None:
    sim.installation.set_variants(visitor_channel_id_null=True)
    exporter = exporter_factory(make_settings(sim.main_url))
    assert await exporter.collect_once()
    first = [e for e in sim.request_log if e.template == "api/unique_visitor/report"]
    assert await exporter.collect_once()
    second = [e for e in sim.request_log if e.template == "api/unique_visitor/report"][len(first) :]
    cameras = [c for c in sim.installation.cameras if not c.disabled]
    # First cycle: one request per server that could not be attributed, then one per camera.
    assert len(first) == len(sim.installation.servers) + len(cameras)
    # From then on, straight to one per camera.
    assert len(second) == len(cameras)
    assert caplog.text.count("asking about one camera per request") == len(sim.installation.servers)


async def test_counters_of_a_single_counting_camera_as_a_bare_object(sim, exporter_factory) -> None:
    main = next(server for server in sim.installation.servers if server.is_main)
    counting = sim.installation.counting_cameras(main.id)
    for camera in counting[1:]:
        sim.installation.remove_camera(camera.id)
    baseline = stable(await collect(sim, exporter_factory))
    sim.installation.set_variants(single_counting_camera_as_object=True)
    samples = await collect(sim, exporter_factory)
    assert stable(samples) == baseline
    assert series(
        samples, "eocortex_object_counting_line_crossings_total", camera_id=counting[0].id
    ) or series(samples, "eocortex_object_counting_zone_objects", camera_id=counting[0].id)


async def test_documented_distribution_basis_is_exported_as_reported(sim, exporter_factory, clock) -> None:
    sim.installation.set_variants(visitor_distribution_basis="documented")
    samples = await collect(sim, exporter_factory)
    camera = next(c for c in sim.installation.cameras if c.has_visitor_module and not c.disabled)
    total = value(samples, "eocortex_visitors_total", camera_id=camera.id)
    by_gender = sum(series(samples, "eocortex_visitors_by_gender_total", camera_id=camera.id).values())
    # With uniqueonly=false the parameter table says the breakdown covers all visitors.
    assert by_gender == total


async def test_object_counting_under_the_other_spelling(sim, exporter_factory) -> None:
    # A server that only knows api/object_counting/... (the reference's headings, Q1).
    sim.faults.set_error_rate("api/objects_counting/current_counters", 1.0, status=404)
    baseline_lines = None
    exporter = exporter_factory(make_settings(sim.main_url))
    for _ in range(2):
        assert await exporter.collect_once()
        samples = parse_samples(exporter.exposition.body)
        lines = series(samples, "eocortex_object_counting_line_crossings_total")
        assert lines
        baseline_lines = baseline_lines or lines
        assert lines == baseline_lines
    servers = len(sim.installation.servers)
    log = [entry.template for entry in sim.request_log if "counting" in (entry.template or "")]
    # The first cycle tries both spellings; the second goes straight to the one that answered.
    assert log.count("api/objects_counting/current_counters") == servers
    assert log.count("api/object_counting/current_counters") == 2 * servers
