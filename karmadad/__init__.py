"""karmadad: Karmada's multi-cluster control plane as one asyncio daemon."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("karmadad")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
