"""The installed package's version (a leaf: imports nothing of wcitsim)."""

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]

try:
    __version__ = version("wcitsim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+source"
