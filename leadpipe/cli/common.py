"""What every command shares: the config with the friendly message, and known user errors as plain messages.

A user's mistake (a YAML typo, an unknown source name, a file with no usable columns) ends the command with
its message and exit code 1, never a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from leadpipe.pipeline.settings import Config, ConfigError, load_config


def settings(ctx: click.Context) -> Config:
    """The config named by --config / LEADPIPE_CONFIG (default: config/leadpipe.yaml)."""
    with user_errors():
        return load_config((ctx.obj or {}).get("config"))


@contextmanager
def user_errors(*kinds: type[Exception]) -> Iterator[None]:
    """Turn ConfigError and the given exception types into click's plain `Error: message` and exit 1."""
    try:
        yield
    except (ConfigError, *kinds) as exc:
        raise click.ClickException(str(exc)) from None
