"""The benchmark harness behind `python manage.py bench`.

A benchmark is a plain module of the `bench` package with

    NAME = "locate"
    def run(quick: bool) -> list[Row]: ...

Modules are found by reading the source (a top-level `NAME = "…"` and `def run`), so the standalone
scripts beside them (bench/classifier.py, bench/hot_issues.py) are never imported; small adapter
modules (bench/bench_*.py) run those as subprocesses and read their JSON.

The harness runs each selected module, prints one table (benchmark, measure, value, unit, baseline,
ratio, target, met?) and writes the figures as JSON with the machine and the date. A missed target
is a result, not an error; only a benchmark that raises (or returns something other than rows) is
an error, and the command then exits non-zero after running the others. A module raises `Skip` when
what it needs is absent (the shared data folder, say).

Benchmarks that need a database call `bench_database()`: the default connection is switched to a
throwaway database (created and migrated, like a test database) for the rest of the run and
destroyed at the end, so a benchmark never touches the database of the demo or of production.
"""

import ast
import importlib
import math
import os
import platform
import sqlite3
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PACKAGE = "bench"
DEFAULT_JSON = ROOT / "var" / "bench" / "results.json"
# Modules of the package that are never benchmarks, even if they looked like one.
NOT_BENCHMARKS = frozenset({"__init__", "harness"})


class BenchError(Exception):
    """The harness cannot do what it was asked (unknown name, broken module folder…)."""


class Skip(Exception):
    """Raised by a benchmark whose inputs are absent: reported as skipped with the reason."""


# ---------------------------------------------------------------------------------------------
# Rows and targets


@dataclass(frozen=True)
class Target:
    """What a figure must reach: `value` (or `value / baseline` when on_ratio) ≥ limit or < limit."""

    limit: float
    at_least: bool
    on_ratio: bool = False

    def met(self, value: float, ratio: float | None) -> bool | None:
        measured = ratio if self.on_ratio else value
        if measured is None or math.isnan(measured):
            return None
        return measured >= self.limit if self.at_least else measured < self.limit

    def describe(self, unit: str) -> str:
        sign = "≥" if self.at_least else "<"
        if self.on_ratio:
            return f"ratio {sign} {self.limit:g}"
        return f"{sign} {self.limit:g} {unit}".rstrip()


def at_least(limit: float) -> Target:
    return Target(limit, at_least=True)


def below(limit: float) -> Target:
    return Target(limit, at_least=False)


def ratio_at_least(limit: float) -> Target:
    """value / baseline ≥ limit: for a throughput, 0.8 means "at least 80 % of the baseline"."""
    return Target(limit, at_least=True, on_ratio=True)


def ratio_below(limit: float) -> Target:
    """value / baseline < limit: for a latency, 1.25 means "at least 80 % of the baseline's speed"."""
    return Target(limit, at_least=False, on_ratio=True)


@dataclass(frozen=True)
class Row:
    """One measured figure, with the baseline measured in the same run when there is one."""

    measure: str
    value: float
    unit: str
    baseline: float | None = None
    target: Target | None = None
    note: str = ""
    # Filled in by the harness from the module's NAME when left empty.
    benchmark: str = ""

    @property
    def ratio(self) -> float | None:
        """value / baseline, whatever the direction of the unit (a latency ratio above 1 is slower)."""
        if self.baseline is None or self.baseline == 0:
            return None
        return self.value / self.baseline

    @property
    def met(self) -> bool | None:
        return None if self.target is None else self.target.met(self.value, self.ratio)

    def as_dict(self) -> dict[str, Any]:
        return {
            "benchmark": self.benchmark,
            "measure": self.measure,
            "value": self.value,
            "unit": self.unit,
            "baseline": self.baseline,
            "ratio": self.ratio,
            "target": self.target.describe(self.unit) if self.target else None,
            "met": self.met,
            "note": self.note,
        }


# ---------------------------------------------------------------------------------------------
# Finding the modules


@dataclass(frozen=True)
class Benchmark:
    name: str
    module: ModuleType

    def run(self, quick: bool) -> Any:
        return self.module.run(quick)


def looks_like_benchmark(path: Path) -> bool:
    """Whether the file has a top-level `NAME = "…"` and a top-level `def run`, read without running it."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, SyntaxError, UnicodeDecodeError) as exc:
        raise BenchError(f"cannot read benchmark file {path}: {exc}") from exc

    def assigns_name(node: ast.stmt) -> bool:
        if isinstance(node, ast.Assign):
            return any(isinstance(t, ast.Name) and t.id == "NAME" for t in node.targets)
        return (
            isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == "NAME"
        )

    has_name = any(assigns_name(node) for node in tree.body)
    has_run = any(isinstance(node, ast.FunctionDef) and node.name == "run" for node in tree.body)
    return has_name and has_run


def discover(package: str = DEFAULT_PACKAGE) -> list[Benchmark]:
    """The benchmark modules of `package`, sorted by NAME. Raises BenchError naming what is wrong."""
    try:
        root = importlib.import_module(package)
    except ImportError as exc:
        raise BenchError(f"cannot import the benchmark package {package!r}: {exc}") from exc
    folders = [Path(p) for p in getattr(root, "__path__", [])]
    if not folders:
        raise BenchError(f"{package!r} is a module, not a package of benchmark modules")
    found: dict[str, Benchmark] = {}
    for folder in folders:
        for path in sorted(folder.glob("*.py")):
            if path.stem in NOT_BENCHMARKS or not looks_like_benchmark(path):
                continue
            dotted = f"{package}.{path.stem}"
            try:
                module = importlib.import_module(dotted)
            except Exception as exc:
                raise BenchError(f"cannot import benchmark module {dotted}: {exc!r}") from exc
            name = getattr(module, "NAME", None)
            if not isinstance(name, str) or not name:
                raise BenchError(f"{dotted}.NAME must be a non-empty string, not {name!r}")
            if not callable(getattr(module, "run", None)):
                raise BenchError(f"{dotted}.run is not callable")
            if name in found:
                raise BenchError(
                    f"two benchmark modules are named {name!r}: {found[name].module.__name__} and {dotted}"
                )
            found[name] = Benchmark(name, module)
    return [found[name] for name in sorted(found)]


def select(benchmarks: Sequence[Benchmark], only: Sequence[str]) -> list[Benchmark]:
    """The benchmarks named in `only` (all when empty), in discovery order."""
    if not only:
        return list(benchmarks)
    known = {b.name for b in benchmarks}
    unknown = [name for name in only if name not in known]
    if unknown:
        raise BenchError(
            f"unknown benchmark {', '.join(map(repr, unknown))}; known: {', '.join(sorted(known)) or 'none'}"
        )
    return [b for b in benchmarks if b.name in set(only)]


# ---------------------------------------------------------------------------------------------
# Running


@dataclass
class Outcome:
    name: str
    rows: list[Row] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None
    skipped: str | None = None


def say(message: str) -> None:
    """Progress for the person waiting; the table itself goes to the command's output."""
    print(message, file=sys.stderr, flush=True)


def run_one(benchmark: Benchmark, quick: bool) -> Outcome:
    outcome = Outcome(benchmark.name)
    started = time.perf_counter()
    try:
        rows = benchmark.run(quick)
        if not isinstance(rows, list) or not all(isinstance(row, Row) for row in rows):
            raise BenchError(
                f"{benchmark.module.__name__}.run() must return a list of harness.Row, "
                f"not {type(rows).__name__}"
                + (f" of {sorted({type(r).__name__ for r in rows})}" if isinstance(rows, list) else "")
            )
        outcome.rows = [row if row.benchmark else replace(row, benchmark=benchmark.name) for row in rows]
    except Skip as exc:
        outcome.skipped = str(exc) or "skipped"
    except Exception as exc:
        outcome.error = f"{type(exc).__name__}: {exc}"
        say(f"{benchmark.name} failed:\n{traceback.format_exc()}")
    outcome.seconds = time.perf_counter() - started
    return outcome


def run_all(benchmarks: Sequence[Benchmark], quick: bool) -> list[Outcome]:
    outcomes = []
    try:
        for benchmark in benchmarks:
            say(f"running {benchmark.name} ({'quick' if quick else 'full'})…")
            outcome = run_one(benchmark, quick)
            say(f"{benchmark.name}: {outcome.seconds:.1f} s")
            outcomes.append(outcome)
    finally:
        close_bench_database()
    return outcomes


# ---------------------------------------------------------------------------------------------
# The machine


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    except (OSError, ValueError):
        pass
    return None


def _database() -> dict[str, Any]:
    from django.db import connection

    info: dict[str, Any] = {"vendor": connection.vendor}
    if connection.vendor == "sqlite":
        info["version"] = sqlite3.sqlite_version
    else:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT version()")
                info["version"] = str(cursor.fetchone()[0])
        except Exception as exc:  # the figures are still worth writing without the server's version
            info["version"] = f"unknown ({type(exc).__name__})"
    return info


def machine() -> dict[str, Any]:
    from django.conf import settings

    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gib": _ram_gib(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "database": _database(),
        # DEBUG makes Django log every query: slower queries and a growing list in memory.
        "django_debug": bool(settings.DEBUG),
    }


# ---------------------------------------------------------------------------------------------
# Output


COLUMNS = ("benchmark", "measure", "value", "unit", "baseline", "ratio", "target", "met?")


def number(value: float | None) -> str:
    """A figure with about four significant digits, thousands separated."""
    if value is None:
        return ""
    if math.isnan(value):
        return "nan"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def table(outcomes: Sequence[Outcome]) -> str:
    lines: list[tuple[str, ...]] = []
    for outcome in outcomes:
        if outcome.error is not None:
            lines.append((outcome.name, f"ERROR {outcome.error}", "", "", "", "", "", ""))
            continue
        if outcome.skipped is not None:
            lines.append((outcome.name, f"skipped: {outcome.skipped}", "", "", "", "", "", ""))
            continue
        for row in outcome.rows:
            met = {True: "yes", False: "NO", None: ""}[row.met]
            ratio = row.ratio
            lines.append(
                (
                    row.benchmark,
                    row.measure,
                    number(row.value),
                    row.unit,
                    number(row.baseline),
                    "" if ratio is None else f"{ratio:.2f}",
                    row.target.describe(row.unit) if row.target else "",
                    met,
                )
            )
    widths = [max(len(c) for c in column) for column in zip(COLUMNS, *lines, strict=True)]
    right = {2, 4, 5}

    def render(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.rjust(width) if i in right else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rendered = [render(COLUMNS), render(["-" * w for w in widths])]
    rendered.extend(render(line) for line in lines)
    notes = [f"- {r.benchmark} / {r.measure}: {r.note}" for o in outcomes for r in o.rows if r.note]
    if notes:
        rendered += ["", "notes:", *notes]
    return "\n".join(rendered)


def results(outcomes: Sequence[Outcome], *, quick: bool, started_at: datetime) -> dict[str, Any]:
    return {
        "date": started_at.isoformat(timespec="seconds"),
        "mode": "quick" if quick else "full",
        "machine": machine(),
        "benchmarks": [
            {
                "name": o.name,
                "seconds": round(o.seconds, 2),
                "error": o.error,
                "skipped": o.skipped,
                "rows": [row.as_dict() for row in o.rows],
            }
            for o in outcomes
        ],
    }


def write_json(path: Path, data: dict[str, Any]) -> None:
    import json

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


@dataclass
class Report:
    outcomes: list[Outcome]
    data: dict[str, Any]
    text: str

    @property
    def errors(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.error is not None]


def main(
    *,
    quick: bool,
    only: Sequence[str] = (),
    json_path: Path = DEFAULT_JSON,
    package: str = DEFAULT_PACKAGE,
    out: Callable[[str], object] = print,
) -> Report:
    """Discover, run, print the table with `out`, write JSON. Raises BenchError before running anything
    when the selection is wrong; a failing benchmark is in Report.errors instead."""
    benchmarks = select(discover(package), only)
    if not benchmarks:
        raise BenchError(f"no benchmark modules found in the {package!r} package")
    started_at = datetime.now(UTC)
    outcomes = run_all(benchmarks, quick)
    data = results(outcomes, quick=quick, started_at=started_at)
    write_json(json_path, data)
    described = data["machine"]
    heading = (
        f"{'quick' if quick else 'full'} run, {started_at:%Y-%m-%d %H:%M} UTC, {described['cpu']}, "
        f"{described['cores']} cores, {described['ram_gib']} GiB, Python {described['python']}, "
        f"{described['database']['vendor']} {described['database']['version']}"
        + (
            ", DEBUG on (Django logs every query: not production figures)"
            if described["django_debug"]
            else ""
        )
    )
    text = f"{heading}\n\n{table(outcomes)}\n\nwritten {json_path}"
    out(text)
    return Report(outcomes, data, text)


# ---------------------------------------------------------------------------------------------
# The throwaway database


@dataclass(frozen=True)
class BenchDatabase:
    vendor: str
    name: str
    original_name: str

    def child_environment(self) -> dict[str, str]:
        """os.environ for a subprocess (a web worker, say) that must open this database."""
        environment = dict(os.environ)
        if self.vendor == "sqlite":
            environment.pop("DATABASE_URL", None)
            environment["GRIDGOV_SQLITE_PATH"] = self.name
            return environment
        url = urlsplit(os.environ["DATABASE_URL"])
        environment["DATABASE_URL"] = urlunsplit(url._replace(path="/" + self.name))
        return environment


_database_in_use: BenchDatabase | None = None


def bench_database() -> BenchDatabase:
    """Switch the default connection to a new, migrated, empty database for the rest of this run.

    Called again in the same run it returns the same database (benchmarks may share its data). It
    is destroyed by close_bench_database(), which the harness calls after the last benchmark.
    """
    global _database_in_use
    if _database_in_use is not None:
        return _database_in_use
    from django.db import connection

    test_settings = connection.settings_dict.setdefault("TEST", {})
    if connection.vendor == "sqlite":
        test_settings["NAME"] = str(Path(tempfile.gettempdir()) / f"gridgov-bench-{os.getpid()}.sqlite3")
    else:
        test_settings["NAME"] = f"gridgov_bench_{os.getpid()}"
    original = connection.settings_dict["NAME"]
    say("creating the benchmark database…")
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    _database_in_use = BenchDatabase(connection.vendor, str(name), str(original))
    return _database_in_use


def close_bench_database() -> None:
    global _database_in_use
    if _database_in_use is None:
        return
    from django.db import connection

    connection.creation.destroy_test_db(_database_in_use.original_name, verbosity=0)
    _database_in_use = None
