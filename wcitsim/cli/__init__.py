"""The ``wcitsim`` command line: thin wrappers that parse, call one library function and print.

Every user mistake (a bad file, a bad argument) ends with one line on stderr and
exit status 2, never a traceback. The commands come in families, one module each
(:mod:`~wcitsim.cli.runs`, :mod:`~wcitsim.cli.validate`, :mod:`~wcitsim.cli.sweeps`,
:mod:`~wcitsim.cli.game`, :mod:`~wcitsim.cli.teach`, :mod:`~wcitsim.cli.classroom`);
the options they share are written once in :mod:`~wcitsim.cli.options`.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Callable, Sequence

from wcitsim.cli import classroom, game, runs, scenarios, scorecard, select, sweeps, teach, validate
from wcitsim.cli.options import Commands
from wcitsim.errors import WcitsimError

__all__ = [
    "COMMANDS",
    "ENVIRONMENT",
    "LINE_BREAKS",
    "MAX_MESSAGE",
    "OneLineParser",
    "build_parser",
    "main",
    "main_entry",
    "one_line",
]

#: Each command's parser, in the order ``wcitsim --help`` lists them.
COMMANDS: tuple[Callable[[Commands], None], ...] = (
    runs.add_data,
    runs.add_run,
    validate.add_validate,
    validate.add_calibrate,
    select.add_select,
    scorecard.add_scorecard,
    runs.add_explain,
    sweeps.add_sweep,
    game.add_game,
    teach.add_handout,
    teach.add_teach,
    classroom.add_debrief,
    runs.add_check,
    sweeps.add_analyze,
    scenarios.add_scenarios,
)

#: Characters that str.splitlines() breaks on: a user's key or value holding one is escaped in messages.
LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
#: The longest error line printed: a message that lists a huge file's keys is cut here.
MAX_MESSAGE = 2000


class _Version(argparse.Action):
    """``--version``: print the installed version and exit (read only when asked: its metadata is slow to load)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        from wcitsim._version import __version__

        print(f"wcitsim {__version__}")
        parser.exit()


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit status 2."""

    def error(self, message: str) -> None:
        self.exit(2, f"{self.prog}: error: {one_line(message)}\n")


def one_line(text: str) -> str:
    """The message as one line: line-breaking characters escaped, cut at :data:`MAX_MESSAGE` characters."""
    line = "".join(c.encode("unicode_escape").decode() if c in LINE_BREAKS else c for c in text)
    return line if len(line) <= MAX_MESSAGE else line[: MAX_MESSAGE - 1] + "…"


def build_parser() -> argparse.ArgumentParser:
    """The parser of every ``wcitsim`` command."""
    parser = OneLineParser(prog="wcitsim", description="An agent-based model of WCIT-12 (Dubai, 2012).")
    parser.add_argument("--version", action=_Version, help="show program's version number and exit")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    for add in COMMANDS:
        add(commands)
    return parser


#: The environment variables wcitsim reads (:mod:`wcitsim.core.kernels`), checked before any command runs.
ENVIRONMENT = ("WCITSIM_KERNELS", "WCITSIM_THREADS")


def _check_environment() -> None:
    """Refuse a bad ``WCITSIM_KERNELS`` or ``WCITSIM_THREADS`` at once (numpy is imported only when one is set)."""
    if any(os.environ.get(name) for name in ENVIRONMENT):
        from wcitsim.core import kernels

        kernels.current()
        kernels.threads(1)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    args.command_line = "wcitsim " + shlex.join(argv)  # what a report records as the command that made it
    try:
        _check_environment()
        return args.func(args)
    except WcitsimError as err:
        print(f"wcitsim: error: {one_line(str(err))}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("wcitsim: interrupted", file=sys.stderr)
        return 130


def _stdout_closed() -> bool:
    """Whether the reader of standard output has gone (its pipe reports an error to a writer)."""
    import select  # the standard library's, not wcitsim.cli.select

    try:
        poll = select.poll()
        poll.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & (select.POLLERR | select.POLLHUP) for _, events in poll.poll(0))
    except (AttributeError, OSError, ValueError):  # no poll on this system, or no descriptor
        return False


def main_entry() -> None:
    """Entry point of the ``wcitsim`` script.

    A reader that stops early (``wcitsim data | head``) closes the pipe: the rest of
    the output is dropped without a traceback, and the exit status is 1, as
    Python's own documentation recommends for SIGPIPE. A broken pipe anywhere else
    (a worker's, a socket's) is an error and is raised.
    """
    try:
        status = main()
        sys.stdout.flush()
    except BrokenPipeError:
        if not _stdout_closed():
            raise
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # the flush at exit writes nowhere
        os.close(devnull)
        status = 1
    sys.exit(status)
