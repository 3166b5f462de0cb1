"""Prometheus exporter and analytics collector for the Eocortex video management system."""

__version__ = "0.1.0"
