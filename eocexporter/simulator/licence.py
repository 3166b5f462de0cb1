"""Licence vocabulary: webapi/license keys (L7919-8112) and configure/servers LicParams (L4255-4282)."""

from __future__ import annotations

from collections.abc import Callable

from .topology import SimCamera

LICENCE_FLAGS = {
    "VideoAnalystServer": False,
    "IsNetworkLicenseEnabled": False,
    "IsRestConfigurationEnabled": True,
    "IsActiveDirectoryAuthEnabled": True,
    "IsJuniorAdminEnabled": True,
    "IsMessengerEnabled": True,
    "IsVideoWallEnabled": True,
    "IsDuplicateArchiveEnabled": False,
    "IsArchiveThinningEnabled": True,
    "IsMonitoringEnabled": True,
    "IsPriorityPtzEnabled": True,
    "IsAlarmOnPlansEnabled": True,
    "IsArchiveEpisodesFeatureEnabled": True,
    "IsLongTermDatabaseFeatureEnabled": False,
    "IsEchdIntegrationEnabled": False,
}

USAGE_KEYS = (
    "NonRegistratorChannels",
    "RegistratorChannels",
    "ReservedChannels",
    "SoundChannels",
    "PtzChannels",
    "PosTerminalChannels",
    "FaceDetectorChannels",
    "InteractiveSearchChannels",
    "PlateRecognitionChannels",
    "PeopleCntChannels",
    "TrackingChannels",
    "HeatMapChannels",
    "QueueCounterChannels",
    "AbandonedObjectChannels",
    "CrowdCountingChannels",
    "FireAndSmokeChannels",
    "PersonalControlChannels",
    "LoudSoundChannels",
    "ObjectCounterModuleChannels",
    "EmergencyVehicleDetectionModuleChannels",
    "FallenPeopleDetectionModuleChannels",
    "OurPlatesModuleChannels",
    "AutoMarshalChannels",
    "FishEyeChannels",
    "PeopleCnt3DChannels",
    "HardHatDetectionChannels",
    "ShelfFullnessDetectors",
    "LightFaceRecognitionChannels",
    "CompleteFaceRecognitionChannels",
    "VisitorStatisticsFaceRecognitionChannels",
    "CameraBuiltInAnalystChannels",
)

# Which cameras consume each licence; keys absent here are licensed but unused.
CONSUMERS: dict[str, Callable[[SimCamera], bool]] = {
    "NonRegistratorChannels": lambda camera: True,
    "SoundChannels": lambda camera: camera.sound,
    "PtzChannels": lambda camera: camera.ptz,
    "InteractiveSearchChannels": lambda camera: camera.interactive_search,
    "ObjectCounterModuleChannels": lambda camera: camera.has_object_counting,
    "CompleteFaceRecognitionChannels": lambda camera: camera.has_visitor_module,
    "VisitorStatisticsFaceRecognitionChannels": lambda camera: camera.has_visitor_module,
}
# Bought but unused modules: a fixed Total, Used 0.
IDLE_TOTALS = {"FaceDetectorChannels": 16, "PlateRecognitionChannels": 4, "HeatMapChannels": 8}

# configure/servers LicParams key -> webapi/license key it mirrors (None: never licensed here).
LIC_PARAMS = {
    "Channels": "NonRegistratorChannels",
    "SoundChannels": "SoundChannels",
    "PtzChannels": "PtzChannels",
    "FaceRecognitionChannels": "CompleteFaceRecognitionChannels",
    "PlateRecognCompleteChannels": "PlateRecognitionChannels",
    "PlateRecognLightChannels": None,
    "PeopleCounterChannels": "PeopleCntChannels",
    "ReservedChannels": "ReservedChannels",
}


def bought(used: int) -> int:
    """A licence size a customer would buy: a quarter of headroom, rounded up to a multiple of 4."""
    wanted = used + max(2, -(-used // 4))
    return -(-wanted // 4) * 4
