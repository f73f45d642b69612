"""``python -m wcitsim``: the same as the ``wcitsim`` command."""

from wcitsim.cli import main_entry

main_entry()
