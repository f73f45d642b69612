"""wcitsim: an agent-based model of the 2012 World Conference on International Telecommunications.

Delegations negotiate the revised International Telecommunication Regulations
under a chair, vote on contested clauses and decide whether to sign; every run is
compared with the record of 14 December 2012.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("wcitsim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+source"

__all__ = ["__version__"]
