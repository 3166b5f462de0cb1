"""Tolerant reading of the payloads, on the variants the reference shows (digest section 6)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from eocexporter.client.fields import Fields, count_of
from eocexporter.client.payloads import (
    PayloadError,
    normalise_state,
    parse_channels,
    parse_counters,
    parse_license,
    parse_object_report,
    parse_servers,
    parse_status,
    parse_visitor_report,
)
from eocexporter.client.times import UnreadableTime, parse_api_time
from eocexporter.model import ModuleLicense

CAMERA = "7d69e586-25c6-470e-a368-5570d57b2631"


def test_status_example_of_the_reference() -> None:
    # L526-534 verbatim: ints where floats are documented, "Ok" casing.
    status = parse_status(
        {
            "Id": CAMERA,
            "Name": "Camera 1",
            "AltEnabled": False,
            "ReceiveVideoMbps": 0.8812103271484375,
            "ReceiveAltVideoMbps": 0,
            "WriteVideoMbps": 0,
            "Status": "Ok",
        },
        CAMERA,
    ).value
    assert (status.status, status.receive_main_mbps, status.receive_alt_mbps) == (
        "Ok",
        0.8812103271484375,
        0.0,
    )


@pytest.mark.parametrize(
    ("reported", "state"),
    [
        ("OK", "Ok"),
        ("Ok", "Ok"),
        ("ok", "Ok"),
        ("ERRORMAIN", "ErrorMain"),
        ("erroralt", "ErrorAlt"),
        (" Wait ", "Wait"),
        ("ErrorSound", "ErrorSound"),
        ("Degraded", "Degraded"),
        ("", None),
        (None, None),
    ],
)
def test_camera_states_match_without_case(reported: str | None, state: str | None) -> None:
    assert normalise_state(reported) == state


def test_booleans_as_strings_nulls_and_unknown_fields() -> None:
    parsed = parse_status(
        {"Id": CAMERA, "AltEnabled": "true", "ReceiveVideoMbps": None, "Status": None, "StreamsStatuses": []},
        CAMERA,
    )
    status = parsed.value
    assert status.alt_enabled is True
    # Null or missing is absent (None), not 0 and not a problem: the reference prints nulls (Q42).
    assert (status.receive_main_mbps, status.receive_alt_mbps, status.write_mbps, status.status) == (
        None,
        None,
        None,
        None,
    )
    assert parsed.problems == ()
    [camera] = parse_channels(
        [{"Id": CAMERA.upper(), "Name": None, "Disabled": "False", "Extra": 1}], "s1"
    ).value
    assert (camera.camera_id, camera.name, camera.disabled, camera.server_id) == (CAMERA, "", False, "s1")


def test_a_bad_field_costs_only_that_field_and_a_bad_item_only_that_item() -> None:
    status = parse_status(
        {"Id": CAMERA, "AltEnabled": "maybe", "ReceiveVideoMbps": 1.5, "Status": "Ok"}, CAMERA
    )
    assert (status.value.alt_enabled, status.value.receive_main_mbps, status.value.status) == (
        None,
        1.5,
        "Ok",
    )
    assert status.problems == ("AltEnabled: expected true or false, got text 'maybe'",)
    channels = parse_channels([{"Name": "no id"}, "text", {"Id": CAMERA, "Disabled": 2}], "s1")
    assert [camera.camera_id for camera in channels.value] == [CAMERA]
    assert channels.value[0].disabled is None
    assert channels.problems == (
        "camera skipped: [0].Id: missing",
        "[1]: expected an object, got text 'text'",
        "[2].Disabled: expected true or false, got a number",
    )


@pytest.mark.parametrize("document", [None, "text", 3])
def test_a_document_that_is_not_a_list_is_an_error_not_an_empty_list(document) -> None:
    with pytest.raises(PayloadError, match=r"^expected a list, got "):
        parse_channels(document, "s1")
    with pytest.raises(PayloadError, match=r"^expected an object, got "):
        parse_status(document, CAMERA)


def test_an_empty_object_is_an_empty_list_only_where_the_api_answers_so() -> None:
    # Object counting of a server with nothing configured answers {} (Q37: an object or an array).
    assert parse_counters({}).value == []
    assert parse_object_report({}).value == []
    # Elsewhere {} is not the document: read as "no cameras" it would empty the server silently.
    with pytest.raises(PayloadError, match="expected a list, got an empty object"):
        parse_channels({}, "s1")
    with pytest.raises(PayloadError, match="expected a list, got an empty object"):
        parse_servers({})


@pytest.mark.parametrize("parse", [parse_status, parse_license])
def test_an_object_with_none_of_the_fields_is_not_the_document(parse) -> None:
    for document in ({}, {"Unexpected": 1}):
        with pytest.raises(PayloadError, match="got one with none of them"):
            parse(document, "x")


def test_an_installation_without_any_server_is_not_an_installation() -> None:
    with pytest.raises(PayloadError, match="no server listed"):
        parse_servers([])


def test_a_repeated_item_is_read_once_and_noted() -> None:
    camera = {"Id": CAMERA, "Name": "Gate"}
    parsed = parse_channels([camera, {**camera, "Name": "Gate again"}, camera], "s1")
    assert [item.name for item in parsed.value] == ["Gate"]
    assert parsed.problems == (f"camera {CAMERA} repeated, skipped",) * 2
    line = {"Id": "l1", "Name": "Line", "StartCounts": {"Person": 1}, "TotalCounts": {"Person": 2}}
    report = parse_object_report([{"Id": CAMERA, "Zones": [line, line]}, {"Id": CAMERA, "Zones": [line]}])
    assert len(report.value) == 1 and len(report.problems) == 2
    rows = parse_visitor_report({"Report": [{"ChannelId": CAMERA, "TotalVisitors": 1}] * 3}, [CAMERA])
    assert len(rows.value[0]) == 1 and len(rows.problems) == 2


def test_servers_example_without_people_counter_key() -> None:
    # configure/servers/{id} example (L4326-4349) lacks PeopleCounterChannels (Q27); one object, not a list.
    [server] = parse_servers(
        {
            "Id": "CD81195C-9C0E-42F0-8535-C55AF9C35161",
            "Name": "Server 1",
            "Hostname": "127.0.0.1",
            "Port": 8080,
            "IsReplicationServer": False,
            "TotalLicParams": {"Channels": 400, "ReservedChannels": 400},
            "UsedLicParams": {"Channels": 2, "ReservedChannels": 0},
        }
    ).value
    assert server.server_id == "cd81195c-9c0e-42f0-8535-c55af9c35161"
    assert server.license_total == {"Channels": 400, "ReservedChannels": 400}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-08-20T09:28:54.009Z", datetime(2024, 8, 20, 9, 28, 54, 9000, tzinfo=UTC)),
        ("2021-04-28T11:24:30.8956469Z", datetime(2021, 4, 28, 11, 24, 30, 895646, tzinfo=UTC)),
        ("2021-02-16T17:44:32.833567Z", datetime(2021, 2, 16, 17, 44, 32, 833567, tzinfo=UTC)),
        ("2023-05-26T07:51:45.617841", datetime(2023, 5, 26, 7, 51, 45, 617841, tzinfo=UTC)),
        ("2023-05-26T07:51:45", datetime(2023, 5, 26, 7, 51, 45, tzinfo=UTC)),
        ("2026-01-01T03:00:00+03:00", datetime(2026, 1, 1, tzinfo=UTC)),
        ("2024-08-20T08:20", datetime(2024, 8, 20, 8, 20, tzinfo=UTC)),
        ("20.08.2030 12:28:54", datetime(2030, 8, 20, 12, 28, 54, tzinfo=UTC)),
        ("20.08.2030 12:28:54.250", datetime(2030, 8, 20, 12, 28, 54, 250000, tzinfo=UTC)),
        ('"2022.12.22 18:00:00"', datetime(2022, 12, 22, 18, tzinfo=UTC)),
        ("18.06.2023+00:00:00", datetime(2023, 6, 18, tzinfo=UTC)),
        ("0001-01-01T00:00:00", None),
        ("01.01.0001 00:00:00", None),
        ("", None),
    ],
)
def test_every_time_format_of_the_api(text: str, expected: datetime | None) -> None:
    assert parse_api_time(text) == expected


def test_a_dotted_time_is_server_local_and_a_zone_less_iso_time_utc() -> None:
    moscow = ZoneInfo("Europe/Moscow")
    assert parse_api_time("20.08.2030 12:28:54", moscow) == datetime(2030, 8, 20, 9, 28, 54, tzinfo=UTC)
    assert parse_api_time("2030-08-20T12:28:54", moscow) == datetime(2030, 8, 20, 12, 28, 54, tzinfo=UTC)
    assert parse_api_time("2030-08-20T12:28:54Z", moscow) == datetime(2030, 8, 20, 12, 28, 54, tzinfo=UTC)


@pytest.mark.parametrize("text", ["tomorrow", "31.02.2030 10:00:00", "2030-13-01T00:00:00"])
def test_a_text_that_is_no_time_is_refused_by_name(text: str) -> None:
    with pytest.raises(UnreadableTime, match="not a time the API uses"):
        parse_api_time(text)


def test_license_modules_and_features() -> None:
    license_ = parse_license(
        {
            "ProductType": "Ultra",
            "IsTimeLimited": "true",
            "TimeLimit": "2027-01-01T00:00:00Z",
            "IsMaxClientsLimited": True,
            "VideoAnalystServer": False,
            "IsVideoWallEnabled": "false",
            "FaceDetectorChannels": {"OnServer": 1, "Used": 3, "Total": 10},
            "ShelfFullnessDetectors": {"OnServer": 0, "Used": 0, "Total": 2},
        },
        "s1",
    ).value
    assert license_.is_time_limited is True
    assert license_.time_limit == datetime(2027, 1, 1, tzinfo=UTC)
    assert license_.features == {"VideoAnalystServer": False, "IsVideoWallEnabled": False}
    assert license_.modules == {
        "FaceDetectorChannels": ModuleLicense(used=3, on_server=1, total=10),
        "ShelfFullnessDetectors": ModuleLicense(used=0, on_server=0, total=2),
    }


def test_counters_one_object_or_a_list() -> None:
    one = {
        "Id": CAMERA,
        "ChannelName": "Plant",
        "Zones": [
            {
                "Id": "0AF772DA-9993-4A39-A785-4E7C89EFE55A",
                "Name": "Line",
                "Type": "LineSection",
                "CurrentCounts": {"Person": 16, "Animal": 7},
            },
            {
                "Id": "d98c95d6-9e6a-4a5e-80a4-184826846b17",
                "Name": "Area",
                "Type": "Zone",
                "CurrentCounts": None,
            },
        ],
    }
    assert parse_counters(one).value == parse_counters([one]).value
    line, area = parse_counters(one).value
    assert (line.zone_id, line.kind, line.counts) == (
        "0af772da-9993-4a39-a785-4e7c89efe55a",
        "LineSection",
        {"Person": 16, "Animal": 7},
    )
    assert area.counts == {}
    assert parse_counters([]).value == []


def test_visitor_row_with_null_channel_is_attributed_only_when_one_camera_was_asked() -> None:
    report = {
        "Report": [
            {
                "ChannelId": None,
                "TotalVisitors": 243,
                "UniqueVisitors": 55,
                "GenderDistribution": {"Female": 21, "Male": 34},
            }
        ]
    }
    [row], unattributed = parse_visitor_report(report, [CAMERA]).value
    assert (row.camera_id, row.total, row.unique, row.gender) == (CAMERA, 243, 55, {"Female": 21, "Male": 34})
    assert unattributed == 0
    assert parse_visitor_report(report, [CAMERA, "other"]).value == ([], 1)
    assert parse_visitor_report({"Report": None}, [CAMERA]).value == ([], 0)


def test_an_unreadable_time_limit_costs_only_the_expiry() -> None:
    parsed = parse_license(
        {
            "IsTimeLimited": True,
            "TimeLimit": "next spring",
            "FaceDetectorChannels": {"Used": 3, "Total": 10},
            "PlateRecognitionChannels": {"OnServer": None, "Used": None, "Total": 4},
        },
        "s1",
    )
    assert parsed.value.time_limit is None
    assert parsed.value.modules == {
        "FaceDetectorChannels": ModuleLicense(used=3, on_server=None, total=10),
        "PlateRecognitionChannels": ModuleLicense(used=None, on_server=None, total=4),
    }
    assert parsed.problems == ("TimeLimit: not a time the API uses: 'next spring'",)


def test_null_counts_stay_absent_and_a_zone_without_id_is_skipped() -> None:
    parsed = parse_counters(
        [
            {
                "Id": CAMERA,
                "Zones": [
                    {"Id": "a", "Type": "LineSection", "CurrentCounts": {"Person": None, "Car": 2}},
                    {"Name": "no id", "Type": "Zone"},
                ],
            }
        ]
    )
    [zone] = parsed.value
    assert zone.counts == {"Person": None, "Car": 2}
    assert parsed.problems == ("zone skipped: [0].Zones[1].Id: missing",)


@pytest.mark.parametrize(
    "sent", [0, 7, -3, 2**53, -(2**53), 2**53 + 1, 2**64, True, False, 2.0, 2.5, "4", " 5 ", "x", None, [1]]
)
def test_a_count_in_a_map_is_read_as_a_lone_count_is(sent) -> None:
    # Counting maps take a shortcut for plain JSON integers: it must read every value as count_of does.
    map_problems: list[str] = []
    counts = Fields({"CurrentCounts": {"Person": sent}}, "", map_problems).counts("CurrentCounts")
    lone_problems: list[str] = []
    expected = count_of(sent, lambda what: lone_problems.append(f"CurrentCounts.Person: {what}"))
    assert counts == {"Person": expected}
    assert type(counts["Person"]) is type(expected)
    assert map_problems == lone_problems
