"""manage.py load_catalogue [--data-dir DIR] [--district CODE ...]"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gridgov.catalogue.actions import create_district_departments, load_catalogue
from gridgov.catalogue.errors import CatalogueDataInvalid
from gridgov.core.errors import DomainError

ACTOR_LABEL = "manage.py load_catalogue"


class Command(BaseCommand):
    help = (
        "Load the department functions, case categories (数字城管 事件/部件, citizen-message classes), "
        "the matter table with its time limits and the working-calendar years from gridgov/catalogue/data. "
        "Safe to run again: unchanged rows are left alone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--data-dir", type=Path, default=None, help="Read the CSV files from this folder."
        )
        parser.add_argument(
            "--district",
            action="append",
            default=[],
            metavar="CODE",
            help="Also create one department per function for this district (6 or 12 digits); repeatable.",
        )

    def handle(self, *args: Any, data_dir: Path | None, district: list[str], **options: Any) -> None:
        try:
            report = load_catalogue(actor_label=ACTOR_LABEL, data_dir=data_dir)
        except CatalogueDataInvalid as error:
            for row in error.details.get("errors", []):
                self.stderr.write(f"{row['file']}:{row['line']}: {row['message']}")
            raise CommandError(f"{error.message} ({len(error.details.get('errors', []))} errors)") from error
        self.stdout.write(
            f"functions: {report.functions_created} created, {report.functions_updated} updated, "
            f"{report.functions_in_files} in the files"
        )
        self.stdout.write(
            f"categories: {report.categories_created} created, {report.categories_updated} updated"
        )
        for scheme, depths in sorted(report.categories_in_files.items()):
            levels = " / ".join(str(depths[d]) for d in sorted(depths))
            self.stdout.write(f"  {scheme}: {levels} (by level)")
        matters = report.matters
        self.stdout.write(
            f"matter rules: {matters.rules_created} created, {matters.rules_updated} updated, "
            f"{matters.rules_in_files} in the files with {matters.limits_in_files} time limits"
        )
        for calendar in report.calendars:
            self.stdout.write(
                f"calendar {calendar.year}: {calendar.created} created, {calendar.updated} updated, "
                f"{calendar.deleted} deleted ({calendar.holidays_in_file} holidays, "
                f"{calendar.makeup_workdays_in_file} make-up working days in {calendar.file})"
            )
        for code in district:
            try:
                departments = create_district_departments(code, actor_label=ACTOR_LABEL)
            except DomainError as error:
                raise CommandError(f"{code}: {error.message} {error.details}") from error
            self.stdout.write(f"district {code}: {len(departments)} departments")
