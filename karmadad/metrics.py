"""The Prometheus metric families karmadad exports, all in one place.

The default registry already carries prometheus-client's process and platform collectors (CPU,
memory, file descriptors, Python version); this module adds karmadad's own families.
"""

from __future__ import annotations

import platform

from prometheus_client import REGISTRY, CollectorRegistry, Gauge

__all__ = ["BUILD_INFO", "REGISTRY"]

from karmadad import __version__


def register_build_info(registry: CollectorRegistry = REGISTRY) -> Gauge:
    """``karmadad_build_info{version, python_version} 1``, the usual way to expose what runs."""
    gauge = Gauge(
        "karmadad_build_info",
        "A constant 1, labelled with the karmadad and Python versions that are running.",
        ["version", "python_version"],
        registry=registry,
    )
    gauge.labels(version=__version__, python_version=platform.python_version()).set(1)
    return gauge


BUILD_INFO = register_build_info()
