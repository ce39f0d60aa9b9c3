"""`versehub bans list` and `versehub bans lift KEY`."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from versehub.core.errors import APIError
from versehub.core.limits import service
from versehub.core.limits.schemas import BanOut
from versehub.core.limits.state import current_limits


@click.group("bans")
def bans_group() -> None:
    """List and lift rate-limit bans."""


@bans_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of a table.")
@with_appcontext
def list_command(as_json: bool) -> None:
    """Active bans, soonest to end first (times in UTC)."""
    bans = [BanOut.from_ban(ban) for ban in service.list_bans(bans=current_limits().bans)]
    if as_json:
        click.echo(json.dumps([ban.model_dump(mode="json") for ban in bans], indent=2))
        return
    if not bans:
        click.echo("No active bans.")
        return
    click.echo(f"{'KEY':<40} {'UNTIL (UTC)':<19}  {'VIOLATIONS':>10}")
    for ban in bans:
        click.echo(f"{ban.key:<40} {ban.until:%Y-%m-%d %H:%M:%S}  {ban.violations:>10}")


@bans_group.command("lift")
@click.argument("key")
@with_appcontext
def lift_command(key: str) -> None:
    """Lift the ban of KEY (as listed, e.g. ip:203.0.113.9)."""
    try:
        service.lift_ban(bans=current_limits().bans, key=key, by="cli")
    except APIError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"Lifted the ban of {key}.")
