"""manage.py locate --input points.csv --output out.csv: the smallest area of every row's point.

Every input row is copied and gets two more columns, area_code and area_name (both empty when the
row has no usable point or the point lies outside every area with a boundary). Rows stream through
in batches; the output is written to a temporary file beside the target and moved into place only
when the whole input has been read, so bad input leaves no output file behind.
"""

import csv
import math
import tempfile
from argparse import ArgumentParser
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gridgov.areas.geometry import locate_points
from gridgov.areas.models import Area

APPENDED_COLUMNS = ["area_code", "area_name"]


@dataclass
class LocateCounts:
    rows: int = 0
    located: int = 0
    outside: int = 0
    no_point: int = 0


def find_column(header: list[str], wanted: str) -> int:
    """The position of `wanted` in the header: an exact match, else the one case-insensitive match."""
    cleaned = [column.strip() for column in header]
    if wanted in cleaned:
        return cleaned.index(wanted)
    folded = [i for i, column in enumerate(cleaned) if column.casefold() == wanted.strip().casefold()]
    if len(folded) == 1:
        return folded[0]
    if folded:
        raise CommandError(
            _("The input has several columns named %(field)s (ignoring case): %(columns)s.")
            % {"field": wanted, "columns": ", ".join(cleaned[i] for i in folded)}
        )
    raise CommandError(
        _("The input has no column %(field)s. Its columns are: %(columns)s.")
        % {"field": wanted, "columns": ", ".join(cleaned)}
    )


def parse_coordinate(text: str, limit: float) -> float | None:
    """A finite number within ±limit, or None."""
    try:
        value = float(text.strip())
    except ValueError:
        return None
    if not math.isfinite(value) or abs(value) > limit:
        return None
    return value


@contextmanager
def replacing(target: Path) -> Iterator[IO[str]]:
    """A text file that becomes `target` only if the block finishes without an exception."""
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed and moved or removed below
        "w",
        encoding="utf-8",
        newline="",
        dir=target.parent,
        prefix=f".{target.name}.",
        suffix=".part",
        delete=False,
    )
    try:
        with handle:
            yield handle
        Path(handle.name).replace(target)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


class Command(BaseCommand):
    help = (
        "Find the smallest area containing each row's point in a CSV file; copies every row and appends "
        "area_code and area_name."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--input", required=True, type=Path, help="CSV file with a header row")
        parser.add_argument("--output", required=True, type=Path, help="CSV file to write")
        parser.add_argument("--lon-field", default="longitude", help="longitude column (case-insensitive)")
        parser.add_argument("--lat-field", default="latitude", help="latitude column (case-insensitive)")
        parser.add_argument("--encoding", default="utf-8-sig", help="encoding of the input (default UTF-8)")
        parser.add_argument("--batch-size", type=int, default=5000, help="rows located per index query")

    def handle(self, *args: Any, **options: Any) -> None:
        source: Path = options["input"]
        target: Path = options["output"]
        if not source.is_file():
            raise CommandError(_("%(path)s does not exist.") % {"path": source})
        if target.exists() and target.resolve() == source.resolve():
            raise CommandError(_("The output must not be the input file."))
        if not target.parent.is_dir():
            raise CommandError(_("The folder %(path)s does not exist.") % {"path": target.parent})
        batch_size = max(1, options["batch_size"])
        counts = LocateCounts()
        try:
            with source.open(encoding=options["encoding"], newline="") as handle:
                reader = csv.reader(handle)
                header = next(reader, None)
                if not header:
                    raise CommandError(_("%(path)s is empty.") % {"path": source})
                lon_at = find_column(header, options["lon_field"])
                lat_at = find_column(header, options["lat_field"])
                names: dict[str, str] = {}
                with replacing(target) as out:
                    writer = csv.writer(out)
                    writer.writerow([*header, *APPENDED_COLUMNS])
                    batch: list[list[str]] = []
                    for record in reader:
                        batch.append(record)
                        if len(batch) >= batch_size:
                            self.write_batch(writer, batch, len(header), lon_at, lat_at, names, counts)
                            batch = []
                    self.write_batch(writer, batch, len(header), lon_at, lat_at, names, counts)
        except UnicodeDecodeError as exc:
            raise CommandError(
                _("%(path)s is not %(encoding)s text: %(error)s")
                % {"path": source, "encoding": options["encoding"], "error": exc}
            ) from exc
        except csv.Error as exc:
            raise CommandError(
                _("%(path)s is not valid CSV: %(error)s") % {"path": source, "error": exc}
            ) from exc
        self.stdout.write(
            _(
                "Rows: %(rows)d; located: %(located)d; outside every area: %(outside)d; "
                "no point: %(no_point)d."
            )
            % {
                "rows": counts.rows,
                "located": counts.located,
                "outside": counts.outside,
                "no_point": counts.no_point,
            }
        )

    def write_batch(
        self,
        writer: Any,
        batch: list[list[str]],
        width: int,
        lon_at: int,
        lat_at: int,
        names: dict[str, str],
        counts: LocateCounts,
    ) -> None:
        if not batch:
            return
        lons: list[float | None] = []
        lats: list[float | None] = []
        for record in batch:
            lon = parse_coordinate(record[lon_at], 180.0) if lon_at < len(record) else None
            lat = parse_coordinate(record[lat_at], 90.0) if lat_at < len(record) else None
            if lon is None or lat is None:
                lon = lat = None
            lons.append(lon)
            lats.append(lat)
        codes = locate_points(lons, lats)
        unknown = sorted({code for code in codes if code is not None and code not in names})
        if unknown:
            names.update(Area.objects.filter(code__in=unknown).values_list("code", "name"))
        for record, lon, code in zip(batch, lons, codes, strict=True):
            counts.rows += 1
            if lon is None:
                counts.no_point += 1
            elif code is None:
                counts.outside += 1
            else:
                counts.located += 1
            padding = [""] * (width - len(record))
            writer.writerow([*record, *padding, code or "", names.get(code, "") if code else ""])
