"""Tolerant reading of the payloads of archive days, the configure/channels list, analytics plugins,
recognition modules, database totals and export tasks (no HTTP): each documented form is read, and each
unreadable value costs that value only, with a problem saying so."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from eocexporter.client.analytics_payloads import parse_modules, parse_plugins, parse_total
from eocexporter.client.archive_payloads import parse_archive_days, parse_export_tasks
from eocexporter.client.channel_payloads import parse_archiving, parse_channel_list
from eocexporter.client.fields import Fields, PayloadError
from eocexporter.model import EXPORT_ERRORS, EXPORT_STATES

MOSCOW = ZoneInfo("Europe/Moscow")
CAMERA = "7d69e586-25c6-470e-a368-5570d57b2631"
OTHER = "0b3c8d6e-1f2a-4b5c-9d8e-7f6a5b4c3d2e"
SERVER_A = "3c6a1d0e-2b4f-4e8a-9c1d-5e7f9a1b3c5d"
SERVER_B = "8f2e4d6c-1a3b-4c5d-8e9f-0a1b2c3d4e5f"
ZERO = "00000000-0000-0000-0000-000000000000"
PLUGIN = "2deccf01-bac3-4d78-8a67-ac66a8da8d63"


# ---- Fields.enum -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "read"),
    [
        (1, "InQueue"),
        (5, "Done"),
        ("1", "InQueue"),
        (" 4 ", "Error"),
        ("1 - InQueue", "InQueue"),
        ("6 - Expired", "Expired"),
        ("InQueue", "InQueue"),
        ("inqueue", "InQueue"),
        (" INPROCESS ", "InProcess"),
        (7, "7"),
        ("7", "7"),
        ("7 - Paused", "Paused"),
        ("Paused", "Paused"),
        (None, None),
        ("", None),
    ],
)
def test_enum_forms(sent, read) -> None:
    problems: list[str] = []
    assert Fields({"State": sent}, "", problems).enum("State", EXPORT_STATES) == read
    assert problems == []


@pytest.mark.parametrize("sent", [True, False, [1], {"State": 1}, 1.5])
def test_an_enum_of_another_type_is_a_problem(sent) -> None:
    problems: list[str] = []
    assert Fields({"State": sent}, "Items[0].", problems).enum("State", EXPORT_STATES) is None
    assert len(problems) == 1 and problems[0].startswith("Items[0].State: ")


def test_a_missing_enum_is_none_without_a_problem() -> None:
    problems: list[str] = []
    assert Fields({}, "", problems).enum("Error", EXPORT_ERRORS) is None
    assert problems == []


# ---- archive days ------------------------------------------------------------------------------------------


def archive_days(days, zone=MOSCOW):
    return parse_archive_days(
        {"ChannelId": CAMERA, "ChannelName": "Camera 1", "ArchiveDays": days}, CAMERA, zone
    )


def test_archive_days_example_of_the_reference() -> None:
    parsed = archive_days(["2024-08-20T08:51:12.732Z"])
    assert parsed.value.camera_id == CAMERA
    assert parsed.value.days == (date(2024, 8, 20),)
    assert parsed.problems == ()


@pytest.mark.parametrize(
    ("sent", "day"),
    [
        ("2024-08-20T08:51:12.732Z", date(2024, 8, 20)),
        # An instant is a day in the server's zone: 22:30 UTC is the next morning in Moscow.
        ("2024-08-20T22:30:00.000Z", date(2024, 8, 21)),
        ("2024-08-20T20:59:59.9999999Z", date(2024, 8, 20)),  # .NET's seven fractional digits
        ("2024-08-20T21:00:00.0000000Z", date(2024, 8, 21)),
        ("2024-08-20T22:30:00", date(2024, 8, 21)),  # no zone: UTC (Q33)
        ("2024-08-20T01:00:00+03:00", date(2024, 8, 20)),
        ("2024-08-20", date(2024, 8, 20)),  # a date alone is that date, whatever the zone
        (" 2024-08-20 ", date(2024, 8, 20)),
    ],
)
def test_archive_day_forms(sent: str, day: date) -> None:
    parsed = archive_days([sent])
    assert parsed.value.days == (day,)
    assert parsed.problems == ()


def test_a_date_alone_is_not_moved_by_the_zone() -> None:
    assert archive_days(["2024-08-20"], ZoneInfo("America/New_York")).value.days == (date(2024, 8, 20),)
    assert archive_days(["2024-08-20T02:00:00Z"], ZoneInfo("America/New_York")).value.days == (
        date(2024, 8, 19),
    )


def test_net_min_value_is_no_day() -> None:
    parsed = archive_days(["0001-01-01T00:00:00", "2024-08-20T08:51:12.732Z"])
    assert parsed.value.days == (date(2024, 8, 20),)


@pytest.mark.parametrize("garbage", ["yesterday", "2024-02-30", "20.08.2024 garbage", 20240820, None, ["x"]])
def test_an_unreadable_day_is_skipped_with_a_problem(garbage) -> None:
    parsed = archive_days(["2024-08-19T08:00:00Z", garbage, "2024-08-21T08:00:00Z"])
    assert parsed.value.days == (date(2024, 8, 19), date(2024, 8, 21))
    assert len(parsed.problems) == 1 and parsed.problems[0].startswith("ArchiveDays[1]: ")


def test_days_are_sorted_and_each_once() -> None:
    parsed = archive_days(
        [
            "2024-08-21T08:00:00Z",
            "2024-08-19T08:00:00Z",
            "2024-08-19T15:00:00Z",
            "2024-08-19",
            "2024-08-18T21:30:00Z",  # 00:30 on the 19th in Moscow
        ]
    )
    assert parsed.value.days == (date(2024, 8, 19), date(2024, 8, 21))
    assert parsed.value.missing == 1
    assert parsed.problems == ()


def test_cameras_share_one_date_object_per_day() -> None:
    # Each camera's texts are instants of its own (its first recording of the day, as the reference's
    # example prints them); at 10,000 cameras one date object per camera and day was 33 MB of the section.
    first = archive_days(["2024-08-19T00:02:55.857Z", "2024-08-20T00:05:52.034Z"]).value.days
    second = parse_archive_days(
        {"ChannelId": OTHER, "ArchiveDays": ["2024-08-19T00:00:48.224Z", "2024-08-20T07:00:05.648Z"]},
        OTHER,
        MOSCOW,
    ).value.days
    assert first == second
    assert all(mine is theirs for mine, theirs in zip(first, second, strict=True))


@pytest.mark.parametrize("sent", ["2024-08-20T08:51:12.732Z", {"Day": "2024-08-20"}, 42])
def test_archive_days_that_are_not_a_list_are_a_problem(sent) -> None:
    parsed = archive_days(sent)
    assert parsed.value.days == ()
    assert len(parsed.problems) == 1 and parsed.problems[0].startswith("ArchiveDays: expected a list")


def test_null_or_empty_archive_days_are_no_days_without_a_problem() -> None:
    for sent in (None, []):
        parsed = archive_days(sent)
        assert parsed.value.days == () and parsed.value.missing is None and parsed.problems == ()


@pytest.mark.parametrize("payload", [None, [], {}, "text", {"Other": 1}])
def test_an_archive_days_answer_that_is_not_the_document(payload) -> None:
    with pytest.raises(PayloadError):
        parse_archive_days(payload, CAMERA, MOSCOW)


# ---- the configure/channels list ------------------------------------------------------------------------


def brief(camera_id=CAMERA, **changes):
    item = {
        "Id": camera_id,
        "Name": "Camera 1",
        "Disabled": False,
        "ServerBindingsSettings": {
            "OwnerServerId": SERVER_A,
            "ReservedServerId": SERVER_B,
            "ReplicationServerId": ZERO,
            "VideoAnalyticsServerId": ZERO,
        },
        "ParentSecObjectId": SERVER_A,
        "MapSettings": {"Latitude": 55.75, "Longitude": 37.62, "IsOnMap": True},
    }
    item.update(changes)
    return item


def full(camera_id=CAMERA, **changes):
    item = brief(camera_id, **changes)
    map_settings = item.pop("MapSettings")
    item["ArchiveSettings"] = {
        "ArchivingDisabled": False,
        "ArchivingMode": "AlwaysOn",
        "ArchivingMinDeepnessInDays": 7.0,
        "ArchivingMaxDeepnessInDays": 30.0,
    }
    item["AnalyzeSettings"] = {
        "MotionDetectorEnabled": True,
        "AnalyzeStreamType": "Main",
        "FaceDetectorEnabled": False,
        "InteractiveSearchEnabled": "true",
    }
    item["MapSettings"] = map_settings
    return item


def test_a_brief_item_has_bindings_and_no_settings() -> None:
    parsed = parse_channel_list([brief(CAMERA.upper())])
    [channel] = parsed.value
    assert parsed.problems == ()
    assert channel.settings is None
    binding = channel.binding
    assert binding.camera_id == CAMERA
    assert binding.name == "Camera 1"
    assert binding.servers == {"owner": SERVER_A, "reserve": SERVER_B}
    assert (binding.on_map, binding.latitude, binding.longitude) == (True, 55.75, 37.62)


def test_a_full_item_carries_the_settings() -> None:
    parsed = parse_channel_list([full(), brief(OTHER)])
    first, second = parsed.value
    assert parsed.problems == ()
    assert second.settings is None
    settings = first.settings
    assert settings is not None and settings.camera_id == CAMERA
    assert (settings.mode, settings.disabled, settings.min_depth_days, settings.max_depth_days) == (
        "AlwaysOn",
        False,
        7.0,
        30.0,
    )
    assert settings.analytics == {"MotionDetector": True, "FaceDetector": False, "InteractiveSearch": True}
    # The same settings as configure/channels/{id} gives for the camera.
    assert parse_archiving(full(), CAMERA).value == settings


@pytest.mark.parametrize("unset", [ZERO, None, ""])
def test_unset_roles_are_absent(unset) -> None:
    bindings = {key: unset for key in ("ReservedServerId", "ReplicationServerId", "VideoAnalyticsServerId")}
    item = brief(ServerBindingsSettings={"OwnerServerId": SERVER_A, **bindings})
    parsed = parse_channel_list([item])
    assert parsed.value[0].binding.servers == {"owner": SERVER_A}
    assert parsed.problems == ()


def test_missing_bindings_and_map_are_empty() -> None:
    item = {"Id": CAMERA, "Name": "Camera 1", "ServerBindingsSettings": None}
    binding = parse_channel_list([item]).value[0].binding
    assert binding.servers == {} and binding.on_map is None
    assert (binding.latitude, binding.longitude) == (None, None)


@pytest.mark.parametrize(
    ("position", "latitude", "longitude", "problems"),
    [
        ({"Latitude": 91.0, "Longitude": 37.62, "IsOnMap": True}, None, 37.62, 1),
        ({"Latitude": -90.0, "Longitude": 180.0, "IsOnMap": True}, -90.0, 180.0, 0),
        ({"Latitude": 55.0, "Longitude": -180.5, "IsOnMap": True}, 55.0, None, 1),
        ({"Latitude": "north", "Longitude": None, "IsOnMap": True}, None, None, 1),
        ({"Latitude": None, "Longitude": None, "IsOnMap": False}, None, None, 0),
    ],
)
def test_coordinates_out_of_range_are_dropped_with_a_problem(position, latitude, longitude, problems) -> None:
    parsed = parse_channel_list([brief(MapSettings=position)])
    binding = parsed.value[0].binding
    assert (binding.latitude, binding.longitude) == (latitude, longitude)
    assert len(parsed.problems) == problems
    assert all(problem.startswith("[0].MapSettings.") for problem in parsed.problems)


def test_a_repeated_camera_and_one_without_id_are_skipped_with_a_problem() -> None:
    second_owner = brief(CAMERA.upper(), Name="Again")
    parsed = parse_channel_list([brief(), second_owner, {"Name": "no id"}, brief(OTHER)])
    assert [channel.binding.camera_id for channel in parsed.value] == [CAMERA, OTHER]
    assert parsed.value[0].binding.name == "Camera 1"
    assert len(parsed.problems) == 2


def test_one_object_for_the_list_is_a_list_of_one() -> None:
    parsed = parse_channel_list(brief())
    assert [channel.binding.camera_id for channel in parsed.value] == [CAMERA]


@pytest.mark.parametrize("payload", [None, "text", 3, {}])
def test_a_list_that_is_not_the_document(payload) -> None:
    with pytest.raises(PayloadError):
        parse_channel_list(payload)


def test_negative_depth_and_bad_flags_cost_their_field_only() -> None:
    item = full()
    item["ArchiveSettings"]["ArchivingMinDeepnessInDays"] = -1
    item["AnalyzeSettings"]["FaceDetectorEnabled"] = "maybe"
    parsed = parse_channel_list([item])
    settings = parsed.value[0].settings
    assert settings.min_depth_days is None and settings.max_depth_days == 30.0
    assert settings.analytics == {"MotionDetector": True, "InteractiveSearch": True}
    assert len(parsed.problems) == 2


def test_null_min_depth_is_absent_without_a_problem() -> None:
    item = full()
    item["ArchiveSettings"]["ArchivingMinDeepnessInDays"] = None
    parsed = parse_archiving(item, CAMERA)
    assert parsed.value.min_depth_days is None and parsed.problems == ()


# ---- analytics plugins -------------------------------------------------------------------------------------


def plugins(plugin_ids, camera_id=CAMERA):
    return {"ChannelId": camera_id, "ChannelName": "Camera 1", "PluginIds": plugin_ids}


def test_plugins_as_the_reference_prints_them() -> None:
    parsed = parse_plugins([plugins([PLUGIN.upper(), OTHER]), plugins([], SERVER_A)])
    assert [(camera.camera_id, camera.plugin_ids) for camera in parsed.value] == [
        (CAMERA, tuple(sorted((PLUGIN, OTHER)))),
        (SERVER_A, ()),
    ]
    assert parsed.problems == ()


def test_plugin_ids_as_one_string_are_a_list_of_one() -> None:
    # PluginIds is typed as one uuid although the example is an array (Q41).
    parsed = parse_plugins([plugins(PLUGIN)])
    assert parsed.value[0].plugin_ids == (PLUGIN,)
    assert parsed.problems == ()


def test_null_plugin_ids_are_none_without_a_problem() -> None:
    parsed = parse_plugins([plugins(None)])
    assert parsed.value[0].plugin_ids == ()
    assert parsed.problems == ()


def test_bad_plugin_entries_cost_that_entry_only() -> None:
    parsed = parse_plugins([plugins([PLUGIN, 42, "", None, PLUGIN, {"Id": OTHER}])])
    assert parsed.value[0].plugin_ids == (PLUGIN,)
    assert len(parsed.problems) == 4


def test_plugin_ids_of_another_type_are_a_problem() -> None:
    parsed = parse_plugins([plugins({"Id": PLUGIN}), plugins(7, OTHER)])
    assert [camera.plugin_ids for camera in parsed.value] == [(), ()]
    assert len(parsed.problems) == 2


def test_plugin_rows_without_a_camera_or_repeated_are_skipped() -> None:
    parsed = parse_plugins([plugins([PLUGIN]), {"PluginIds": [PLUGIN]}, plugins([OTHER], CAMERA.upper())])
    assert [(camera.camera_id, camera.plugin_ids) for camera in parsed.value] == [(CAMERA, (PLUGIN,))]
    assert len(parsed.problems) == 2


@pytest.mark.parametrize("payload", [None, "text", {}])
def test_a_plugin_list_that_is_not_the_document(payload) -> None:
    with pytest.raises(PayloadError):
        parse_plugins(payload)


# ---- recognition modules -----------------------------------------------------------------------------------


def test_modules_as_the_reference_prints_them() -> None:
    payload = {
        "faces_modules": [
            {"name": "basic", "enabled": False},
            {"name": "expert", "enabled": False},
            {"name": "complete", "enabled": True},
        ]
    }
    parsed = parse_modules(payload, "faces_modules")
    assert parsed.value == {"basic": False, "expert": False, "complete": True}
    assert parsed.problems == ()


def test_one_module_object_instead_of_an_array() -> None:
    # The carconfig example prints objects without an array (Q19): one object is a list of one.
    parsed = parse_modules({"auto_modules": {"name": "complete", "enabled": "true"}}, "auto_modules")
    assert parsed.value == {"complete": True}
    assert parsed.problems == ()


def test_a_module_without_a_name_or_repeated_is_skipped() -> None:
    payload = {
        "auto_modules": [
            {"enabled": True},
            {"name": " ", "enabled": True},
            {"name": "complete", "enabled": True},
            {"name": "complete", "enabled": False},
            {"name": "light", "enabled": None},
        ]
    }
    parsed = parse_modules(payload, "auto_modules")
    assert parsed.value == {"complete": True, "light": None}
    assert len(parsed.problems) == 3


def test_no_modules() -> None:
    assert parse_modules({"faces_modules": []}, "faces_modules").value == {}
    assert parse_modules({"faces_modules": None}, "faces_modules").value == {}


@pytest.mark.parametrize("payload", [None, [], {}, {"faces_modules": []}])
def test_a_module_list_that_is_not_the_document(payload) -> None:
    with pytest.raises(PayloadError):
        parse_modules(payload, "auto_modules")


# ---- database totals -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "total", "problems"),
    [
        ({"offset": 0, "portion": 1, "total_count": 5, "faces": [{}]}, 5, 0),
        ({"offset": 0, "portion": 0, "total_count": 0, "plates": []}, 0, 0),
        ({"items": [{}], "page": 0, "total_items": 42}, 42, 0),
        ({"items": [], "page": 1, "total_items": 2147483647}, 2147483647, 0),
        ({"offset": 0, "portion": 1, "total_count": None, "groups": []}, None, 0),
        ({"items": [], "page": 0, "total_items": None}, None, 0),
        ({"total_count": -3}, None, 1),
        ({"total_items": -1}, None, 1),
        ({"total_count": 2.5}, None, 1),
        ({"total_count": "many"}, None, 1),
    ],
)
def test_totals(payload, total, problems) -> None:
    parsed = parse_total(payload)
    assert parsed.value == total
    assert len(parsed.problems) == problems


@pytest.mark.parametrize("payload", [None, [], {}, {"faces": []}])
def test_a_total_that_is_not_the_document(payload) -> None:
    with pytest.raises(PayloadError):
        parse_total(payload)


# ---- export tasks ----------------------------------------------------------------------------------------


def task(task_id, state=5, error=0, params="default"):
    item = {"Id": task_id, "State": state, "Error": error}
    if params == "default":
        params = {"ChannelId": CAMERA.upper(), "StartTimeUtc": "2024-08-20T08:00:00.000Z"}
    if params != "missing":
        item["Params"] = params
    return item


TASK_IDS = [f"00000000-0000-4000-8000-00000000000{n}" for n in range(10)]


def test_tasks_in_items_with_params() -> None:
    payload = {
        "Items": [task(TASK_IDS[0], 1, "0 - None"), task(TASK_IDS[1], "4 - Error", 2)],
        "Page": 0,
        "TotalItems": 2,
    }
    parsed = parse_export_tasks(payload)
    page = parsed.value
    assert [(t.task_id, t.camera_id, t.state, t.error) for t in page.tasks] == [
        (TASK_IDS[0], CAMERA, "InQueue", "None"),
        (TASK_IDS[1], CAMERA, "Error", "NotEnoughSpace"),
    ]
    assert (page.items_on_page, page.total) == (2, 2)
    assert parsed.problems == ()


def test_a_bare_list_of_tasks() -> None:
    parsed = parse_export_tasks([task(TASK_IDS[0]), task(TASK_IDS[1], "Expired")])
    assert [(t.state, t.error) for t in parsed.value.tasks] == [("Done", "None"), ("Expired", "None")]
    assert (parsed.value.items_on_page, parsed.value.total) == (2, None)
    assert parsed.problems == ()


def test_null_or_missing_params_keep_the_task() -> None:
    parsed = parse_export_tasks(
        {"Items": [task(TASK_IDS[0], params=None), task(TASK_IDS[1], params="missing")]}
    )
    assert [(t.task_id, t.camera_id) for t in parsed.value.tasks] == [
        (TASK_IDS[0], None),
        (TASK_IDS[1], None),
    ]
    assert parsed.problems == ()


def test_params_of_another_type_are_a_problem() -> None:
    parsed = parse_export_tasks({"Items": [task(TASK_IDS[0], params="channel")]})
    assert [(t.task_id, t.camera_id, t.state) for t in parsed.value.tasks] == [(TASK_IDS[0], None, "Done")]
    assert len(parsed.problems) == 1


def test_repeated_tasks_and_tasks_without_id_are_skipped() -> None:
    payload = {
        "Items": [
            task(TASK_IDS[0], 4, 1),
            task(TASK_IDS[0].upper(), 5, 0),
            {"State": 5},
            task(TASK_IDS[1]),
            7,
        ],
        "TotalItems": 5,
    }
    parsed = parse_export_tasks(payload)
    assert [(t.task_id, t.state) for t in parsed.value.tasks] == [
        (TASK_IDS[0], "Error"),
        (TASK_IDS[1], "Done"),
    ]
    # Every item of the page counts towards its length, readable or not (a short page is the last one).
    assert parsed.value.items_on_page == 5
    assert len(parsed.problems) == 3


def test_unknown_states_and_errors_are_kept_as_sent() -> None:
    parsed = parse_export_tasks([task(TASK_IDS[0], 7, "4 - ArchiveNotFound"), task(TASK_IDS[1], "Paused", 9)])
    assert [(t.state, t.error) for t in parsed.value.tasks] == [("7", "ArchiveNotFound"), ("Paused", "9")]


def test_no_tasks() -> None:
    for payload in ({"Items": [], "Page": 0, "TotalItems": 0}, {"Items": None, "TotalItems": 0}, []):
        parsed = parse_export_tasks(payload)
        assert parsed.value.tasks == [] and parsed.value.items_on_page == 0 and parsed.problems == ()


@pytest.mark.parametrize("payload", [None, "text", {}, {"Other": []}])
def test_a_task_page_that_is_not_the_document(payload) -> None:
    with pytest.raises(PayloadError):
        parse_export_tasks(payload)
