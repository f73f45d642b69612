"""Errors that stand for a user's mistake: the CLI prints one line and exits 2."""

from __future__ import annotations

__all__ = ["DataError", "ScenarioError", "UsageError", "WcitsimError"]


class WcitsimError(Exception):
    """A mistake in something the user gave us (a file, an argument).

    The message is one line naming where the problem is, the bad value and what
    was expected. The CLI prints it without a traceback and exits with status 2.
    """

    exit_code = 2


class DataError(WcitsimError):
    """A data file is missing, unreadable or breaks its schema."""


class ScenarioError(WcitsimError):
    """A scenario or sweep file is malformed or names something that does not exist."""


class UsageError(WcitsimError):
    """A command-line argument is wrong (a missing file, an unwritable folder, ...)."""
