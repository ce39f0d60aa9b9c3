"""`versehub users ...`: create, list, roles, unlock, verify, enable and disable accounts."""

from __future__ import annotations

import sys

import click
from cryptography.fernet import InvalidToken
from flask.cli import with_appcontext
from pydantic import EmailStr, TypeAdapter, ValidationError
from sqlalchemy import select

from versehub.core.errors import APIError
from versehub.extensions import db
from versehub.modules.accounts import events
from versehub.modules.accounts.models import ROLES, User
from versehub.modules.accounts.service import access, lockout, twofactor, users, verification
from versehub.modules.accounts.service.meta import CLI


def _fail(error: APIError) -> click.ClickException:
    fields = "; ".join(f"{e['field']}: {e['message']}" for e in error.errors)
    return click.ClickException(f"{error.message}{' (' + fields + ')' if fields else ''}")


def _find(ref: str) -> User:
    """A user by id, email or username."""
    user = users.get(user_id=int(ref)) if ref.isdigit() else users.get_by_login(login=ref)
    if user is None:
        raise click.ClickException(f"no user {ref!r} (give an id, email or username)")
    return user


@click.group("users")
def users_cli() -> None:
    """Manage user accounts."""


@users_cli.command("create")
@click.option("--email", required=True, help="Email address.")
@click.option("--username", required=True, help="Username (3-32 letters, digits, . _ -).")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)
@click.option("--admin", is_flag=True, help="Give the admin role too.")
@with_appcontext
def create_command(email: str, username: str, password_stdin: bool, admin: bool) -> None:
    """Create an account; the password is prompted for (hidden) unless --password-stdin."""
    # Never a --password option: command lines end up in shell history and `ps` output.
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        email = TypeAdapter(EmailStr).validate_python(email)
    except ValidationError as exc:
        raise click.ClickException(f"invalid email address: {email!r}") from exc
    roles = ("member", "admin") if admin else ("member",)
    try:
        user = users.create(
            email=email, username=username, password=password, roles=roles, meta=CLI
        )
    except APIError as exc:
        raise _fail(exc) from None
    click.echo(f"created user {user.id} {user.username} <{user.email}> roles={','.join(roles)}")


@users_cli.command("verify-email")
@click.argument("user_ref", metavar="USER")
@with_appcontext
def verify_email_command(user_ref: str) -> None:
    """Mark USER's email address verified (for accounts whose owner cannot receive the link)."""
    user = _find(user_ref)
    if verification.mark_verified(user=user, meta=CLI):
        click.echo(f"user {user.id} email {user.email} verified")
    else:
        click.echo(f"user {user.id} email {user.email} was already verified")


@users_cli.command("list")
@with_appcontext
def list_command() -> None:
    """List every account with its roles, state and lockout (tab-separated, with a header)."""
    click.echo("ID\tUSERNAME\tEMAIL\tROLES\tSTATE")
    for user in db.session.scalars(select(User).order_by(User.id)):
        locked = lockout.locked_until(key=lockout.key_for_user(user.id))
        state = "active" if user.is_active else "disabled"
        extra = f" locked-until={locked.isoformat(timespec='seconds')}" if locked else ""
        roles = ",".join(sorted(user.roles))
        click.echo(f"{user.id}\t{user.username}\t{user.email}\t{roles}\t{state}{extra}")


@users_cli.command("set-role")
@click.argument("user_ref", metavar="USER")
@click.argument("roles", nargs=-1, required=True, type=click.Choice(ROLES))
@click.option("--remove", is_flag=True, help="Take ROLES away instead of adding them.")
@with_appcontext
def set_role_command(user_ref: str, roles: tuple[str, ...], remove: bool) -> None:
    """Give USER the ROLES on top of its others, or with --remove take them away.

    USER: id, email or username. Roles add up: `set-role ada editor` keeps `member`.
    """
    added, removed = ((), roles) if remove else (roles, ())
    try:
        user = users.change_roles(
            user=_find(user_ref), add=added, remove=removed, actor_id=None, meta=CLI
        )
    except APIError as exc:
        raise _fail(exc) from None
    click.echo(f"user {user.id} roles={','.join(sorted(user.roles))}")


@users_cli.command("unlock")
@click.argument("user_ref", metavar="USER")
@with_appcontext
def unlock_command(user_ref: str) -> None:
    """Lift USER's login lockout and forget its failed attempts."""
    user = _find(user_ref)
    cleared = lockout.unlock(key=lockout.key_for_user(user.id))
    db.session.commit()
    events.publish_security(
        events.ACCOUNT_UNLOCKED, meta=CLI, actor_id=None, target=f"user:{user.id}"
    )
    click.echo(f"user {user.id} unlocked" if cleared else f"user {user.id} was not locked")


@users_cli.command("disable")
@click.argument("user_ref", metavar="USER")
@with_appcontext
def disable_command(user_ref: str) -> None:
    """Switch USER off: logins, tokens and API keys stop working."""
    try:
        user = access.set_active(user=_find(user_ref), active=False, actor_id=None, meta=CLI)
    except APIError as exc:
        raise _fail(exc) from None
    click.echo(f"user {user.id} disabled")


@users_cli.command("enable")
@click.argument("user_ref", metavar="USER")
@with_appcontext
def enable_command(user_ref: str) -> None:
    """Switch USER on again (old tokens stay invalid)."""
    user = access.set_active(user=_find(user_ref), active=True, actor_id=None, meta=CLI)
    click.echo(f"user {user.id} enabled")


@users_cli.command("reset-2fa")
@click.argument("user_ref", metavar="USER")
@with_appcontext
def reset_2fa_command(user_ref: str) -> None:
    """Turn USER's two-factor authentication off (lost device and recovery codes)."""
    # Check who is asking out of band first: this removes the second factor entirely.
    user = _find(user_ref)
    was_on = twofactor.reset(user=user, actor_id=None, meta=CLI)
    click.echo(f"user {user.id} two-factor {'turned off' if was_on else 'was not on'}")


@users_cli.command("rotate-totp-key")
@with_appcontext
def rotate_totp_key_command() -> None:
    """Re-encrypt every 2FA secret with the first of VERSEHUB_TOTP_ENCRYPTION_KEYS."""
    # Rotation: put the new key first (keep the old ones after it), run this, then drop them.
    try:
        count = twofactor.rotate_secrets()
    except InvalidToken:
        db.session.rollback()
        raise click.ClickException(
            "a 2FA secret cannot be decrypted with any configured key; nothing was changed"
        ) from None
    click.echo(f"re-encrypted {count} two-factor secret(s) with the first key")
