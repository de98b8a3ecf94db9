"""The `leadpipe` command: the same stages as the DAGs, for a terminal.

Each command is a thin module here (parse options, call one library function, print its result); the group
and the list of commands live in `leadpipe.cli.app`. `main` is re-exported for the console script and tests.
"""

from leadpipe.cli.app import main

__all__ = ["main"]
