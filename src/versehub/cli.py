"""The `versehub` command: Flask's CLI group with VerseHub's commands."""

from __future__ import annotations

import sys

import click
from flask.cli import FlaskGroup

from versehub.app import create_app
from versehub.core.errors import StartupError
from versehub.core.jobs.cli import register_commands as register_job_commands
from versehub.settings.cli import register_commands as register_settings_commands


# set_debug_flag=False: debug comes from VERSEHUB_DEBUG (settings), not FLASK_DEBUG.
@click.group(
    cls=FlaskGroup,
    create_app=create_app,
    add_version_option=False,
    load_dotenv=False,
    set_debug_flag=False,
)
def cli() -> None:
    """VerseHub: a deaf-first, accessible knowledge hub."""


register_job_commands(cli)
register_settings_commands(cli)


def main() -> None:
    """Console entry point: start-up errors become one clear line and exit status 2."""
    try:
        cli.main(prog_name="versehub", standalone_mode=True)
    except StartupError as exc:
        click.echo(f"versehub: cannot start: {exc}", err=True)
        sys.exit(2)
