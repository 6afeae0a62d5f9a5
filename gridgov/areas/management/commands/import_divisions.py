"""manage.py import_divisions [--data-dir DIR]: the 统计用区划代码 tree, all or nothing."""

import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gridgov.areas.actions import BUNDLED_DATA_DIR, import_divisions
from gridgov.areas.errors import DivisionImportInvalid


class Command(BaseCommand):
    help = (
        "Import provinces, cities, counties, streets/towns (and Hangzhou communities) from the "
        "统计用区划代码 CSV files. All or nothing: any bad row is reported and nothing is written. "
        "Rerunning changes nothing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--data-dir",
            type=Path,
            default=BUNDLED_DATA_DIR,
            help="folder with provinces.csv, cities.csv, areas.csv, streets.csv[.gz], hangzhou-villages.csv "
            "(default: the bundled gridgov/areas/data)",
        )
        parser.add_argument("--no-progress", action="store_true", help="do not show progress bars")

    def handle(self, *args: Any, **options: Any) -> None:
        data_dir: Path = options["data_dir"]
        if not data_dir.is_dir():
            raise CommandError(_("%(path)s is not a folder.") % {"path": data_dir})
        started = time.perf_counter()
        try:
            report = import_divisions(data_dir, progress=not options["no_progress"])
        except DivisionImportInvalid as exc:
            for problem in exc.details["problems"]:
                self.stderr.write(f"{problem['file']}:{problem['line']}: {problem['reason']}")
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(
            _("Areas: %(created)d created, %(updated)d updated, %(unchanged)d unchanged (%(seconds).1f s).")
            % {
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "seconds": time.perf_counter() - started,
            }
        )
