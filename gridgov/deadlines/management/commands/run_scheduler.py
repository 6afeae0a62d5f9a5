"""manage.py run_scheduler [--once] [--interval SECONDS] [--max-seconds N]

The one scheduler process: fire due deadlines, then run the periodic jobs of config/schedule.py
whose interval has passed; sleep; again. On SQLite run exactly one (docs/time-limits.md).
"""

import logging
import signal
import time
from collections.abc import Callable
from datetime import datetime
from importlib import import_module
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.module_loading import import_string

from gridgov.core.clock import now, to_local
from gridgov.deadlines.actions import fire_due_deadlines

logger = logging.getLogger(__name__)

# The project's list of periodic jobs, named by a setting as Django names ROOT_URLCONF: gridgov
# never imports config (CONTRIBUTING.md), the project tells it where its schedule is.
DEFAULT_SCHEDULE_MODULE = "config.schedule"
# (name, interval in seconds, the callable)
Job = tuple[str, float, Callable[[], Any]]


def load_jobs() -> list[tuple[str, float, str]]:
    """(name, interval in seconds, dotted path) of every periodic job in the schedule module."""
    module = import_module(getattr(settings, "GRIDGOV_SCHEDULE_MODULE", DEFAULT_SCHEDULE_MODULE))
    return [(str(name), float(interval), str(path)) for name, interval, path in module.JOBS]


def describe(result: Any) -> str:
    if hasattr(result, "as_dict"):
        result = result.as_dict()
    return "done" if result is None else str(result)


class Command(BaseCommand):
    help = (
        "Fire due deadlines and run the periodic jobs of config/schedule.py, in a loop. "
        "Run exactly one of these per SQLite database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="One pass (deadlines, every job), then exit.")
        parser.add_argument(
            "--interval", type=float, default=10.0, metavar="SECONDS", help="Pause between passes (10)."
        )
        parser.add_argument(
            "--max-seconds", type=float, default=None, metavar="N", help="Stop after about N seconds."
        )

    def handle(
        self, *args: Any, once: bool, interval: float, max_seconds: float | None, **options: Any
    ) -> None:
        if interval <= 0:
            raise CommandError("--interval must be positive")
        verbosity = int(options.get("verbosity", 1))
        jobs: list[Job] = []
        for name, every, path in load_jobs():
            try:
                jobs.append((name, every, import_string(path)))
            except ImportError as error:
                self.stderr.write(f"job {name}: cannot import {path} ({error}); skipped")
        self.stdout.write(
            f"scheduler started: {len(jobs)} periodic jobs ({', '.join(j[0] for j in jobs) or 'none'})"
        )
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        previous = signal.signal(signal.SIGTERM, stop)
        started = now()
        last_run: dict[str, datetime] = {}
        passes = 0
        try:
            while True:
                passes += 1
                self._sweep(verbose=once or verbosity >= 2)
                self._run_jobs(jobs, last_run, verbose=once or verbosity >= 2)
                elapsed = (now() - started).total_seconds()
                if once or stopping or (max_seconds is not None and elapsed >= max_seconds):
                    break
                pause = interval if max_seconds is None else min(interval, max_seconds - elapsed)
                time.sleep(max(pause, 0.0))
                if stopping:
                    break
        except KeyboardInterrupt:
            self.stdout.write("interrupted")
        finally:
            signal.signal(signal.SIGTERM, previous)
        self.stdout.write(f"scheduler stopped after {passes} passes")

    def _sweep(self, *, verbose: bool) -> None:
        try:
            report = fire_due_deadlines()
        except Exception:  # the loop survives a database hiccup; the next pass tries again
            logger.exception("deadline sweep failed")
            self.stderr.write("deadlines: the sweep failed (see the log); trying again next pass")
            return
        if verbose or report.claimed:
            stamp = to_local(now()).strftime("%Y-%m-%d %H:%M:%S")
            counts = f"{report.fired} fired, {report.retried} to retry, {report.given_up} given up"
            self.stdout.write(f"{stamp} deadlines: {counts}")
        for row in report.rows:
            self.stdout.write(f"  #{row.id} {row.kind} {row.subject}: {row.result}: {row.outcome}")

    def _run_jobs(self, jobs: list[Job], last_run: dict[str, datetime], *, verbose: bool) -> None:
        for name, every, job in jobs:
            moment = now()
            previous = last_run.get(name)
            if previous is not None and (moment - previous).total_seconds() < every:
                continue
            last_run[name] = moment
            try:
                result = job()
            except Exception:  # one failing job must not stop the others or the deadlines
                logger.exception("periodic job %s failed", name)
                self.stderr.write(f"job {name}: failed (see the log)")
                continue
            if verbose or result:
                self.stdout.write(f"job {name}: {describe(result)}")
