"""Start-up cost: `import versehub` and `create_app()` against a bare Flask app, same run.

Run: .venv/bin/python -m bench.bench_startup [--runs 15]
Each sample is a fresh interpreter, so imports are cold the way a worker start is.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile

BASELINE = """
import time; t0 = time.perf_counter()
import flask
t1 = time.perf_counter()
app = flask.Flask("bare")
@app.get("/")
def index(): return {"ok": True}
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""

VERSEHUB = """
import sys, time; t0 = time.perf_counter()
import versehub
t1 = time.perf_counter()
app = versehub.create_app({"env": "testing", "instance_path": sys.argv[1], "log_level": "ERROR",
                           "secret_key": "b" * 40, "jwt_secret_key": "c" * 40})
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""


def sample(code: str, runs: int) -> tuple[list[float], list[float]]:
    """Import and build times (ms) of `runs` fresh interpreters."""
    imports, builds = [], []
    with tempfile.TemporaryDirectory() as instance:
        for _ in range(runs):
            out = subprocess.run(
                [sys.executable, "-c", code, instance], capture_output=True, text=True, check=True
            ).stdout.split()
            imports.append(float(out[0]) * 1000)
            builds.append(float(out[1]) * 1000)
    return imports, builds


def summary(values: list[float]) -> dict[str, float]:
    """Median and spread of a sample."""
    return {
        "median_ms": round(statistics.median(values), 1),
        "min_ms": round(min(values), 1),
        "max_ms": round(max(values), 1),
    }


def main() -> None:
    """Measure both apps, alternating, and print a JSON report."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    base_import, base_build = sample(BASELINE, args.runs)
    vh_import, vh_build = sample(VERSEHUB, args.runs)
    report = {
        "machine": f"{platform.machine()} python {platform.python_version()}",
        "runs": args.runs,
        "bare_flask": {"import": summary(base_import), "create": summary(base_build)},
        "versehub": {"import": summary(vh_import), "create_app": summary(vh_build)},
        "ratio_total": round(
            (statistics.median(vh_import) + statistics.median(vh_build))
            / (statistics.median(base_import) + statistics.median(base_build)),
            1,
        ),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
