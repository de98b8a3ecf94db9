"""What every command shares: the config with the friendly message, known user errors as plain messages, and
`echo`, the one way a command prints.

A user's mistake (a YAML typo, an unknown source name, a file with no usable columns) ends the command with
its message and exit code 1, never a traceback. Whatever a command prints may name values from hostile
files (a header, a file name, a person's name), so `echo` escapes control characters (an ESC sequence would
act on the operator's terminal) and masks credentials in URLs.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from leadpipe.core.controls import printable
from leadpipe.core.redact import mask_text

if TYPE_CHECKING:
    from leadpipe.pipeline.settings import Config


def safe_message(text: str) -> str:
    """`text` fit for the terminal: URLs' credentials masked, control characters escaped, our own line
    breaks kept."""
    return printable(mask_text(text), keep_newlines=True)


def echo(text: str = "", err: bool = False) -> None:
    """Print a command's text output (see safe_message)."""
    click.echo(safe_message(text), err=err)


def echo_json(data: Any, **dumps: Any) -> None:
    """Print JSON output: credentials masked, control characters in its strings as JSON escapes (\\u001b)."""
    text = json.dumps(data, **{"indent": 2, "default": str, **dumps})
    click.echo(printable(mask_text(text), keep_newlines=True, json=True))


def settings(ctx: click.Context) -> Config:
    """The config named by --config / LEADPIPE_CONFIG (default: config/leadpipe.yaml)."""
    # the config's loader (personas, title model, sinks: half a second) only for commands that read a config
    from leadpipe.pipeline.settings import load_config

    with user_errors():
        return load_config((ctx.obj or {}).get("config"))


def warehouse_problem(exc: BaseException) -> str | None:
    """SQLAlchemy saying it cannot use the warehouse URL or reach the server, in the user's words; else None.

    These are configuration mistakes (`postgres://` instead of `postgresql://`, a server that is down), so the
    command ends with what to change rather than a traceback."""
    if not type(exc).__module__.startswith("sqlalchemy"):
        return None
    from sqlalchemy import exc as sa_exc  # already loaded: the exception came from SQLAlchemy

    where = "warehouse_url in the config, or LEADPIPE_WAREHOUSE_URL"
    if isinstance(exc, (sa_exc.NoSuchModuleError, sa_exc.ArgumentError)):
        return (f"the warehouse URL is not one leadpipe can use ({exc}); write it as "
                "postgresql://user@host/db, mysql+pymysql://user@host/db or sqlite:////path/to/warehouse.db "
                f"({where})")
    if isinstance(exc, sa_exc.OperationalError) and exc.connection_invalidated is False and _cannot_connect(exc):
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        return f"cannot reach the warehouse: {reason}; check that the database server is running and {where}"
    return None


def _cannot_connect(exc: BaseException) -> bool:
    text = str(getattr(exc, "orig", exc)).lower()
    return any(s in text for s in ("could not connect", "connection refused", "can't connect",
                                   "unable to open database file", "could not translate host name",
                                   "unknown database", "does not exist", "name or service not known",
                                   "timeout expired"))


@contextmanager
def user_errors(*kinds: type[Exception]) -> Iterator[None]:
    """Turn ConfigError and the given exception types into click's plain `Error: message` and exit 1."""
    try:
        yield
    except Exception as exc:
        if not isinstance(exc, (*_config_error(), *kinds)):
            raise
        raise click.ClickException(safe_message(str(exc))) from None


def _config_error() -> tuple[type[Exception], ...]:
    """ConfigError, when the config's module is loaded: a command that never loaded it (`leadpipe dedupe`)
    cannot have raised it, and is spared importing it."""
    module = sys.modules.get("leadpipe.pipeline.settings")
    return (module.ConfigError,) if module is not None else ()
