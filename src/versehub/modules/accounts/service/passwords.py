"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

import secrets
from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

from versehub.core.errors import APIError, field_error

MIN_LENGTH = 12
MAX_LENGTH = 256
COMMON_PASSWORDS_TOP = 10_000
# An email local part shorter than this is not searched for inside a password: "al@..."
# would otherwise forbid every password containing "al". Usernames have at least 3 characters.
MIN_EMAIL_PART = 4
MIN_USERNAME_PART = 3
ZXCVBN_MAX_LENGTH = 72

# OWASP Password Storage Cheat Sheet, argon2id option "m=19456 (19 MiB), t=2, p=1": the
# recommended minimum, about 20-40 ms per hash on one core. Changing these values makes every
# stored hash "need rehash": it is upgraded transparently at the user's next login.
HASHER = PasswordHasher(
    time_cost=2, memory_cost=19_456, parallelism=1, hash_len=32, salt_len=16, type=Type.ID
)


def hash_password(password: str) -> str:
    """An argon2id hash of `password` with the current parameters."""
    return HASHER.hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return HASHER.hash(secrets.token_urlsafe(32))


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches; with no hash, burn the same time against a dummy hash."""
    # Unknown users cost one full argon2 verification too, so timing does not reveal which
    # login names exist.
    try:
        return HASHER.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with other parameters than the current ones."""
    try:
        return HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The 10,000 most common passwords (zxcvbn's frequency list, ranks 1-10,000)."""
    # zxcvbn (MIT) ships its list ordered by frequency; imported lazily: it is a large module.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"][:COMMON_PASSWORDS_TOP])


def password_problems(
    password: str, *, email: str, username: str, min_score: int
) -> list[tuple[str, str]]:
    """Every policy rule `password` breaks, as (rule, message) pairs (empty when acceptable)."""
    if len(password) > MAX_LENGTH:
        # Checked first: nothing else (lower-casing, searching, scoring) runs on a huge input.
        return [("password_too_long", f"Password must be at most {MAX_LENGTH} characters")]
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(
            ("password_too_short", f"Password must be at least {MIN_LENGTH} characters")
        )
    folded = password.casefold()
    if folded in common_passwords():
        problems.append(
            (
                "password_common",
                "Password is too common (among the 10,000 most used); choose another",
            )
        )
    local_part = email.rsplit("@", 1)[0].casefold()
    if len(local_part) >= MIN_EMAIL_PART and local_part in folded:
        problems.append(
            (
                "password_contains_email",
                "Password must not contain the part of your email address before the @",
            )
        )
    name = username.casefold()
    if len(name) >= MIN_USERNAME_PART and name in folded:
        problems.append(("password_contains_username", "Password must not contain your username"))
    if min_score > 0:
        score, hint = strength(password, user_inputs=[username, email, local_part])
        if score < min_score:
            message = (
                f"Password is too easy to guess (strength {score} of 4, at least {min_score} "
                "needed)"
            )
            problems.append(("password_too_weak", f"{message}: {hint}" if hint else message))
    return problems


def strength(password: str, *, user_inputs: list[str]) -> tuple[int, str]:
    """zxcvbn's score (0-4) of `password` and its advice, `user_inputs` counting as known words."""
    # Imported lazily: zxcvbn loads large frequency lists.
    from zxcvbn import zxcvbn

    # zxcvbn refuses inputs over 72 characters (its matching grows fast with length); the
    # score of the first 72 is a lower bound for the whole password.
    result = zxcvbn(password[:ZXCVBN_MAX_LENGTH], user_inputs=user_inputs)
    feedback = result["feedback"]
    hint = " ".join(part for part in [feedback["warning"], *feedback["suggestions"]] if part)
    return int(result["score"]), hint


def check_password(password: str, *, email: str, username: str) -> None:
    """Apply the one password policy (settings: `password_min_score`) to a password being set.

    Every path that sets a password calls this; VAL_INVALID carries one `password` error per
    broken rule, its `type` naming the rule.
    """
    min_score = current_app.extensions["versehub.settings"].password_min_score
    problems = password_problems(password, email=email, username=username, min_score=min_score)
    if problems:
        raise APIError(
            "VAL_INVALID", errors=[field_error("password", text, rule) for rule, text in problems]
        )
