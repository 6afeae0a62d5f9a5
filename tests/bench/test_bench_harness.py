"""The benchmark harness (bench/harness.py) and `manage.py bench`, on tiny fake benchmark packages.

No figure here is timed: the fake benchmarks return fixed rows, and the tests check that the harness
finds them, computes ratios and targets, prints the table, writes the JSON and reports errors.
"""

import json
import os
import sqlite3
import sys
import textwrap
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from bench import harness
from bench.harness import Row, Target, at_least, below, ratio_at_least, ratio_below

MakePackage = Callable[[dict[str, str]], str]


@pytest.fixture
def make_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MakePackage]:
    """Writes {module: source} as a new package on sys.path and returns its (unique) name."""
    made: list[str] = []

    def make(modules: dict[str, str]) -> str:
        name = f"fakebench_{uuid.uuid4().hex[:8]}"
        folder = tmp_path / name
        folder.mkdir()
        (folder / "__init__.py").write_text("", encoding="utf-8")
        for module, source in modules.items():
            (folder / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        made.append(name)
        return name

    monkeypatch.syspath_prepend(str(tmp_path))
    yield make
    for name in list(sys.modules):
        if any(name == m or name.startswith(m + ".") for m in made):
            del sys.modules[name]


SPEED = """
    from bench.harness import Row, ratio_at_least, below

    NAME = "speed"
    CALLS = []

    def run(quick):
        CALLS.append(quick)
        size = 10 if quick else 1000
        return [
            Row(
                f"throughput at {size}", 3.0 * size, "items/s",
                baseline=4.0 * size, target=ratio_at_least(0.8),
            ),
            Row("peak memory", 120.0, "MB", target=below(400), note="measured in a child"),
        ]
"""

PLAIN_SCRIPT = """
    # A standalone script beside the benchmarks: never imported by the harness.
    raise SystemExit("the harness must not import this")
"""


def bench(*arguments: str) -> str:
    out = StringIO()
    call_command("bench", *arguments, stdout=out)
    return out.getvalue()


def table_row(text: str, measure: str) -> list[str]:
    """The cells of the table line whose measure is `measure` (cells are separated by 2+ spaces)."""
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.split("  ") if cell.strip()]
        if len(cells) > 1 and cells[1] == measure:
            return cells
    raise AssertionError(f"no table row {measure!r} in:\n{text}")


# ---------------------------------------------------------------------------------------------
# Rows and targets


@pytest.mark.parametrize(
    ("target", "value", "baseline", "expected"),
    [
        (at_least(2000), 2500.0, None, True),
        (at_least(2000), 1999.0, None, False),
        (below(400), 399.9, None, True),
        (below(400), 400.0, None, False),
        (ratio_at_least(0.8), 80.0, 100.0, True),
        (ratio_at_least(0.8), 79.0, 100.0, False),
        (ratio_below(1.25), 12.0, 10.0, True),
        (ratio_below(1.25), 13.0, 10.0, False),
        (ratio_at_least(0.8), 80.0, None, None),
    ],
)
def test_row_ratio_and_target(
    target: Target, value: float, baseline: float | None, expected: bool | None
) -> None:
    row = Row("m", value, "u", baseline=baseline, target=target)
    assert row.ratio == (None if baseline is None else value / baseline)
    assert row.met is expected


def test_a_row_without_target_or_baseline_has_neither_ratio_nor_verdict() -> None:
    row = Row("m", 5.0, "s")
    assert (row.ratio, row.met) == (None, None)
    assert Row("m", 5.0, "s", baseline=0.0).ratio is None


# ---------------------------------------------------------------------------------------------
# Discovery


def test_discover_finds_modules_with_name_and_run_only(make_package: MakePackage) -> None:
    package = make_package(
        {
            "speed": SPEED,
            "script": PLAIN_SCRIPT,
            "second": 'from bench.harness import Row\nNAME = "another"\ndef run(quick):\n    return []\n',
        }
    )
    found = harness.discover(package)
    assert [b.name for b in found] == ["another", "speed"]
    assert f"{package}.script" not in sys.modules


def test_the_repository_benchmarks_are_found_and_the_standalone_scripts_are_not() -> None:
    found = {b.name: b.module.__name__ for b in harness.discover("bench")}
    assert found["locate"] == "bench.locate"
    assert found["memory"] == "bench.memory"
    assert found["classifier"] == "bench.bench_classifier"
    assert found["hot_issues"] == "bench.bench_hot_issues"
    assert "bench.classifier" not in found.values()
    assert "bench.hot_issues" not in found.values()


def test_two_modules_with_one_name_is_an_error(make_package: MakePackage) -> None:
    package = make_package({"a": SPEED, "b": SPEED})
    with pytest.raises(harness.BenchError, match=r"two benchmark modules are named 'speed'"):
        harness.discover(package)


def test_a_module_that_cannot_be_imported_is_named(make_package: MakePackage) -> None:
    package = make_package(
        {"broken": 'import not_a_module_anywhere\nNAME = "broken"\ndef run(quick):\n    return []\n'}
    )
    with pytest.raises(harness.BenchError, match=rf"cannot import benchmark module {package}\.broken"):
        harness.discover(package)


def test_an_unknown_package_is_a_command_error() -> None:
    with pytest.raises(CommandError, match="cannot import the benchmark package 'no_such_bench_package'"):
        bench("--package", "no_such_bench_package")


# ---------------------------------------------------------------------------------------------
# The command


def test_bench_prints_one_table_and_writes_json(make_package: MakePackage, tmp_path: Path) -> None:
    package = make_package({"speed": SPEED, "script": PLAIN_SCRIPT})
    output = tmp_path / "out" / "results.json"
    before = datetime.now(UTC).replace(microsecond=0)

    text = bench("--package", package, "--json", str(output))

    header = table_row(text, "measure")
    assert header == ["benchmark", "measure", "value", "unit", "baseline", "ratio", "target", "met?"]
    assert table_row(text, "throughput at 10") == [
        "speed",
        "throughput at 10",
        f"{3.0 * 10:.2f}",
        "items/s",
        f"{4.0 * 10:.2f}",
        f"{3 / 4:.2f}",
        "ratio ≥ 0.8",
        "NO",
    ]
    assert table_row(text, "peak memory") == ["speed", "peak memory", "120.0", "MB", "< 400 MB", "yes"]
    assert "speed / peak memory: measured in a child" in text
    assert sys.modules[f"{package}.speed"].CALLS == [True]

    data = json.loads(output.read_text(encoding="utf-8"))
    assert data["mode"] == "quick"
    assert before <= datetime.fromisoformat(data["date"]) <= datetime.now(UTC) + timedelta(seconds=1)
    machine = data["machine"]
    assert machine["cores"] == os.cpu_count()
    assert machine["sqlite"] == sqlite3.sqlite_version
    assert machine["python"] == ".".join(map(str, sys.version_info[:3]))
    assert machine["cpu"]
    assert machine["database"]["vendor"] in {"sqlite", "postgresql"}
    assert machine["django_debug"] is settings.DEBUG
    assert ("DEBUG on" in text) is settings.DEBUG
    [speed] = data["benchmarks"]
    assert (speed["name"], speed["error"], speed["skipped"]) == ("speed", None, None)
    assert speed["rows"][0] == {
        "benchmark": "speed",
        "measure": "throughput at 10",
        "value": 30.0,
        "unit": "items/s",
        "baseline": 40.0,
        "ratio": 0.75,
        "target": "ratio ≥ 0.8",
        "met": False,
        "note": "",
    }
    assert speed["rows"][1]["met"] is True


def test_full_passes_quick_false(make_package: MakePackage, tmp_path: Path) -> None:
    package = make_package({"speed": SPEED})
    text = bench("--package", package, "--full", "--json", str(tmp_path / "r.json"))
    assert table_row(text, "throughput at 1000")[0] == "speed"
    assert sys.modules[f"{package}.speed"].CALLS == [False]
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["mode"] == "full"


def test_only_runs_the_named_benchmarks(make_package: MakePackage, tmp_path: Path) -> None:
    other = (
        'from bench.harness import Row\nNAME = "other"\ndef run(quick):\n    return [Row("o", 1.0, "s")]\n'
    )
    package = make_package({"speed": SPEED, "other": other})
    text = bench("--package", package, "--only", "other", "--json", str(tmp_path / "r.json"))
    assert table_row(text, "o")[0] == "other"
    assert "throughput" not in text
    assert sys.modules[f"{package}.speed"].CALLS == []


def test_an_unknown_name_is_refused_before_anything_runs(make_package: MakePackage, tmp_path: Path) -> None:
    package = make_package({"speed": SPEED})
    with pytest.raises(CommandError, match=r"unknown benchmark 'nope'; known: speed"):
        bench("--package", package, "--only", "nope", "--json", str(tmp_path / "r.json"))
    assert sys.modules[f"{package}.speed"].CALLS == []
    assert not (tmp_path / "r.json").exists()


def test_a_failing_benchmark_is_an_error_after_the_others_ran(
    make_package: MakePackage, tmp_path: Path
) -> None:
    failing = 'NAME = "failing"\ndef run(quick):\n    raise ValueError("the fixture data is missing")\n'
    package = make_package({"speed": SPEED, "failing": failing})
    output = tmp_path / "r.json"
    with pytest.raises(
        CommandError, match=r"1 benchmark\(s\) failed: failing: ValueError: the fixture data is missing"
    ):
        bench("--package", package, "--json", str(output))
    data = json.loads(output.read_text(encoding="utf-8"))
    by_name = {b["name"]: b for b in data["benchmarks"]}
    assert by_name["failing"]["error"] == "ValueError: the fixture data is missing"
    assert by_name["speed"]["error"] is None
    assert len(by_name["speed"]["rows"]) == 2


def test_rows_of_the_wrong_type_are_an_error(make_package: MakePackage, tmp_path: Path) -> None:
    wrong = 'NAME = "wrong"\ndef run(quick):\n    return [{"measure": "x", "value": 1}]\n'
    package = make_package({"wrong": wrong})
    with pytest.raises(
        CommandError, match=r"wrong\.run\(\) must return a list of harness\.Row, not list of \['dict'\]"
    ):
        bench("--package", package, "--json", str(tmp_path / "r.json"))


def test_a_skipped_benchmark_is_reported_not_an_error(make_package: MakePackage, tmp_path: Path) -> None:
    skipped = (
        "from bench.harness import Skip\n"
        'NAME = "needs_data"\n'
        "def run(quick):\n"
        '    raise Skip("the shared data folder is absent")\n'
    )
    package = make_package({"needs_data": skipped, "speed": SPEED})
    text = bench("--package", package, "--json", str(tmp_path / "r.json"))
    assert "needs_data  skipped: the shared data folder is absent" in text
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert {b["name"]: b["skipped"] for b in data["benchmarks"]} == {
        "needs_data": "the shared data folder is absent",
        "speed": None,
    }


def test_list_names_the_benchmarks_without_running_them(make_package: MakePackage) -> None:
    package = make_package({"speed": SPEED})
    assert bench("--package", package, "--list").split() == ["speed", f"({package}.speed)"]
    assert sys.modules[f"{package}.speed"].CALLS == []
