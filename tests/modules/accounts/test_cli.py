"""`versehub users ...`."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.modules.accounts.support import PASSWORD, assert_error, count, login
from versehub.modules.accounts.models import AuditEvent, User


def test_create_with_password_from_stdin(app: Flask, client: FlaskClient) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create", "--email", "boss@example.com", "--username", "boss", "--admin",
              "--password-stdin"],
        input=PASSWORD + "\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "roles=member,admin" in result.output
    assert PASSWORD not in result.output
    data = login(client, "boss").get_json()["data"]
    assert data["user"]["roles"] == ["admin", "member"]


def test_create_with_prompt_and_policy_errors(app: Flask) -> None:
    runner = app.test_cli_runner()
    args = ["users", "create", "--email", "x@example.com", "--username", "xavier"]
    result = runner.invoke(args=args, input="short\nshort\n")
    assert result.exit_code == 1
    assert "password: Password must be at least 12 characters" in result.output
    result = runner.invoke(args=args, input="password1234\npassword1234\n")
    assert result.exit_code == 1
    assert "password: Password is too easy to guess" in result.output
    result = runner.invoke(args=args, input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=args, input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 1
    assert "already" in result.output
    assert count(app, User) == 1


def test_list_set_role_unlock_disable(app: Flask, client: FlaskClient, member_id: int) -> None:
    runner = app.test_cli_runner()
    for i in range(5):
        login(client, "ada", f"wrong password {i}")
    assert_error(login(client), 423, "AUTH_ACCOUNT_LOCKED")
    listing = runner.invoke(args=["users", "list"])
    assert listing.output.splitlines()[0] == "ID\tUSERNAME\tEMAIL\tROLES\tSTATE"
    assert "ada\tada@example.com\tmember\tactive locked-until=" in listing.output

    result = runner.invoke(args=["users", "unlock", "ada@example.com"])
    assert result.output.strip() == f"user {member_id} unlocked"
    assert login(client).status_code == 200
    assert count(app, AuditEvent, AuditEvent.event == "security.account_unlocked") == 1

    # Roles add up: the member stays a member.
    result = runner.invoke(args=["users", "set-role", str(member_id), "editor", "agent"])
    assert result.output.strip() == f"user {member_id} roles=agent,editor,member"
    result = runner.invoke(args=["users", "set-role", "--remove", "ada", "agent", "member"])
    assert result.output.strip() == f"user {member_id} roles=editor"
    result = runner.invoke(args=["users", "set-role", "--remove", "ada", "editor"])
    assert result.exit_code == 1
    assert "roles: A user keeps at least one role" in result.output
    changes = count(app, AuditEvent, AuditEvent.event == "security.roles_changed")
    assert changes == 2
    assert runner.invoke(args=["users", "set-role", "ada", "wizard"]).exit_code == 2
    assert runner.invoke(args=["users", "unlock", "nobody"]).exit_code == 1

    assert runner.invoke(args=["users", "disable", "ada"]).exit_code == 0
    assert_error(login(client), 401, "AUTH_INVALID_CREDENTIALS")
    assert runner.invoke(args=["users", "enable", "ada"]).exit_code == 0
    assert login(client).status_code == 200
