"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

import secrets
from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from versehub.core.errors import APIError, field_error

MIN_LENGTH = 12
MAX_LENGTH = 256
COMMON_PASSWORDS_TOP = 10_000
# Parts of the email or username shorter than this are not searched for inside a password:
# a two-letter local part would otherwise forbid most passwords.
MIN_PERSONAL_PART = 3

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


def password_problems(password: str, *, email: str, username: str) -> list[str]:
    """Every policy rule `password` breaks, as messages (empty when it is acceptable)."""
    if len(password) > MAX_LENGTH:
        # Checked first: nothing else (lower-casing, searching) runs on a huge input.
        return [f"Password must be at most {MAX_LENGTH} characters"]
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"Password must be at least {MIN_LENGTH} characters")
    folded = password.casefold()
    if folded in common_passwords():
        problems.append("Password is too common; choose a less predictable one")
    local_part = email.rsplit("@", 1)[0].casefold()
    for label, part in (("email address", local_part), ("username", username.casefold())):
        if folded == part or (len(part) >= MIN_PERSONAL_PART and part in folded):
            problems.append(f"Password must not contain your {label}")
    return problems


def check_password(password: str, *, email: str, username: str) -> None:
    """Raise VAL_INVALID with one `password` error per broken rule."""
    problems = password_problems(password, email=email, username=username)
    if problems:
        raise APIError("VAL_INVALID", errors=[field_error("password", p) for p in problems])
