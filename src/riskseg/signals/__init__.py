"""Per-customer risk and value signals as of any date, on any engine Ibis reaches.

>>> from riskseg.signals import REGISTRY
>>> REGISTRY["days_late_mean_12m"].direction
'risk'
"""

from riskseg.signals.compute import compute_signals
from riskseg.signals.context import SignalConfig
from riskseg.signals.registry import FAMILY_ORDER, REGISTRY, Signal, family_signals, get_signal

__all__ = [
    "FAMILY_ORDER",
    "REGISTRY",
    "Signal",
    "SignalConfig",
    "compute_signals",
    "family_signals",
    "get_signal",
]
