"""Locate against real data: NYC community districts and the community board NYC 311 records carry.

A synthetic district 990101000000 holds the 71 community districts as streets (BoroCD 311 →
990101311000). The `locate` command runs on two real 311 files; for every row with a point and a
real board ("07 QUEENS" → 407), the located district must be the board's in at least 99 % of rows.
"""

import csv
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from gridgov.areas.actions import AreaRow, upsert_areas
from gridgov.areas.models import Area
from gridgov.core.area_codes import Level

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]

BOROUGH_NUMBERS = {"MANHATTAN": 1, "BRONX": 2, "BROOKLYN": 3, "QUEENS": 4, "STATEN ISLAND": 5}
BOARD = re.compile(r"(\d{2}) (MANHATTAN|BRONX|BROOKLYN|QUEENS|STATEN ISLAND)")
PARENT = "990101000000"


def board_to_borocd(board: str) -> int | None:
    """ "07 QUEENS" → 407; None for "Unspecified QUEENS", "0 Unspecified" and anything else."""
    match = BOARD.fullmatch(board.strip())
    if match is None:
        return None
    return BOROUGH_NUMBERS[match.group(2)] * 100 + int(match.group(1))


@pytest.fixture
def nyc_districts(shared_data: Path) -> None:
    upsert_areas(
        [
            AreaRow("990000000000", "Test province", Level.PROVINCE, None),
            AreaRow("990100000000", "Test city", Level.CITY, "990000000000"),
            AreaRow(PARENT, "New York City (test)", Level.DISTRICT, "990100000000"),
        ],
        actor_label="tests",
    )
    out = StringIO()
    call_command(
        "import_boundaries",
        str(shared_data / "boundaries" / "nyc-community-districts.geojson"),
        "--level=street",
        "--code-field=BoroCD",
        "--name-field=BoroCD",
        f"--parent={PARENT}",
        stdout=out,
    )
    assert out.getvalue().splitlines()[-1] == (
        "Features: 71; areas 71 created, 0 updated, 0 unchanged; 0 repaired, 0 skipped."
    )


def test_community_districts_are_streets_under_the_test_district(nyc_districts: None) -> None:
    streets = Area.objects.filter(parent_id=PARENT)
    assert streets.count() == 71
    queens_7 = Area.objects.get(code="990101407000")
    assert (queens_7.name, queens_7.level, queens_7.boundary_source) == ("407", "street", "imported")


@pytest.mark.parametrize(
    ("file_name", "board_field", "rows", "no_point", "compared", "agreeing"),
    [
        ("nyc-311-mixed-agencies.csv", "Community Board", 1000, 107, 871, 867),
        ("nyc-311-night-2024.csv", "community_board", 1000, 23, 975, 974),
    ],
)
def test_located_district_agrees_with_the_community_board(
    nyc_districts: None,
    shared_data: Path,
    tmp_path: Path,
    file_name: str,
    board_field: str,
    rows: int,
    no_point: int,
    compared: int,
    agreeing: int,
) -> None:
    target = tmp_path / "located.csv"
    out = StringIO()
    # Default field names: "Latitude"/"Longitude" and "latitude"/"longitude" both match.
    call_command(
        "locate", f"--input={shared_data / 'service-requests' / file_name}", f"--output={target}", stdout=out
    )
    located = rows - no_point
    assert out.getvalue() == (
        f"Rows: {rows}; located: {located}; outside every area: 0; no point: {no_point}.\n"
    )
    with target.open(encoding="utf-8", newline="") as handle:
        records = list(csv.DictReader(handle))
    assert len(records) == rows
    pairs = [
        (board_to_borocd(record[board_field]), record["area_code"])
        for record in records
        if record["area_code"] and board_to_borocd(record[board_field]) is not None
    ]
    agree = sum(1 for borocd, code in pairs if code == f"990101{borocd:03d}000")
    share = agree / len(pairs)
    print(f"{file_name}: {agree} of {len(pairs)} located rows agree with the community board ({share:.2%})")
    assert (len(pairs), agree) == (compared, agreeing)
    assert share >= 0.99
    assert all(record["area_name"] == record["area_code"][6:9] for record in records if record["area_code"])
