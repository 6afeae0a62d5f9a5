"""gridgov settings, read from the environment.

SQLite (WAL mode) is the embedded default; set DATABASE_URL=postgres://user:pass@host:port/name
for PostgreSQL. Times are stored in UTC and shown in Asia/Shanghai; zh-hans is the default language.
"""

import os
import tempfile
from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.utils.translation import gettext_lazy as _

# Lets admin.ModelAdmin[Model] and QuerySet[Model] be written at run time as well as for mypy.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent


def env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_flag("GRIDGOV_DEBUG", False)
SECRET_KEY = os.environ.get("GRIDGOV_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and not env_flag("GRIDGOV_ALLOW_INSECURE_KEY", False):
        raise RuntimeError("GRIDGOV_SECRET_KEY is not set. Set it, or set GRIDGOV_DEBUG=1 for a local demo.")
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = [
    h for h in os.environ.get("GRIDGOV_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",") if h
]
if DEBUG:
    ALLOWED_HOSTS.append("*")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "gridgov.core",
    "gridgov.accounts",
    "gridgov.areas",
    "gridgov.catalogue",
    "gridgov.notifications",
    "gridgov.deadlines",
    "gridgov.intelligence",
    "gridgov.cases",
    "gridgov.gridwork",
    "gridgov.open311",
    "gridgov.evaluation",
    "gridgov.cockpit",
    "gridgov.web",
    "gridgov.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "gridgov.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "gridgov.web.context.navigation",
                "gridgov.web.context.maps",
            ],
        },
    },
]

SQLITE_PATH = Path(os.environ.get("GRIDGOV_SQLITE_PATH", BASE_DIR / "var" / "gridgov.sqlite3"))
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
else:
    SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            # Django's SQLite backend with writers queued on a lock file (gridgov/core/sqlite/base.py).
            "ENGINE": "gridgov.core.sqlite",
            "NAME": str(SQLITE_PATH),
            # Kept open between requests, as on PostgreSQL: opening a connection runs the PRAGMAs
            # below, and closing the last one checkpoints the WAL, together about 5 ms of a
            # report's 13 ms (bench/intake_http.py, docs/performance.md).
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            # Tests use a file too, not Django's shared in-memory database: the browser tests'
            # live server then runs on its own connection, with WAL and the busy timeout, as in
            # production, instead of sharing the test's connection across threads.
            # One file per test process, so parallel runs never share one.
            "TEST": {
                "NAME": os.environ.get(
                    "GRIDGOV_TEST_SQLITE_PATH",
                    str(Path(tempfile.gettempdir()) / f"gridgov-test-{os.getpid()}.sqlite3"),
                )
            },
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, so two writers queue instead of one
                # failing with "database is locked" half-way through its transaction.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA busy_timeout=20000;"
                    "PRAGMA cache_size=-65536;"
                ),
            },
        }
    }
IS_POSTGRESQL = DATABASES["default"]["ENGINE"].endswith("postgresql")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "web:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
# Stored in UTC (USE_TZ); shown in the command centre's local time.
TIME_ZONE = "Asia/Shanghai"

MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("GRIDGOV_MEDIA_ROOT", BASE_DIR / "var" / "media"))
# Photos are checked by content (gridgov/cases/actions.py); this caps the request body as well.
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
# When a case misses its limit the scheduler marks it overdue; set this to also escalate it.
GRIDGOV_ESCALATE_WHEN_OVERDUE = env_flag("GRIDGOV_ESCALATE_WHEN_OVERDUE", False)
# A new report is offered the open cases of its category within this distance and time.
GRIDGOV_DUPLICATE_RADIUS_M = float(os.environ.get("GRIDGOV_DUPLICATE_RADIUS_M", "100"))
GRIDGOV_DUPLICATE_WINDOW_DAYS = float(os.environ.get("GRIDGOV_DUPLICATE_WINDOW_DAYS", "7"))

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
# Front-end libraries come from the npm registry (`make assets` → node_modules), never from the
# repository; each is served under static/vendor/<name>/.
NODE_MODULES = BASE_DIR / "node_modules"
VENDOR_ASSETS = {"htmx": "htmx.org/dist", "leaflet": "leaflet/dist", "echarts": "echarts/dist"}
STATICFILES_DIRS = [
    (f"vendor/{name}", NODE_MODULES / path)
    for name, path in VENDOR_ASSETS.items()
    if (NODE_MODULES / path).is_dir()
]

# The coordinate system ("gcj02" or "wgs84") of every stored boundary and point and of the map
# tiles; whatever arrives in the other one is converted on the way in (docs/maps.md). The demo's
# Hangzhou boundaries are GCJ-02 and are converted on import when this says "wgs84".
GRIDGOV_COORDINATE_SYSTEM = os.environ.get("GRIDGOV_COORDINATE_SYSTEM", "gcj02")
# Map tiles: none by default (maps draw boundaries, labels and markers on a plain background and
# need no internet). Set a URL template in the coordinate system above, e.g. a local tile server
# or 天地图 (WGS-84/CGCS2000: set GRIDGOV_COORDINATE_SYSTEM=wgs84 with it).
GRIDGOV_MAP_TILE_URL = os.environ.get("GRIDGOV_MAP_TILE_URL", "")
GRIDGOV_MAP_TILE_SUBDOMAINS = os.environ.get("GRIDGOV_MAP_TILE_SUBDOMAINS", "")
GRIDGOV_MAP_TILE_ATTRIBUTION = os.environ.get("GRIDGOV_MAP_TILE_ATTRIBUTION", "")
GRIDGOV_MAP_TILE_MAX_ZOOM = int(os.environ.get("GRIDGOV_MAP_TILE_MAX_ZOOM", "18"))
# Where the public reference data sets live (admin divisions, boundaries, messages).
GRIDGOV_SHARED_DATA = Path(os.environ.get("GRIDGOV_SHARED_DATA", BASE_DIR.parent / "shared" / "data"))

# Intelligence (docs/intelligence.md): trained classifier files live here, one file per version.
GRIDGOV_MODEL_DIR = Path(os.environ.get("GRIDGOV_MODEL_DIR", BASE_DIR / "var" / "models"))
# A reported case whose predicted class has at least this calibrated confidence is registered and
# dispatched without a person; below it the dispatcher sees the top suggestions. 1.01 turns it off.
GRIDGOV_AUTO_DISPATCH_CONFIDENCE = float(os.environ.get("GRIDGOV_AUTO_DISPATCH_CONFIDENCE", "0.9"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("GRIDGOV_LOG_LEVEL", "INFO")},
}
