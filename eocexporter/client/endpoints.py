"""Route templates of the endpoints the exporter polls; they label metrics and log lines."""

CONFIGURE_SERVERS = "configure/servers"
API_CHANNELS = "api/channels"
CONFIGURE_CHANNEL = "configure/channels/{id}"
API_CHANNEL_STATUS = "api/channels/{id}/status"
WEBAPI_LICENSE = "webapi/license"
# The reference spells this module's path both ways (digest Q1); its example URLs use the first.
OBJECT_COUNTERS = ("api/objects_counting/current_counters", "api/object_counting/current_counters")
OBJECT_REPORT = ("api/objects_counting/report", "api/object_counting/report")
UNIQUE_VISITOR_REPORT = "api/unique_visitor/report"
CONFIGURE_CHANNELS = "configure/channels"
ARCHIVE_DAYS = "webapi/cameras/{id}/archive_days"
CAMERA_ANALYTICS = "webapi/cameras/analytics"
ARCHIVE_EXPORT_TASKS = "webapi/archive_export/tasks"
FACE_CONFIG = "api/faceconfig"
CAR_CONFIG = "api/carconfig"
# Database tables of each recognition kind: (table label, v1 path, v2 path). Both give the size of a
# table asked for one record (Q30); v2 is the paginated second version (L7714-7811).
FACE_TABLES = (
    ("records", "api/faces", "api/v2/faces"),
    ("groups", "api/faces-groups", "api/v2/faces-groups"),
)
CAR_TABLES = (("records", "api/cars", "api/v2/cars"), ("groups", "api/cars-groups", "api/v2/cars-groups"))
