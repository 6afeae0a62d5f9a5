"""manage.py load_calendar FILE [FILE ...]"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gridgov.catalogue.actions import load_calendar
from gridgov.catalogue.errors import CatalogueDataInvalid

ACTOR_LABEL = "manage.py load_calendar"


class Command(BaseCommand):
    help = (
        "Load one year of holidays and make-up working days (CSV: date,kind,name) into the working "
        "calendar. The file is the truth for its year: dates of that year it does not list are deleted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="calendar-YYYY.csv")

    def handle(self, *args: Any, files: list[Path], **options: Any) -> None:
        for path in files:
            try:
                report = load_calendar(path, actor_label=ACTOR_LABEL)
            except CatalogueDataInvalid as error:
                for row in error.details.get("errors", []):
                    self.stderr.write(f"{row['file']}:{row['line']}: {row['message']}")
                raise CommandError(f"{path}: {error.message}") from error
            self.stdout.write(
                f"calendar {report.year}: {report.created} created, {report.updated} updated, "
                f"{report.deleted} deleted ({report.holidays_in_file} holidays, "
                f"{report.makeup_workdays_in_file} make-up working days)"
            )
