"""What the benchmarks print about the machine they ran on (RESULTS.md quotes it)."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
from pathlib import Path


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo."""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def ram_gib() -> float:
    """Total RAM in GiB from /proc/meminfo."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 1024 / 1024, 1)
    return 0.0


def load() -> str:
    """The 1/5/15-minute load averages, as `uptime` shows them."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def postgres_version(bindir: Path | None) -> str | None:
    """`postgres --version` of the server binaries used."""
    if bindir is None:
        return None
    out = subprocess.run(
        [str(bindir / "postgres"), "--version"], capture_output=True, text=True, check=False
    )
    return out.stdout.strip() or None


def describe(bindir: Path | None = None) -> dict[str, object]:
    """nproc, CPU, RAM, Python, SQLite and PostgreSQL versions, load at the start."""
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu_model(),
        "arch": platform.machine(),
        "ram_gib": ram_gib(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgres": postgres_version(bindir),
        "load_at_start": load(),
    }
