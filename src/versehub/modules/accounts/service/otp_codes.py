"""The shape of one-time codes: TOTP codes and recovery codes, as typed or pasted by people."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from typing import Literal

TOTP_DIGITS = 6
RECOVERY_CODE_COUNT = 10
# Crockford base32: no I, L, O or U, so codes read aloud or copied by hand are unambiguous.
RECOVERY_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RECOVERY_LENGTH = 16  # 80 bits: far beyond guessing, and enough for an unsalted fast hash
RECOVERY_GROUP = 4
# What people type instead (Crockford's decoding rules): O for zero, I and L for one.
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
# Separators people type or paste between groups; all are dropped.
_SEPARATORS = str.maketrans("", "", " \t\u00a0-\u2010\u2011\u2012\u2013\u2014_.")

CodeKind = Literal["totp", "recovery_code"]


def normalise(code: str) -> tuple[CodeKind, str] | None:
    """Which kind of code `code` is and its canonical form, or None when it is neither."""
    compact = code.translate(_SEPARATORS).upper()
    if len(compact) == TOTP_DIGITS and compact.isascii() and compact.isdigit():
        return "totp", compact
    compact = compact.translate(_LOOKALIKES)
    if len(compact) == RECOVERY_LENGTH and all(char in RECOVERY_ALPHABET for char in compact):
        return "recovery_code", compact
    return None


def new_recovery_codes(count: int = RECOVERY_CODE_COUNT) -> list[str]:
    """Fresh recovery codes, grouped for reading: `ABCD-EFGH-JKMN-PQRS`."""
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        groups = [raw[i : i + RECOVERY_GROUP] for i in range(0, RECOVERY_LENGTH, RECOVERY_GROUP)]
        codes.append("-".join(groups))
    return codes


def recovery_hash(*, user_id: int, code: str) -> str:
    """The stored digest of a canonical recovery code (bound to its user)."""
    # SHA-256, not argon2: the codes carry 80 random bits, so a slow hash adds nothing, and a
    # login may compare against ten of them.
    return hashlib.sha256(f"versehub-recovery:{user_id}:{code}".encode()).hexdigest()


def find_match(digest: str, candidates: Iterable[tuple[int, str]]) -> int | None:
    """The id of the candidate whose digest equals `digest`; every candidate is compared."""
    found = None
    for row_id, stored in candidates:
        # Constant-time compare, and no early exit: timing says nothing about which row matched.
        if hmac.compare_digest(stored, digest) and found is None:
            found = row_id
    return found
