"""Series follow the API: what disappears goes, what fails briefly stays, awkward names survive."""

from __future__ import annotations

from conftest import make_settings
from helpers import parse_samples, series, value

from eocexporter.registry import catalogue

STATUS = "api/channels/{id}/status"


async def test_a_removed_camera_loses_its_series_at_the_next_update(sim, exporter_factory) -> None:
    exporter = exporter_factory(make_settings(sim.main_url))
    assert await exporter.collect_once()
    camera = next(c for c in sim.installation.cameras if c.zones and not c.disabled)
    before = parse_samples(exporter.exposition.body)
    assert series(before, "eocortex_camera_info", camera_id=camera.id)
    assert series(before, "eocortex_camera_status", camera_id=camera.id)
    assert series(before, "eocortex_object_counting_line_crossings_total", camera_id=camera.id) or series(
        before, "eocortex_object_counting_zone_objects", camera_id=camera.id
    )
    sim.installation.remove_camera(camera.id)
    assert await exporter.collect_once()
    after = parse_samples(exporter.exposition.body)
    for family in catalogue():
        if "camera_id" in family.labels:
            assert series(after, family.exposed_name, camera_id=camera.id) == {}, family.name
    others = len(series(before, "eocortex_camera_info")) - 1
    assert len(series(after, "eocortex_camera_info")) == others


async def test_a_renamed_camera_has_one_info_series_with_the_new_name(sim, exporter_factory) -> None:
    exporter = exporter_factory(make_settings(sim.main_url))
    assert await exporter.collect_once()
    camera = next(c for c in sim.installation.cameras if not c.disabled)
    sim.installation.rename_camera(camera.id, "Parking, north")
    assert await exporter.collect_once()
    [labels] = series(parse_samples(exporter.exposition.body), "eocortex_camera_info", camera_id=camera.id)
    assert dict(labels)["camera"] == "Parking, north"


async def test_a_failed_cycle_keeps_the_last_complete_data_then_drops_it(sim, exporter_factory) -> None:
    # stale_after_intervals=0 would drop at once; with the default 3 the data stays while it is recent.
    exporter = exporter_factory(make_settings(sim.main_url))
    assert await exporter.collect_once()
    before = series(parse_samples(exporter.exposition.body), "eocortex_camera_status")
    sim.faults.set_error_rate(STATUS, 1.0, status=500)
    assert not await exporter.collect_once()
    samples = parse_samples(exporter.exposition.body)
    assert value(samples, "eocortex_collector_success", collector="cameras") == 0
    assert series(samples, "eocortex_camera_status") == before

    dropping = exporter_factory(make_settings(sim.main_url, stale_after_intervals=0))
    sim.faults.set_error_rate(STATUS, 0)
    assert await dropping.collect_once()
    sim.faults.set_error_rate(STATUS, 1.0, status=500)
    assert not await dropping.collect_once()
    assert series(parse_samples(dropping.exposition.body), "eocortex_camera_status") == {}


async def test_names_with_quotes_backslashes_newlines_and_cyrillic_survive(sim, exporter_factory) -> None:
    exporter = exporter_factory(make_settings(sim.main_url))
    assert await exporter.collect_once()
    samples = parse_samples(exporter.exposition.body)
    awkward_cameras = [
        c for c in sim.installation.cameras if any(ch in c.name for ch in '"\\\n') or _cyrillic(c.name)
    ]
    assert awkward_cameras, "the simulator names some cameras awkwardly"
    for camera in awkward_cameras:
        [labels] = series(samples, "eocortex_camera_info", camera_id=camera.id)
        assert dict(labels)["camera"] == camera.name
    zones = [
        (camera, zone)
        for camera in sim.installation.cameras
        for zone in camera.zones
        if any(ch in zone.name for ch in '"\\\n') or _cyrillic(zone.name)
    ]
    assert zones, "the simulator names some zones awkwardly"
    for camera, zone in zones:
        if camera.disabled:
            continue
        found = {
            dict(k)["zone"]
            for name in (
                "eocortex_object_counting_line_crossings_total",
                "eocortex_object_counting_zone_objects",
            )
            for k in series(samples, name, camera_id=camera.id, zone_id=zone.id)
        }
        assert found == {zone.name}


def _cyrillic(text: str) -> bool:
    return any("\u0400" <= ch <= "\u04ff" for ch in text)
