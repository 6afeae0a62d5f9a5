"""manage.py bench [--full] [--only NAME ...] [--json PATH]: the benchmarks of bench/ (issue 6).

Runs every benchmark module of the repository's `bench` package (quick sizes unless --full), prints
one table (benchmark, measure, value, unit, baseline, ratio, target, met?) and writes the figures
with the machine and the date as JSON (default var/bench/results.json). A missed target is reported
in the table; the command fails only when a benchmark fails. docs/performance.md has the figures.
The harness lives in bench/harness.py, outside the gridgov package, and is imported only here.
"""

import importlib
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Run the benchmarks of bench/ and print one table with each figure's baseline and target."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--full", action="store_true", help="the full sizes (slow), not the quick ones")
        parser.add_argument(
            "--only", nargs="+", action="extend", default=[], metavar="NAME", help="run only these"
        )
        parser.add_argument("--json", type=Path, default=None, help="where to write the figures")
        parser.add_argument("--list", action="store_true", help="list the benchmarks and stop")
        parser.add_argument(
            "--package", default="bench", help="the Python package holding the benchmark modules"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        harness = importlib.import_module("bench.harness")
        try:
            if options["list"]:
                for benchmark in harness.discover(options["package"]):
                    self.stdout.write(f"{benchmark.name}  ({benchmark.module.__name__})")
                return
            report = harness.main(
                quick=not options["full"],
                only=options["only"],
                json_path=options["json"] or harness.DEFAULT_JSON,
                package=options["package"],
                out=self.stdout.write,
            )
        except harness.BenchError as exc:
            raise CommandError(str(exc)) from exc
        if report.errors:
            raise CommandError(
                f"{len(report.errors)} benchmark(s) failed: "
                + "; ".join(f"{o.name}: {o.error}" for o in report.errors)
            )
