"""Fernet key lists from settings: parse, build a MultiFernet, derive a development key."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# HKDF `info` label: a key derived for this purpose is unrelated to any other use of the secret.
DERIVE_LABEL = b"versehub totp-secrets v1"


def parse_keys(value: str) -> list[Fernet]:
    """One Fernet per comma-separated key, in order; ValueError (never echoing a key) if bad."""
    parts = [part.strip() for part in value.split(",") if part.strip()]
    if not parts:
        raise ValueError("no key given")
    keys = []
    for position, part in enumerate(parts, start=1):
        try:
            keys.append(Fernet(part.encode()))
        except (ValueError, TypeError):
            raise ValueError(
                f"key {position} is not a Fernet key (32 url-safe base64-encoded bytes)"
            ) from None
    return keys


def multi_fernet(value: str) -> MultiFernet:
    """A MultiFernet: the first key encrypts, every key decrypts."""
    return MultiFernet(parse_keys(value))


def derive_key(secret: str, *, label: bytes = DERIVE_LABEL) -> str:
    """A Fernet key derived from `secret` with HKDF-SHA256 for the purpose named by `label`."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(secret.encode())
    return base64.urlsafe_b64encode(raw).decode()
