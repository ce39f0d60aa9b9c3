"""`versehub bans list`, `versehub bans add KEY` and `versehub bans lift KEY`.

They act on the database the server uses: what they change applies in every server process
within `ban_cache_ttl` seconds.
"""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from versehub.core.errors import APIError
from versehub.core.limits import service
from versehub.core.limits.bans import CLI
from versehub.core.limits.schemas import BanOut
from versehub.core.limits.state import current_limits


@click.group("bans")
def bans_group() -> None:
    """List, add and lift rate-limit bans."""


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
    click.echo(f"{'KEY':<40} {'UNTIL (UTC)':<19}  {'VIOLATIONS':>10}  {'BY':<12} REASON")
    for ban in bans:
        click.echo(
            f"{ban.key:<40} {ban.until:%Y-%m-%d %H:%M:%S}  {ban.violations:>10}  "
            f"{ban.actor:<12} {ban.reason}"
        )


@bans_group.command("add")
@click.argument("key")
@click.option(
    "--duration",
    type=click.IntRange(min=1),
    default=None,
    help="Seconds (default: the ban_duration setting).",
)
@click.option("--reason", default="manual", show_default=True, help="Shown to admins.")
@with_appcontext
def add_command(key: str, duration: int | None, reason: str) -> None:
    """Ban KEY (ip:<address>, user:<id> or key:<id>) in every server process."""
    state = current_limits()
    if not key.startswith(("ip:", "user:", "key:")) or len(key) > 200:
        raise click.BadParameter("expected ip:<address>, user:<id> or key:<id>", param_hint="KEY")
    try:
        ban = service.ban(
            bans=state.bans,
            key=key,
            duration=duration or state.policy.duration,
            reason=reason[:64],
            actor=CLI,
            actor_id=None,
        )
    except APIError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"Banned {key} until {ban.until_iso}.")


@bans_group.command("lift")
@click.argument("key")
@with_appcontext
def lift_command(key: str) -> None:
    """Lift the ban of KEY (as listed, e.g. ip:203.0.113.9)."""
    try:
        service.lift_ban(bans=current_limits().bans, key=key, actor=CLI, actor_id=None)
    except APIError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"Lifted the ban of {key}.")
