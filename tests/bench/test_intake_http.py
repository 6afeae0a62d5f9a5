"""The machinery of bench/intake_http.py, without timing anything.

A real gunicorn (config/gunicorn.conf.py, production settings) runs on a throwaway SQLite file that
a subprocess migrated and gave an operator with an API token; reports posted through it must be
stored. The client loop runs against a tiny local HTTP server that counts what it receives.
"""

import json
import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from bench import intake_http
from bench.harness import ROOT
from bench.intake_http import Request
from gridgov.cases.actions import Report

# Run in a subprocess on the throwaway file: migrate, then an operator with a token (printed).
SET_UP = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0, interactive=False)
from gridgov.accounts.actions import create_user, issue_api_token
operator = create_user(username="operator", password=None, actor_label="test")
print(issue_api_token(user=operator, name="test")[1])
"""


@dataclass(frozen=True)
class Served:
    database: Path
    environment: dict[str, str]
    secret: str


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Served:
    database = tmp_path_factory.mktemp("http") / "gridgov.sqlite3"
    environment = dict(os.environ)
    environment.pop("DATABASE_URL", None)
    environment.update(GRIDGOV_SQLITE_PATH=str(database), GRIDGOV_WEB_WORKERS="1", GRIDGOV_WEB_THREADS="1")
    environment = intake_http.production_environment(environment)
    made = subprocess.run(
        [sys.executable, "-c", SET_UP], cwd=ROOT, env=environment, capture_output=True, text=True, check=False
    )
    assert made.returncode == 0, made.stderr
    return Served(database, environment, made.stdout.strip().splitlines()[-1])


def children_of(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def test_reports_posted_to_gunicorn_are_stored(served: Served) -> None:
    reports = [
        intake_http.report_request(
            Report(source="hotline", title=f"井盖缺失 {n}", description="市民来电反映"),
            served.secret,
        )
        for n in range(21)
    ]
    server = intake_http.start_server(served.environment)
    try:
        refused = intake_http.run_clients(
            server.host, server.port, [Request("GET", intake_http.TRIVIAL_PATH)]
        )
        assert refused.statuses == {401: 1} and refused.failures[0][0] == 401
        headers = {"Authorization": f"Bearer {served.secret}"}
        me = intake_http.run_clients(
            server.host, server.port, [Request("GET", intake_http.TRIVIAL_PATH, None, headers)]
        )
        assert me.statuses == {200: 1} and not me.failures
        rest, probe_stored, _note = intake_http.probe_reports(server.host, server.port, reports)
        result = intake_http.run_clients(server.host, server.port, rest, clients=2, ok=frozenset({201}))
    finally:
        intake_http.stop_server(server)
    assert result.failures == [] and result.statuses == {201: 20}
    assert result.count == 20 and len(result.latencies) == 20
    with sqlite3.connect(served.database) as connection:
        titles = [row[0] for row in connection.execute("SELECT title FROM cases_case ORDER BY id")]
    assert len(titles) == 20 + probe_stored
    assert set(titles) == {f"井盖缺失 {n}" for n in range(1 - probe_stored, 21)}


def test_stop_server_ends_the_master_and_its_workers(served: Served) -> None:
    server = intake_http.start_server(served.environment)
    workers = children_of(server.process.pid)
    assert len(workers) == 1  # GRIDGOV_WEB_WORKERS=1
    assert intake_http.answers(server.host, server.port)
    intake_http.stop_server(server)
    assert server.process.poll() is not None
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)
    assert not intake_http.answers(server.host, server.port)
    assert not server.log_path.exists()


def test_start_server_reports_a_server_that_cannot_start(served: Served) -> None:
    environment = {**served.environment, "GRIDGOV_SECRET_KEY": ""}
    environment.pop("GRIDGOV_ALLOW_INSECURE_KEY", None)
    with pytest.raises(RuntimeError, match="GRIDGOV_SECRET_KEY is not set"):
        intake_http.start_server(environment, ready_within=60)


class Counting(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    connections: set[tuple[str, int]] = set()
    bodies: list[bytes] = []
    lock = threading.Lock()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with self.lock:
            self.connections.add(self.client_address)
            self.bodies.append(body)
        status = 500 if body == b"fail" else 201
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"no" if status == 500 else b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def local_server() -> Iterator[ThreadingHTTPServer]:
    Counting.connections, Counting.bodies = set(), []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Counting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_run_clients_sends_every_request_on_one_connection_per_client(
    local_server: ThreadingHTTPServer,
) -> None:
    host, port = local_server.server_address[:2]
    requests = [Request("POST", "/", f"{n}".encode()) for n in range(30)]
    requests[7] = Request("POST", "/", b"fail")
    result = intake_http.run_clients(str(host), int(port), requests, clients=3, ok=frozenset({201}))
    assert sorted(Counting.bodies) == sorted(r.body or b"" for r in requests)
    assert len(Counting.connections) == 3  # keep-alive: one connection per client
    assert result.count == 30 and len(result.latencies) == 30
    assert result.statuses == {201: 29, 500: 1}
    assert result.failures == [(500, "no")]
    assert result.per_second > 0 and result.milliseconds(99) >= result.milliseconds(50) > 0


def test_run_clients_counts_requests_nobody_answers() -> None:
    port = intake_http.free_port()  # nothing listens there
    result = intake_http.run_clients("127.0.0.1", port, [Request("GET", "/")] * 4, clients=2, timeout=2)
    assert result.count == 4 and result.latencies == [] and len(result.failures) == 4
    assert all(status is None and "ConnectionRefused" in text for status, text in result.failures)


def test_percentile_interpolates_between_ranks() -> None:
    values = [5.0, 1.0, 4.0, 2.0, 3.0]
    assert intake_http.percentile(values, 0) == 1.0
    assert intake_http.percentile(values, 50) == 3.0
    assert intake_http.percentile(values, 100) == 5.0
    assert intake_http.percentile(values, 25) == 2.0
    assert intake_http.percentile([1.0, 2.0], 50) == 1.5
    assert intake_http.percentile(list(map(float, range(101))), 99) == 99.0
    assert intake_http.percentile([10.0, 20.0], 99) == pytest.approx(19.9)
    with pytest.raises(ValueError):
        intake_http.percentile([], 50)
    with pytest.raises(ValueError):
        intake_http.percentile([1.0], 101)


def test_report_request_is_the_api_json_with_the_token() -> None:
    report = Report(
        source="hotline", title="道路积水", category_code="E0105", lon=120.1, lat=30.2, is_urgent=True
    )
    request = intake_http.report_request(report, "ggv_secret")
    assert (request.method, request.path) == ("POST", "/api/v1/cases/")
    assert request.headers["Authorization"] == "Bearer ggv_secret"
    body = json.loads(request.body or b"")
    assert body["category"] == "E0105" and body["title"] == "道路积水" and body["is_urgent"] is True
    assert (body["lon"], body["lat"], body["source"]) == (120.1, 30.2, "hotline")
    with_token = intake_http.with_csrf_token(request)
    assert with_token.headers["Cookie"] == f"csrftoken={with_token.headers['X-CSRFToken']}"
    assert len(with_token.headers["X-CSRFToken"]) == 32 and with_token.body == request.body


def test_server_settings_follow_the_environment() -> None:
    default = intake_http.server_settings({})
    assert default["workers"] == 2 * os.cpu_count() + 1  # type: ignore[operator]
    assert (default["threads"], default["worker_class"], default["preload_app"]) == (1, "sync", True)
    chosen = intake_http.server_settings(
        {"GRIDGOV_WEB_WORKERS": "3", "GRIDGOV_WEB_THREADS": "4", "GRIDGOV_WEB_PRELOAD": "0"}
    )
    assert chosen == {"workers": 3, "threads": 4, "worker_class": "gthread", "preload_app": False}


def test_production_environment_turns_debug_off_and_sets_a_key() -> None:
    environment = intake_http.production_environment({"GRIDGOV_DEBUG": "1", "PATH": "/bin"})
    assert "GRIDGOV_DEBUG" not in environment and environment["PATH"] == "/bin"
    assert len(environment["GRIDGOV_SECRET_KEY"]) >= 50
    kept = intake_http.production_environment({"GRIDGOV_SECRET_KEY": "mine"})
    assert kept["GRIDGOV_SECRET_KEY"] == "mine"
