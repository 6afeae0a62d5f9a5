# ruff: noqa: N999 (gunicorn.conf.py is the name gunicorn looks for)
"""gunicorn settings for gridgov in production: `gunicorn -c config/gunicorn.conf.py config.wsgi`.

Every setting can be changed from the environment (docs/production.md):

    GRIDGOV_BIND          address to listen on, default 127.0.0.1:8000 (a reverse proxy in front)
    GRIDGOV_WEB_WORKERS   worker processes, default 2 × cores + 1
    GRIDGOV_WEB_THREADS   threads per worker, default 1 (sync workers); more than 1 uses gthread
    GRIDGOV_WEB_TIMEOUT   seconds a worker may spend on one request before it is restarted, default 30
    GRIDGOV_ACCESS_LOG    access log: unset = off, "-" = stderr, or a file path
    GRIDGOV_WEB_PRELOAD   load the application once before forking (default on; "0" turns it off)
    GRIDGOV_CONTROL_SOCKET  path of gunicorn's control socket (`gunicornc`); unset = no socket

With preload the master process imports Django and the whole URL configuration, builds the locate
index (every area boundary) and loads the classifier once, closes its database connections, then
forks: the workers start at once and share those pages until they write to them. Each worker
still checks the boundary version and the model file on every call, so a change is picked up by
each worker on its own. A new release needs a full restart (with preload, HUP reloads the
configuration, not the code).
"""

import logging
import multiprocessing
import os
from typing import Any


def _number(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


bind = os.environ.get("GRIDGOV_BIND", "127.0.0.1:8000")
# gunicorn's usual 2 × cores + 1. On 2 cores with SQLite (bench/intake_http.py, docs/production.md)
# 2 to 5 sync workers and gthread settings measured alike: a request is CPU in Python, and SQLite
# takes one writer at a time whatever the count.
workers = _number("GRIDGOV_WEB_WORKERS", 2 * multiprocessing.cpu_count() + 1)
threads = _number("GRIDGOV_WEB_THREADS", 1)
# The sync worker answers one request per connection (no keep-alive); gthread keeps connections
# open and serves several requests of one worker at once (Django's connections are per thread).
worker_class = "gthread" if threads > 1 else "sync"
keepalive = 5
# Longer than SQLite's busy timeout (20 s, config/settings.py): a request waiting for the write
# lock fails with an error rather than being killed with its worker.
timeout = _number("GRIDGOV_WEB_TIMEOUT", 30)
graceful_timeout = 30
preload_app = _flag("GRIDGOV_WEB_PRELOAD", True)

accesslog = os.environ.get("GRIDGOV_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GRIDGOV_LOG_LEVEL", "info").lower()

control_socket_path = os.environ.get("GRIDGOV_CONTROL_SOCKET", "")
if control_socket_path:
    control_socket = control_socket_path
else:
    # Off by default: the default path is one per user, and two servers of one user would share it.
    control_socket_disable = True

proc_name = "gridgov"


def when_ready(server: Any) -> None:
    """With preload: warm what every worker needs, in the master, before the first fork."""
    if not preload_app:
        return
    log = logging.getLogger("gunicorn.error")
    from django.db import connections

    try:
        from django.urls import get_resolver

        from gridgov.areas import geometry

        # Imports every view and builds the API's schemas.
        get_resolver().url_patterns  # noqa: B018
        from gridgov.intelligence import interface

        # Any point: the call builds the index of every boundary for the current version.
        geometry.locate_point(120.16, 30.27)
        # Loads the current model (and the word segmenter) when one is installed.
        interface.suggest_class("warm up")
    except Exception:
        # A database not migrated yet, say: the workers then load on first use, as without preload.
        log.exception("warming the locate index and classifier failed; workers will load them on first use")
    finally:
        # A connection opened here must never be shared by the forked workers.
        connections.close_all()
