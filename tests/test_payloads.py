"""Tolerant reading of the payloads, on the variants the reference shows (digest section 6)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from eocexporter.client.payloads import (
    PayloadError,
    normalise_state,
    parse_channels,
    parse_counters,
    parse_license,
    parse_servers,
    parse_status,
    parse_time,
    parse_visitor_report,
)
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
    )
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
        ("", "Unknown"),
    ],
)
def test_camera_states_match_without_case(reported: str, state: str) -> None:
    assert normalise_state(reported) == state


def test_booleans_as_strings_nulls_and_unknown_fields() -> None:
    status = parse_status(
        {"Id": CAMERA, "AltEnabled": "true", "ReceiveVideoMbps": None, "Status": None, "StreamsStatuses": []},
        CAMERA,
    )
    assert status.alt_enabled is True
    assert status.receive_main_mbps == 0.0
    assert status.status == "Unknown"
    [camera] = parse_channels([{"Id": CAMERA.upper(), "Name": None, "Disabled": "False", "Extra": 1}], "s1")
    assert (camera.camera_id, camera.name, camera.disabled, camera.server_id) == (CAMERA, "", False, "s1")


def test_wrong_shape_is_a_payload_error_naming_the_field() -> None:
    with pytest.raises(PayloadError, match=r"^0\.Id: Field required$"):
        parse_channels([{"Name": "no id"}], "s1")
    with pytest.raises(PayloadError, match=r"AltEnabled"):
        parse_status({"Id": CAMERA, "AltEnabled": "maybe"}, CAMERA)


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
    )
    assert server.server_id == "cd81195c-9c0e-42f0-8535-c55af9c35161"
    assert server.license_total == {"Channels": 400, "ReservedChannels": 400}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-08-20T09:28:54.009Z", datetime(2024, 8, 20, 9, 28, 54, 9000, tzinfo=UTC)),
        ("2021-04-28T11:24:30.8956469Z", datetime(2021, 4, 28, 11, 24, 30, 895646, tzinfo=UTC)),
        ("2023-05-26T07:51:45.617841", datetime(2023, 5, 26, 7, 51, 45, 617841, tzinfo=UTC)),
        ("2026-01-01T03:00:00+03:00", datetime(2026, 1, 1, tzinfo=UTC)),
        ("0001-01-01T00:00:00", None),
        ("", None),
        (None, None),
    ],
)
def test_time_formats_of_the_api(text: str | None, expected: datetime | None) -> None:
    assert parse_time(text) == expected


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
    )
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
    assert parse_counters(one) == parse_counters([one])
    line, area = parse_counters(one)
    assert (line.zone_id, line.kind, line.counts) == (
        "0af772da-9993-4a39-a785-4e7c89efe55a",
        "LineSection",
        {"Person": 16, "Animal": 7},
    )
    assert area.counts == {}
    assert parse_counters([]) == []


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
    [row], unattributed = parse_visitor_report(report, [CAMERA])
    assert (row.camera_id, row.total, row.unique, row.gender) == (CAMERA, 243, 55, {"Female": 21, "Male": 34})
    assert unattributed == 0
    assert parse_visitor_report(report, [CAMERA, "other"]) == ([], 1)
    assert parse_visitor_report({"Report": None}, [CAMERA]) == ([], 0)
