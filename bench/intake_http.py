"""Intake through the HTTP API: reports per second and their latency against the production server.

The production set-up (docs/production.md): gunicorn with config/gunicorn.conf.py and production
settings (GRIDGOV_DEBUG unset), started here as a subprocess on a free port of 127.0.0.1 and on the
benchmark database (the same SQLite file, or the same PostgreSQL database). Before it starts, the
demo's grids, the catalogue, the departments and the operator are set up and committed by
bench.intake_bulk.prepare(), and the operator gets an API token, as a hotline system would.

Eight client threads, each with its own keep-alive connection (http.client; the sync worker closes
the connection after each answer and the client reconnects, as a real client would), send N hotline
reports (quick 2,000, full 20,000; bench.intake_bulk.make_reports) as `POST /api/v1/cases/` with
the token. Measured: requests per second over the whole run and each request's wall time (p50,
p99). Every answer must be 201, and the database must then hold exactly N cases.

Baselines in the same run:
- the very Case and CaseEvent rows the API wrote, inserted again with plain SQL
  (bench.intake_bulk.plain_sql_insert), cases per second: what the database alone could take;
- `GET /api/v1/accounts/me` with the same token and the same 8 clients: authentication, Django and
  gunicorn without the report, the server's own overhead.
The server is stopped and every row written here deleted at the end, also on error.
"""

import http.client
import json
import math
import os
import runpy
import secrets
import signal
import socket
import string
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bench.harness import ROOT, Row, at_least, below, bench_database, say

NAME = "intake_http"
SIZES = {True: 2_000, False: 20_000}
TRIVIAL_SIZES = {True: 2_000, False: 10_000}
CLIENTS = 8
TARGET_REQUESTS_PER_SECOND = 300
TARGET_P99_MS = 100
GUNICORN_CONFIG = ROOT / "config" / "gunicorn.conf.py"
REPORT_PATH = "/api/v1/cases/"
TRIVIAL_PATH = "/api/v1/accounts/me"
HOST = "127.0.0.1"
CSRF_ALPHABET = string.ascii_letters + string.digits


# ---------------------------------------------------------------------------------------------
# Statistics


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100) with linear interpolation between ranks (numpy's default)."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} is outside 0–100")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    below_rank, above_rank = math.floor(rank), math.ceil(rank)
    low, high = ordered[below_rank], ordered[above_rank]
    return low + (high - low) * (rank - below_rank)


# ---------------------------------------------------------------------------------------------
# The server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def server_settings(environment: dict[str, str] | None = None) -> dict[str, Any]:
    """workers, threads and worker_class as config/gunicorn.conf.py computes them for `environment`."""
    saved = dict(os.environ)
    try:
        if environment is not None:
            os.environ.clear()
            os.environ.update(environment)
        values = runpy.run_path(str(GUNICORN_CONFIG))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return {key: values[key] for key in ("workers", "threads", "worker_class", "preload_app")}


def production_environment(base: dict[str, str]) -> dict[str, str]:
    """`base` as production runs it: DEBUG off and a secret key (a fresh one unless one is set)."""
    environment = dict(base)
    environment.pop("GRIDGOV_DEBUG", None)
    environment["DJANGO_SETTINGS_MODULE"] = "config.settings"
    if not environment.get("GRIDGOV_SECRET_KEY"):
        environment["GRIDGOV_SECRET_KEY"] = secrets.token_urlsafe(50)
    return environment


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    host: str
    port: int
    log_path: Path

    def log_tail(self, characters: int = 3000) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-characters:]
        except OSError:
            return ""


def answers(host: str, port: int, path: str = TRIVIAL_PATH) -> bool:
    """Whether an HTTP server answers at host:port (any status counts)."""
    connection = http.client.HTTPConnection(host, port, timeout=2)
    try:
        connection.request("GET", path)
        connection.getresponse().read()
        return True
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def start_server(environment: dict[str, str], *, port: int | None = None, ready_within: float = 90) -> Server:
    """gunicorn with config/gunicorn.conf.py on HOST:port, returned once it answers HTTP."""
    port = port or free_port()
    environment = {**environment, "GRIDGOV_BIND": f"{HOST}:{port}"}
    log = tempfile.NamedTemporaryFile(prefix="gridgov-gunicorn-", suffix=".log", delete=False)  # noqa: SIM115
    command = [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONFIG), "config.wsgi"]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stop_server can end the workers too
    )
    log.close()
    server = Server(process, HOST, port, Path(log.name))
    deadline = time.monotonic() + ready_within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = server.log_tail()
            stop_server(server)
            raise RuntimeError(f"gunicorn exited with code {process.returncode} before answering:\n{tail}")
        if answers(HOST, port):
            return server
        time.sleep(0.2)
    tail = server.log_tail()
    stop_server(server)
    raise RuntimeError(f"gunicorn did not answer within {ready_within:.0f} s:\n{tail}")


def stop_server(server: Server, *, keep_log: bool = False) -> None:
    """TERM to the master (a graceful stop); KILL to its process group if it has not ended in 30 s."""
    process = server.process
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    if not keep_log:
        server.log_path.unlink(missing_ok=True)


@contextmanager
def running_server(environment: dict[str, str]) -> Iterator[Server]:
    server = start_server(environment)
    try:
        yield server
    finally:
        stop_server(server)


# ---------------------------------------------------------------------------------------------
# The clients


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class LoadResult:
    """What N requests from C clients gave: wall time, per-request seconds, statuses, failures."""

    count: int
    seconds: float
    latencies: list[float]
    statuses: Counter[int]
    # (status or None when there was no answer, the start of the body or the exception)
    failures: list[tuple[int | None, str]]

    @property
    def per_second(self) -> float:
        return self.count / self.seconds if self.seconds else math.nan

    def milliseconds(self, q: float) -> float:
        return percentile(self.latencies, q) * 1000 if self.latencies else math.nan


def run_clients(
    host: str,
    port: int,
    requests: Sequence[Request],
    *,
    clients: int = CLIENTS,
    ok: frozenset[int] = frozenset({200, 201}),
    timeout: float = 60,
) -> LoadResult:
    """Send `requests` from `clients` threads, each with its own keep-alive connection.

    Request i goes to client i mod `clients`; all clients start together. A failed request (an
    answer not in `ok`, or no answer) is counted and the client goes on with a new connection."""
    shares = [requests[i::clients] for i in range(clients)]
    latencies: list[list[float]] = [[] for _ in range(clients)]
    statuses: list[Counter[int]] = [Counter() for _ in range(clients)]
    failures: list[list[tuple[int | None, str]]] = [[] for _ in range(clients)]
    start = threading.Barrier(clients + 1)

    def client(number: int) -> None:
        connection = http.client.HTTPConnection(host, port, timeout=timeout)
        start.wait()
        try:
            for request in shares[number]:
                began = time.perf_counter()
                try:
                    connection.request(
                        request.method, request.path, body=request.body, headers=request.headers
                    )
                    response = connection.getresponse()
                    body = response.read()
                except (OSError, http.client.HTTPException) as error:
                    failures[number].append((None, f"{type(error).__name__}: {error}"))
                    connection.close()
                    continue
                latencies[number].append(time.perf_counter() - began)
                statuses[number][response.status] += 1
                if response.status not in ok:
                    failures[number].append((response.status, body[:300].decode("utf-8", "replace")))
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    return LoadResult(
        count=len(requests),
        seconds=seconds,
        latencies=[s for share in latencies for s in share],
        statuses=sum(statuses, Counter()),
        failures=[f for share in failures for f in share],
    )


def report_request(report: Any, token: str) -> Request:
    """A bench.intake_bulk.make_reports report as the JSON POST an integration sends."""
    body = {
        "source": report.source,
        "title": report.title,
        "description": report.description,
        "category": report.category_code,
        "lon": report.lon,
        "lat": report.lat,
        "is_urgent": report.is_urgent,
        "reporter_name": report.reporter_name,
        "reporter_contact": report.reporter_contact,
    }
    return Request(
        "POST",
        REPORT_PATH,
        json.dumps(body, ensure_ascii=False).encode(),
        {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )


def with_csrf_token(request: Request) -> Request:
    """`request` with a CSRF cookie and the same token in X-CSRFToken, as a browser page sends."""
    token = "".join(secrets.choice(CSRF_ALPHABET) for _ in range(32))
    headers = {**request.headers, "Cookie": f"csrftoken={token}", "X-CSRFToken": token}
    return Request(request.method, request.path, request.body, headers)


def probe_reports(host: str, port: int, reports: Sequence[Request]) -> tuple[list[Request], int, str]:
    """Send reports[0] alone: (the other reports to send, cases the probe stored, a note).

    Ninja tries the API's session auth first, and it refuses an unsafe method without a CSRF token
    before the bearer token is tried (gridgov/accounts/auth.py). When a token alone is refused so,
    the other reports are sent with a CSRF cookie and header, as a browser page would send them."""
    probe = run_clients(host, port, reports[:1], clients=1, ok=frozenset({201}))
    rest = list(reports[1:])
    if not probe.failures:
        return rest, 1, ""
    status, text = probe.failures[0]
    if status == 403 and "CSRF" in text:
        note = "; a token alone was refused (403 CSRF): sent with a CSRF cookie and header"
        return [with_csrf_token(r) for r in rest], 0, note
    raise RuntimeError(f"the server refuses a report: {failures_text(probe)}")


def failures_text(result: LoadResult) -> str:
    if not result.failures:
        return "none"
    kinds = Counter(status for status, _text in result.failures)
    first = result.failures[0]
    return f"{dict(kinds)}, first: {first[0]} {first[1][:200]}"


# ---------------------------------------------------------------------------------------------
# The benchmark


def measure(size: int, trivial_size: int, clients: int = CLIENTS) -> list[Row]:
    from bench.intake_bulk import clean_up, grid_boxes, make_reports, plain_sql_insert, prepare
    from gridgov.accounts.actions import issue_api_token
    from gridgov.accounts.models import ApiToken
    from gridgov.cases.models import Case, CaseStatus
    from gridgov.core.models import AuditEvent

    database = bench_database()
    operator = prepare()
    boxes = grid_boxes()
    if Case.objects.exists():
        raise RuntimeError("intake_http needs a benchmark database without cases")
    audit_after = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    environment = production_environment(database.child_environment())
    server_config = server_settings(environment)
    token, secret = issue_api_token(user=operator, name="bench intake_http", actor=None)
    try:
        # One report more than measured: the first probes whether a token alone may POST.
        reports = [report_request(r, secret) for r in make_reports(size + 1, boxes, "h")]
        trivial = [Request("GET", TRIVIAL_PATH, headers={"Authorization": f"Bearer {secret}"})] * trivial_size
        say(
            f"intake_http: starting gunicorn ({server_config['workers']} {server_config['worker_class']} "
            f"workers × {server_config['threads']} threads) on the benchmark database…"
        )
        with running_server(environment) as server:
            warm = run_clients(server.host, server.port, trivial[: 4 * clients * server_config["workers"]])
            if warm.failures:
                raise RuntimeError(f"the server fails {TRIVIAL_PATH}: {failures_text(warm)}")
            timed, probe_stored, csrf_note = probe_reports(server.host, server.port, reports)
            expected = size + probe_stored
            say(f"intake_http: {trivial_size:,} × GET {TRIVIAL_PATH}, {clients} clients…")
            floor = run_clients(server.host, server.port, trivial, clients=clients)
            say(f"intake_http: {size:,} × POST {REPORT_PATH}, {clients} clients…")
            intake = run_clients(server.host, server.port, timed, clients=clients, ok=frozenset({201}))
        stored = Case.objects.count()
        reported = Case.objects.filter(status=CaseStatus.REPORTED).count()
        ids = list(Case.objects.values_list("pk", flat=True))
        say("intake_http: the same Case and CaseEvent rows with plain SQL…")
        sql_seconds, sql_rows = plain_sql_insert(ids)
    finally:
        clean_up(audit_after)
        ApiToken.objects.filter(pk=token.pk).delete()
    sql_cases_per_second = len(ids) / sql_seconds if ids and sql_seconds else math.nan
    failed = len(intake.failures) + abs(expected - len(intake.failures) - stored)
    server_note = (
        f"gunicorn {server_config['workers']} {server_config['worker_class']} workers × "
        f"{server_config['threads']} threads, preload {'on' if server_config['preload_app'] else 'off'}"
    )
    return [
        Row(
            f"POST {REPORT_PATH}, {size:,} hotline reports, {clients} clients",
            intake.per_second,
            "requests/s",
            baseline=sql_cases_per_second,
            target=at_least(TARGET_REQUESTS_PER_SECOND),
            note=(
                f"{server_note}; {stored:,} cases stored ({reported:,} reported); baseline: the same "
                f"{sql_rows:,} Case+CaseEvent rows by executemany, cases/s{csrf_note}"
            ),
        ),
        Row(
            "report latency p50",
            intake.milliseconds(50),
            "ms",
            baseline=floor.milliseconds(50),
            note=f"baseline: GET {TRIVIAL_PATH} p50 under the same load",
        ),
        Row(
            "report latency p99",
            intake.milliseconds(99),
            "ms",
            baseline=floor.milliseconds(99),
            target=below(TARGET_P99_MS),
            note=f"baseline: GET {TRIVIAL_PATH} p99 under the same load",
        ),
        Row(
            f"GET {TRIVIAL_PATH} (token, no write), {trivial_size:,} requests, {clients} clients",
            floor.per_second,
            "requests/s",
            note=f"the server's own overhead; failures: {failures_text(floor)}",
        ),
        Row(
            "failed reports (error answers or missing cases)",
            failed,
            "requests",
            target=below(1),
            note=f"answers {dict(intake.statuses)}; failures: {failures_text(intake)}; "
            f"{stored:,} cases in the database, {expected:,} expected",
        ),
    ]


def run(quick: bool) -> list[Row]:
    from django.conf import settings

    from bench.intake_bulk import installed_classifier

    # The whole pipeline classifies every report: the server reads the model the benchmark trains.
    saved = os.environ.get("GRIDGOV_MODEL_DIR")
    with installed_classifier() as model_note:
        os.environ["GRIDGOV_MODEL_DIR"] = str(settings.GRIDGOV_MODEL_DIR)
        try:
            rows = measure(SIZES[quick], TRIVIAL_SIZES[quick])
        finally:
            if saved is None:
                os.environ.pop("GRIDGOV_MODEL_DIR", None)
            else:
                os.environ["GRIDGOV_MODEL_DIR"] = saved
    return [replace(rows[0], note=f"{rows[0].note}; {model_note}"), *rows[1:]]
