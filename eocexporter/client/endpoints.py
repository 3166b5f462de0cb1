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
