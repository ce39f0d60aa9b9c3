"""Typed settings: defaults < .env < environment < secret files < Vault < explicit overrides.

`load_settings` is the entry point: it builds `Settings` from every source, fills in generated
secrets outside production and refuses unsafe production values. `Settings()` alone only reads.

`model` holds the class, `sources` the secret files, Vault and development secrets, `load` and
`production` what happens at start-up, `docs` the README's reference table
(`versehub settings docs`, in `cli`).
"""

from __future__ import annotations

from versehub.settings.load import load_settings
from versehub.settings.model import Environment, Settings
from versehub.settings.production import check_production
from versehub.settings.sources import SettingsError

__all__ = ["Environment", "Settings", "SettingsError", "check_production", "load_settings"]
