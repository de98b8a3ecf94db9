"""The `leadpipe` group and its list of commands.

Commands are loaded when they run (click's lazy-subcommand pattern), so `leadpipe funnel` does not pay for
importing Great Expectations or the dedupe engine. Adding a command is one entry in COMMANDS.
"""

from __future__ import annotations

import importlib
import logging
import sys

import click

from leadpipe.core.redact import MaskingFormatter

# command name -> "module:attribute" of its click command or group
COMMANDS: dict[str, str] = {
    "run": "leadpipe.cli.run:run_command",
    "funnel": "leadpipe.cli.run:funnel_command",
    "explain": "leadpipe.cli.explain:explain_command",
    "forget": "leadpipe.cli.forget:forget_command",
    "release": "leadpipe.cli.release:release_command",
    "call-lists": "leadpipe.cli.call_lists:call_lists_command",
    "demo": "leadpipe.cli.demo:demo_command",
    "validate": "leadpipe.cli.validate:validate_command",
    "dedupe": "leadpipe.cli.dedupe:dedupe_command",
    "push": "leadpipe.cli.push:push_command",
    "connectors": "leadpipe.cli.connectors:connectors_command",
    "sinks": "leadpipe.cli.sinks:sinks_command",
    "enrich-site": "leadpipe.cli.web:enrich_site_command",
    "extract-pages": "leadpipe.cli.web:extract_pages_command",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported by name from COMMANDS when first asked for."""

    def __init__(self, *args, lazy: dict[str, str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            module, attr = self.lazy[cmd_name].split(":")
            command = getattr(importlib.import_module(module), attr)
            if command.name != cmd_name:
                raise RuntimeError(f"{self.lazy[cmd_name]} is named {command.name!r}, listed as {cmd_name!r}")
            self.add_command(command)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> object:
        """Any command: a warehouse URL SQLAlchemy cannot use, or a server it cannot reach, is a plain error."""
        try:
            return super().invoke(ctx)
        except Exception as exc:
            # here, not at the top: common imports the settings (pydantic), which `leadpipe --help` need not pay
            from leadpipe.cli.common import safe_message, warehouse_problem

            message = warehouse_problem(exc)
            if message is None:
                raise
            raise click.ClickException(safe_message(message)) from None


def setup_logging(verbose: bool) -> None:
    """Log to stderr; a URL in a message or traceback is shown with its credentials masked."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(MaskingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, handlers=[handler])
    logging.getLogger("great_expectations").setLevel(logging.WARNING)


@click.group(cls=LazyGroup, lazy=COMMANDS)
@click.option("--config", "config_path", envvar="LEADPIPE_CONFIG", help="Pipeline config YAML.")
@click.option("-v", "--verbose", is_flag=True, help="Log what each stage did.")
@click.pass_context
def main(ctx: click.Context, config_path: str | None, verbose: bool) -> None:
    """leadpipe: purchased lists and web forms in, a clean deduplicated prospect list in the CRM out."""
    setup_logging(verbose)
    ctx.obj = {"config": config_path}


if __name__ == "__main__":
    main()
