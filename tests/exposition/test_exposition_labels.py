"""The snake_case rule, pinned on every key of the reference's licence and server list examples."""

from __future__ import annotations

import pytest

from eocexporter.exposition import feature_label, module_label, snake_case

# webapi/license example, reference L7919-8112: <Module>Channels objects, in the order printed.
LICENSE_MODULES = {
    "NonRegistratorChannels": "non_registrator",
    "RegistratorChannels": "registrator",
    "ReservedChannels": "reserved",
    "SoundChannels": "sound",
    "PtzChannels": "ptz",
    "PosTerminalChannels": "pos_terminal",
    "FaceDetectorChannels": "face_detector",
    "InteractiveSearchChannels": "interactive_search",
    "PlateRecognitionChannels": "plate_recognition",
    "PeopleCntChannels": "people_cnt",
    "TrackingChannels": "tracking",
    "HeatMapChannels": "heat_map",
    "QueueCounterChannels": "queue_counter",
    "AbandonedObjectChannels": "abandoned_object",
    "CrowdCountingChannels": "crowd_counting",
    "FireAndSmokeChannels": "fire_and_smoke",
    "PersonalControlChannels": "personal_control",
    "LoudSoundChannels": "loud_sound",
    "ObjectCounterModuleChannels": "object_counter_module",
    "EmergencyVehicleDetectionModuleChannels": "emergency_vehicle_detection_module",
    "FallenPeopleDetectionModuleChannels": "fallen_people_detection_module",
    "OurPlatesModuleChannels": "our_plates_module",
    "AutoMarshalChannels": "auto_marshal",
    "FishEyeChannels": "fish_eye",
    "PeopleCnt3DChannels": "people_cnt_3d",
    "HardHatDetectionChannels": "hard_hat_detection",
    "ShelfFullnessDetectors": "shelf_fullness_detectors",
    "LightFaceRecognitionChannels": "light_face_recognition",
    "CompleteFaceRecognitionChannels": "complete_face_recognition",
    "VisitorStatisticsFaceRecognitionChannels": "visitor_statistics_face_recognition",
    "CameraBuiltInAnalystChannels": "camera_built_in_analyst",
}

# webapi/license example, reference L7919-7940: the feature flags.
LICENSE_FEATURES = {
    "VideoAnalystServer": "video_analyst_server",
    "IsNetworkLicenseEnabled": "network_license",
    "IsRestConfigurationEnabled": "rest_configuration",
    "IsActiveDirectoryAuthEnabled": "active_directory_auth",
    "IsJuniorAdminEnabled": "junior_admin",
    "IsMessengerEnabled": "messenger",
    "IsVideoWallEnabled": "video_wall",
    "IsDuplicateArchiveEnabled": "duplicate_archive",
    "IsArchiveThinningEnabled": "archive_thinning",
    "IsMonitoringEnabled": "monitoring",
    "IsPriorityPtzEnabled": "priority_ptz",
    "IsAlarmOnPlansEnabled": "alarm_on_plans",
    "IsArchiveEpisodesFeatureEnabled": "archive_episodes_feature",
    "IsLongTermDatabaseFeatureEnabled": "long_term_database_feature",
    "IsEchdIntegrationEnabled": "echd_integration",
}

# webapi/license example, the remaining top-level keys: not labels today, but the rule must hold for them.
LICENSE_OTHER_KEYS = {
    "ProductType": "product_type",
    "IsTimeLimited": "is_time_limited",
    "TimeLimit": "time_limit",
    "Language": "language",
    "IsMaxClientsLimited": "is_max_clients_limited",
    "MaxClients": "max_clients",
    "OnServer": "on_server",
    "Used": "used",
    "Total": "total",
}

# configure/servers example, reference L4255-4282: TotalLicParams / UsedLicParams keys.
SERVER_LICENSE_KINDS = {
    "Channels": "channels",
    "SoundChannels": "sound",
    "PtzChannels": "ptz",
    "FaceRecognitionChannels": "face_recognition",
    "PlateRecognCompleteChannels": "plate_recogn_complete",
    "PlateRecognLightChannels": "plate_recogn_light",
    "PeopleCounterChannels": "people_counter",
    "ReservedChannels": "reserved",
}

# configure/servers example, the server object's own keys.
SERVER_KEYS = {
    "Id": "id",
    "Name": "name",
    "Hostname": "hostname",
    "Port": "port",
    "IsReplicationServer": "is_replication_server",
    "UseFastReservation": "use_fast_reservation",
    "TotalLicParams": "total_lic_params",
    "UsedLicParams": "used_lic_params",
}


@pytest.mark.parametrize(("api_name", "label"), sorted(LICENSE_MODULES.items()))
def test_license_module_names_become_snake_case_without_channels(api_name: str, label: str) -> None:
    assert module_label(api_name) == label


@pytest.mark.parametrize(("api_name", "label"), sorted(SERVER_LICENSE_KINDS.items()))
def test_server_licence_kinds_become_snake_case_without_channels(api_name: str, label: str) -> None:
    assert module_label(api_name) == label


@pytest.mark.parametrize(("api_name", "label"), sorted(LICENSE_FEATURES.items()))
def test_feature_flags_drop_is_and_enabled(api_name: str, label: str) -> None:
    assert feature_label(api_name) == label


@pytest.mark.parametrize(("api_name", "label"), sorted({**LICENSE_OTHER_KEYS, **SERVER_KEYS}.items()))
def test_every_other_reference_key_follows_the_same_rule(api_name: str, label: str) -> None:
    assert snake_case(api_name) == label


@pytest.mark.parametrize(
    ("api_name", "label"),
    [
        ("PeopleCnt3DChannels", "people_cnt_3d_channels"),  # digits start a word and keep the capital after
        ("Cnt3Channels", "cnt_3_channels"),  # ... but not a capital that starts the next word
        ("PTZChannels", "ptz_channels"),  # an acronym ends before the capital of the next word
        ("Ipv6", "ipv_6"),
        ("already_snake", "already_snake"),
        ("Channels", "channels"),
    ],
)
def test_snake_case_edge_cases(api_name: str, label: str) -> None:
    assert snake_case(api_name) == label


def test_every_module_maps_to_its_own_label() -> None:
    labels = [module_label(name) for name in LICENSE_MODULES]
    assert len(set(labels)) == len(labels)
