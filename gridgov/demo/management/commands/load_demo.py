from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from gridgov.demo.actions import load_demo


class Command(BaseCommand):
    help = "Load the demo: real area codes and Hangzhou boundaries, generated grids, catalogue, users."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--force", action="store_true", help="Load again even if already loaded.")

    def handle(self, *args: Any, **options: Any) -> None:
        report = load_demo(progress=True, force=options["force"], say=self.stdout.write)
        if report:
            self.stdout.write(self.style.SUCCESS(f"Demo loaded in {report['seconds']} s."))
