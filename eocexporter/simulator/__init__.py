"""A simulated Eocortex installation served over real HTTP, for testing the exporter.

Independent of the rest of eocexporter by design: it is a second reading of the vendor reference.
"""

from .app import RequestRecord, Simulator, running_simulator
from .clock import SettableClock, SystemClock
from .config import SimulatorConfig, SimUser
from .model import Installation, UnknownObject
from .routes import ENDPOINTS
from .variants import Variants

__all__ = [
    "ENDPOINTS",
    "Installation",
    "RequestRecord",
    "SettableClock",
    "SimUser",
    "Simulator",
    "SimulatorConfig",
    "SystemClock",
    "UnknownObject",
    "Variants",
    "running_simulator",
]
