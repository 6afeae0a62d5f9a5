"""manage.py import_boundaries PATH --level L --code-field F --name-field F [--parent C] [--skip-invalid]."""

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gridgov.areas.actions import import_boundaries
from gridgov.areas.errors import BoundaryImportInvalid
from gridgov.core.area_codes import Level
from gridgov.core.coordinates import SYSTEMS


class Command(BaseCommand):
    help = (
        "Attach the polygons of a GeoJSON FeatureCollection to areas of one level, creating missing "
        "areas. All or nothing unless --skip-invalid; every bad feature is reported."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path", type=Path, help="a GeoJSON FeatureCollection (longitude/latitude)")
        parser.add_argument("--level", required=True, choices=[level.value for level in Level])
        parser.add_argument("--code-field", required=True, help="the feature property holding the code")
        parser.add_argument("--name-field", required=True, help="the feature property holding the name")
        parser.add_argument(
            "--parent",
            default=None,
            help="code of the parent area; the code field is then the child's number inside it",
        )
        parser.add_argument(
            "--coordinate-system",
            choices=list(SYSTEMS),
            default=None,
            help="the file's coordinate system, converted to GRIDGOV_COORDINATE_SYSTEM (default: in it)",
        )
        parser.add_argument(
            "--skip-invalid", action="store_true", help="import the good features and report the bad ones"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(_("%(path)s does not exist.") % {"path": path})
        try:
            report = import_boundaries(
                path,
                level=Level(options["level"]),
                code_field=options["code_field"],
                name_field=options["name_field"],
                parent_code=options["parent"],
                skip_invalid=options["skip_invalid"],
                coordinate_system=options["coordinate_system"],
                actor_label="manage.py import_boundaries",
            )
        except BoundaryImportInvalid as exc:
            for problem in exc.details.get("problems", []):
                self.stderr.write(self.describe(problem["index"], problem["code"], problem["reason"]))
            raise CommandError(str(exc.message)) from exc
        for note in report.repaired:
            self.stdout.write(self.describe(note.index, note.code, note.reason))
        for note in report.skipped:
            self.stderr.write(
                _("skipped %(feature)s") % {"feature": self.describe(note.index, note.code, note.reason)}
            )
        self.stdout.write(
            _(
                "Features: %(features)d; areas %(created)d created, %(updated)d updated, %(unchanged)d "
                "unchanged; %(repaired)d repaired, %(skipped)d skipped."
            )
            % {
                "features": report.features,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "repaired": len(report.repaired),
                "skipped": len(report.skipped),
            }
        )

    @staticmethod
    def describe(index: int | None, code: str, reason: str) -> str:
        if index is None:
            return reason
        where = _("feature %(index)d") % {"index": index}
        return f"{where} ({code}): {reason}" if code else f"{where}: {reason}"
