"""Memory: peak RSS of a web process with every area polygon loaded into the locate index.

A fresh Python process (python -m bench.memory --child) starts Django as a WSGI web worker does
(config.wsgi's application, then the whole URL configuration, which imports every view and the
API), reads its peak resident set (VmHWM in /proc/self/status, else getrusage's ru_maxrss): that is
the baseline. It then makes one locate call, which loads every area with a boundary (the demo's
≈12,700 grids and the areas around them, see bench/locate.py) into the index, and reads the peak
again. Target: under 400 MB. The child opens the harness's throwaway database.
"""

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

from bench.harness import ROOT, Row, below, bench_database
from bench.locate import load_demo_grids

NAME = "memory"
TARGET_MB = 400
CHILD_TIMEOUT_SECONDS = 600


def peak_rss_mb() -> float:
    """The process's peak resident set size so far, in MB (2**20 bytes)."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def current_rss_mb() -> float | None:
    try:
        for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return None


def child() -> None:
    """Run in the fresh process: start like a web worker, measure, load the polygons, measure."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.wsgi import get_wsgi_application

    get_wsgi_application()
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (imports every view and the API, as the first request does)
    before = peak_rss_mb()
    from gridgov.areas import geometry

    code = geometry.locate_point(120.17, 30.25)
    index = geometry._locate_index()
    print(
        json.dumps(
            {
                "before_mb": before,
                "peak_mb": peak_rss_mb(),
                "current_mb": current_rss_mb(),
                "areas": len(index.codes),
                "sample_code": code,
            }
        )
    )


def run(quick: bool) -> list[Row]:
    database = bench_database()
    counts = load_demo_grids()
    completed = subprocess.run(
        [sys.executable, "-m", "bench.memory", "--child"],
        cwd=ROOT,
        env=database.child_environment(),
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_SECONDS,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"the web-worker process failed ({completed.returncode}): {completed.stderr[-2000:]}"
        )
    measured = json.loads(completed.stdout.strip().splitlines()[-1])
    if measured["areas"] != counts["areas_with_boundary"]:
        raise RuntimeError(f"the child loaded {measured['areas']} areas, the database has {counts}")
    return [
        Row(
            f"peak RSS, web worker with {measured['areas']:,} polygons loaded",
            measured["peak_mb"],
            "MB",
            baseline=measured["before_mb"],
            target=below(TARGET_MB),
            note=f"baseline: the same process after starting Django, before loading the polygons; "
            f"{counts['grids']:,} of them are grids",
        ),
        Row("peak RSS added by the locate index", measured["peak_mb"] - measured["before_mb"], "MB"),
    ]


if __name__ == "__main__":
    if sys.argv[1:] != ["--child"]:
        raise SystemExit("usage: python -m bench.memory --child (the harness runs it: manage.py bench)")
    child()
