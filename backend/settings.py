"""Pulih settings: one file, read from the environment (12-factor).

Development defaults are safe and local: with no DATABASE_URL / REDIS_URL the project talks to the embedded
PostgreSQL+PostGIS and Redis that `make` starts under `.local/` (unix sockets, never the machine's 5432/6379).
With PULIH_ENV=production the process refuses to start on a default secret or a Firebase emulator setting.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlparse

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
LOCAL_DIR = Path(os.environ.get("PULIH_LOCAL_DIR", BASE_DIR / ".local"))

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env(name: str, default: str | None = None) -> str | None:
    """A string from the environment, or from the file named by NAME_FILE (Docker secrets)."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text().strip()
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    raw = env(name)
    if raw is None:
        return default
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {raw!r}")


def envint(name: str, default: int) -> int:
    raw = env(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


PULIH_ENV = env("PULIH_ENV", "development")
if PULIH_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured("PULIH_ENV must be development, test or production")
PRODUCTION = PULIH_ENV == "production"

_DEV_SECRET = "dev-only-insecure-secret-key-change-me-0123456789abcdef"
_DEV_NIK_KEY = "dev-only-insecure-nik-hmac-key"
SECRET_KEY = env("SECRET_KEY", _DEV_SECRET) or _DEV_SECRET
# NIK (national ID) is stored only as HMAC-SHA256 under this key (never in clear).
NIK_HMAC_KEY = env("NIK_HMAC_KEY", _DEV_NIK_KEY) or _DEV_NIK_KEY
# Access tokens (JWT) are signed with their own key so rotating it logs everyone out without touching sessions.
JWT_SIGNING_KEY = env("JWT_SIGNING_KEY", SECRET_KEY) or SECRET_KEY

if PRODUCTION:
    for name, value, default in (
        ("SECRET_KEY", SECRET_KEY, _DEV_SECRET),
        ("NIK_HMAC_KEY", NIK_HMAC_KEY, _DEV_NIK_KEY),
        ("JWT_SIGNING_KEY", JWT_SIGNING_KEY, _DEV_SECRET),
    ):
        if value == default or len(value) < 32:
            raise ImproperlyConfigured(f"{name} must be set to a secret of 32+ characters in production")
    if os.environ.get("FIREBASE_AUTH_EMULATOR_HOST"):
        # The emulator skips signature and expiry checks of ID tokens: never in production.
        raise ImproperlyConfigured("FIREBASE_AUTH_EMULATOR_HOST must not be set in production")

DEBUG = envbool("DEBUG", not PRODUCTION)
ALLOWED_HOSTS = (env("ALLOWED_HOSTS", "" if PRODUCTION else "*") or "").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "ninja",
    # Pulih's apps (pyproject.toml's packages-layered contract gives the order in which they may import).
    "backend.common",
    "backend.accounts",
    "villages",
    "backend.recovery",
    "backend.escalations",
    "backend.travel",  # travel times over roads, ferries and rivers (pgRouting)
    "backend.tasks",
    "backend.followup",
    "backend.sync",
    "backend.mobile",
    "backend.audit",
    "backend.reports",
    "notifications",
    "backend.access",  # who may see what (no models)
    "backend.reads",  # the read side (no models)
    "backend.privacy",  # clients' rights: erasure, the DPIA register
    "web",  # the coordinators' web view (server-rendered pages, session sign-in)
    "datasets",  # synthetic data sets for benchmarks (manage.py build_national_dataset); nothing imports it
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files (the API docs' assets, the admin's) served by the app itself, in production too.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "api.middleware.ApiGuardMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "backend.urls"
LOGIN_URL = "web:login"
WSGI_APPLICATION = "backend.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]


# --- Database: PostGIS, psycopg 3 -------------------------------------------------------------------------
# .local/pg may link to a folder outside the clone (see scripts/services.sh): the socket is where it points.
EMBEDDED_PG_SOCKET_DIR = (LOCAL_DIR / "pg").resolve() / "run"
EMBEDDED_PG_PORT = envint("PULIH_EMBEDDED_PG_PORT", 54329)

DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=envint("DB_CONN_MAX_AGE", 60))
    _db["ENGINE"] = "django.contrib.gis.db.backends.postgis"
else:
    _db = {
        "ENGINE": "django.contrib.gis.db.backends.postgis",
        "NAME": "pulih",
        "USER": "postgres",
        "HOST": str(EMBEDDED_PG_SOCKET_DIR),
        "PORT": str(EMBEDDED_PG_PORT),
        "CONN_MAX_AGE": 60,
    }
# JIT only hurts the short KNN queries this service runs (see STACK-NOTES); statement timeout keeps a runaway
# query from holding a worker. Generic plans for prepared statements from their first run (else five custom
# plans first): the only ones are backend/common/prepared.py's, whose text carries what shapes their plans
# (Django's queries bind on the client and are never prepared).
_db.setdefault("OPTIONS", {})
_db["OPTIONS"]["options"] = (
    "-c jit=off -c plan_cache_mode=force_generic_plan"
    f" -c statement_timeout={envint('DB_STATEMENT_TIMEOUT_MS', 30000)}"
    f" -c idle_in_transaction_session_timeout={envint('DB_IDLE_IN_TRANSACTION_TIMEOUT_MS', 60000)}"
)
_db["CONN_HEALTH_CHECKS"] = True
# Routing's hot statements are PREPAREd once per connection (backend/common/prepared.py); behind a
# transaction-mode pooler, which mixes sessions, DB_PREPARED_STATEMENTS=false runs them unprepared.
DB_PREPARED_STATEMENTS = envbool("DB_PREPARED_STATEMENTS", True)
# A connection pool per process (Django 5.2 with psycopg_pool) when DB_POOL_MAX_SIZE is set: gunicorn.conf.py sets
# it to the threads of a worker, so the threads share at most that many connections (a thread holds one only
# while it answers). Pooled connections are checked before use (CONN_HEALTH_CHECKS), so a PostgreSQL restart
# costs a 503 and no more. Unset (Celery, manage.py, the suite): one persistent connection per process.
DB_POOL_MAX_SIZE = envint("DB_POOL_MAX_SIZE", 0)
if DB_POOL_MAX_SIZE > 0:
    _db["CONN_MAX_AGE"] = 0  # the pool keeps the connections; Django refuses both at once
    _db["OPTIONS"]["pool"] = {
        "min_size": 1,
        "max_size": DB_POOL_MAX_SIZE,
        "timeout": envint("DB_POOL_TIMEOUT_SECONDS", 10),  # then 503: PoolTimeout is an OperationalError
    }
_db["TEST"] = {"NAME": env("TEST_DATABASE_NAME", "test_pulih")}
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


# --- Redis / Celery ----------------------------------------------------------------------------------------
EMBEDDED_REDIS_SOCKET = LOCAL_DIR / "redis" / "redis.sock"
# The test suite (pytest sets PYTEST_VERSION) has a Redis database of its own: its Celery worker, queue and
# rate-limit counters never meet those of a `make run` in the same checkout. Run in parallel (pytest-xdist sets
# PYTEST_XDIST_WORKER=gw0, gw1, ...), each node has its own too, as it has its own test database: a worker one node
# starts never takes (or purges) another node's tasks.
_XDIST_NODE = os.environ.get("PYTEST_XDIST_WORKER", "")
EMBEDDED_REDIS_DB = (
    (2 + int(_XDIST_NODE[2:]) if _XDIST_NODE[2:].isdigit() else 1) if os.environ.get("PYTEST_VERSION") else 0
)
REDIS_URL = env("REDIS_URL") or f"unix://{EMBEDDED_REDIS_SOCKET}?db={EMBEDDED_REDIS_DB}"


def _celery_broker_url(redis_url: str) -> str:
    """kombu names a redis unix socket `redis+socket://PATH`; redis-py names it `unix://PATH`."""
    parsed = urlparse(redis_url)
    if parsed.scheme == "unix":
        db = "0"
        if parsed.query.startswith("db="):
            db = parsed.query[3:]
        return f"redis+socket://{unquote(parsed.path)}?virtual_host={db}"
    return redis_url


CELERY_BROKER_URL = env("CELERY_BROKER_URL") or _celery_broker_url(REDIS_URL)
# Results are never waited on: with Redis down a result backend makes `.delay()` hang (STACK-NOTES).
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# At-least-once: tasks are idempotent, acknowledged after they ran, re-queued if a worker dies mid-task.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", False)
# A request must not wait on a broker that is down: fail fast, the outbox sweep publishes later.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_timeout": 2,
    "socket_connect_timeout": 2,
    "max_retries": 1,
    "visibility_timeout": 3600,
}
CELERY_TASK_PUBLISH_RETRY = False
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "sweep-notification-outbox": {
        "task": "notifications.tasks.sweep_outbox",
        "schedule": timedelta(seconds=envint("OUTBOX_SWEEP_SECONDS", 30)),
    },
    "expire-escalation-offers": {
        "task": "backend.escalations.tasks.expire_offers",
        "schedule": timedelta(seconds=envint("OFFER_SWEEP_SECONDS", 60)),
    },
    "prune-refresh-tokens": {
        "task": "backend.accounts.tasks.prune_refresh_tokens",
        "schedule": timedelta(hours=24),
    },
    "purge-idempotency-keys": {
        "task": "backend.sync.tasks.purge_idempotency_keys",
        "schedule": timedelta(hours=1),
    },
    "check-sync-set-sizes": {
        "task": "backend.sync.tasks.sync_sets_check_oversize",
        "schedule": timedelta(hours=1),
    },
    "prune-stale-devices": {
        "task": "notifications.tasks.prune_stale_devices",
        "schedule": timedelta(hours=24),
    },
    # Hourly, but each area is evaluated once a day (from FOLLOWUP_SWEEP_LOCAL_HOUR in its time zone): a run
    # that failed is made up an hour later, and a repeated one changes nothing.
    "followup-sweep": {
        "task": "backend.followup.tasks.followup_sweep_daily",
        "schedule": timedelta(hours=1),
    },
    # Hourly, but one digest per user per local day, in their morning (TASKS_DIGEST_LOCAL_HOUR).
    "task-digest": {
        "task": "backend.tasks.tasks.task_digest_hourly",
        "schedule": timedelta(hours=1),
    },
}


# --- Clients' rights (UU 27/2022) ------------------------------------------------------------------------------
# Erasure is refused for this many days after a client's last clinical event (a screening, a facility case
# opened or closed, a status change into or out of treatment): backend/privacy/erasure.py, hold
# `retention_period`. UU 27/2022 art. 43-44 lets the controller keep what another law requires it to keep. The
# 25 years of Permenkes 24/2022 (art. 39) bind a health facility's medical record, which the facility keeps
# itself; Pulih is BNN's programme record, not a facility's. What the programme must answer for after the last
# clinical event is the IPWL recap and the monthly reports of that year and their audit (the state audit of a
# fiscal year closes within the next one), so the default is two years. The number is the controller's to set
# (BNN's data protection officer), not the code's: 0 turns the hold off.
PRIVACY_RETENTION_DAYS = envint("PRIVACY_RETENTION_DAYS", 730)


# --- Auth --------------------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
ACCESS_TOKEN_TTL = timedelta(seconds=envint("ACCESS_TOKEN_TTL_SECONDS", 15 * 60))
REFRESH_TOKEN_TTL = timedelta(days=envint("REFRESH_TOKEN_TTL_DAYS", 30))
LOGIN_RATE_LIMIT_PER_PHONE = envint("LOGIN_RATE_LIMIT_PER_PHONE", 5)
# Per address only a brake on guessing across many phones (each phone has its own limit above): generous,
# because Indonesian mobile carriers put thousands of subscribers behind one CGNAT address.
LOGIN_RATE_LIMIT_PER_IP = envint("LOGIN_RATE_LIMIT_PER_IP", 200)
# Reverse proxies in front of Django that append to X-Forwarded-For (nginx, a load balancer): the client
# address is then the one this many hops from the right. 0 (default): no proxy, REMOTE_ADDR is the client;
# never set it higher than the real number of proxies, or callers choose their own address.
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 0)
LOGIN_RATE_WINDOW_SECONDS = envint("LOGIN_RATE_WINDOW_SECONDS", 15 * 60)
# Password checks (PBKDF2, ~0.5 s of CPU each) a server process runs at once; a sign-in beyond them answers 503
# `sign_in_busy` with Retry-After at once, so that a burst of sign-ins never takes every thread from sync
# (gunicorn.conf.py sets it to half a worker's threads; api/routers/auth.py).
SIGN_IN_CONCURRENCY = max(1, envint("SIGN_IN_CONCURRENCY", 2))
# Password login is for development and deployments without Firebase; production may switch it off.
PASSWORD_LOGIN_ENABLED = envbool("PASSWORD_LOGIN_ENABLED", True)

# Firebase: credentials from a service-account file named in the environment; nothing else is read.
FIREBASE_CREDENTIALS_FILE = env("FIREBASE_CREDENTIALS_FILE")
FIREBASE_PROJECT_ID = env("FIREBASE_PROJECT_ID")
PUSH_ENABLED = envbool("PUSH_ENABLED", bool(FIREBASE_CREDENTIALS_FILE))

# Second channel (notifications/channels): WhatsApp, then SMS, when a push goes unseen (an urgent offer left
# unopened, the digest of someone with no working push token). A channel is used only when configured here
# and only for staff who opted in to it (PATCH /me/channels). Messages are neutral: no client data at all.
NOTIFY_SECOND_CHANNELS = [c.strip() for c in (env("NOTIFY_SECOND_CHANNELS", "whatsapp,sms") or "").split(",")]
NOTIFY_SECOND_CHANNELS = [c for c in NOTIFY_SECOND_CHANNELS if c]
if set(NOTIFY_SECOND_CHANNELS) - {"whatsapp", "sms"}:
    raise ImproperlyConfigured("NOTIFY_SECOND_CHANNELS may name whatsapp and sms only, e.g. whatsapp,sms")
NOTIFY_CHANNELS = ["push", *NOTIFY_SECOND_CHANNELS]
URGENT_OFFER_SECOND_CHANNEL_MINUTES = envint("URGENT_OFFER_SECOND_CHANNEL_MINUTES", 15)
# WhatsApp Cloud API (pywa). The base URL is Meta's Graph API; tests point it at a local fake.
WHATSAPP_API_BASE_URL = env("WHATSAPP_API_BASE_URL") or "https://graph.facebook.com"
WHATSAPP_API_VERSION = env("WHATSAPP_API_VERSION") or None  # None: the version pywa is built for
WHATSAPP_PHONE_ID = env("WHATSAPP_PHONE_ID")
WHATSAPP_TOKEN = env("WHATSAPP_TOKEN")  # or WHATSAPP_TOKEN_FILE
# Approved templates without parameters whose body is the neutral text (notifications/texts.py CHANNEL_TEXTS).
WHATSAPP_TEMPLATE_URGENT = env("WHATSAPP_TEMPLATE_URGENT") or "pulih_tugas_mendesak"
WHATSAPP_TEMPLATE_DIGEST = env("WHATSAPP_TEMPLATE_DIGEST") or "pulih_ringkasan_harian"
# User.language -> the template's language code at Meta.
WHATSAPP_TEMPLATE_LANGUAGES = {
    "id": env("WHATSAPP_TEMPLATE_LANGUAGE_ID") or "id",
    "en": env("WHATSAPP_TEMPLATE_LANGUAGE_EN") or "en",
}
# SMS through an HTTP gateway speaking the JSON shape documented in notifications/channels/sms.py.
SMS_GATEWAY_URL = env("SMS_GATEWAY_URL")
SMS_GATEWAY_KEY = env("SMS_GATEWAY_KEY")  # or SMS_GATEWAY_KEY_FILE
SMS_SENDER = env("SMS_SENDER") or "PULIH"
if PRODUCTION:
    for name, url in (("WHATSAPP_API_BASE_URL", WHATSAPP_API_BASE_URL), ("SMS_GATEWAY_URL", SMS_GATEWAY_URL)):
        if url and not url.startswith("https://"):
            raise ImproperlyConfigured(f"{name} must be an https:// URL in production (it carries a secret)")
# The monthly report's roll-up (backend/reports/rollup_build.py): the closed months not built yet, hourly; the
# villages a late write marked stale, every 5 minutes (until then their months are computed live).
CELERY_BEAT_SCHEDULE["report-rollup-build"] = {
    "task": "backend.reports.tasks.rollup_build",
    "schedule": timedelta(hours=1),
}
CELERY_BEAT_SCHEDULE["report-rollup-refresh"] = {
    "task": "backend.reports.tasks.rollup_refresh",
    "schedule": timedelta(seconds=envint("REPORT_ROLLUP_REFRESH_SECONDS", 300)),
}
CELERY_BEAT_SCHEDULE["sweep-second-channel"] = {
    "task": "notifications.tasks.sweep_second_channel",
    "schedule": timedelta(seconds=envint("SECOND_CHANNEL_SWEEP_SECONDS", 60)),
}

# --- Domain knobs -------------------------------------------------------------------------------------------
# Escalation routing radius (km) when an area sets none: generous, for Kalimantan's river distances.
ROUTING_DEFAULT_MAX_RADIUS_KM = envint("ROUTING_DEFAULT_MAX_RADIUS_KM", 250)
ROUTING_DEFAULT_MAX_ATTEMPTS = envint("ROUTING_DEFAULT_MAX_ATTEMPTS", 3)
# Where a road network is loaded (backend/travel): the longest trip a client is offered when an area sets none.
ROUTING_DEFAULT_MAX_TRAVEL_MINUTES = envint("ROUTING_DEFAULT_MAX_TRAVEL_MINUTES", 240)
# Speeds (km/h) per class of the travel network: OSM highway classes, ferries (route=ferry) and river boats
# (waterway=river/canal); `access` is the stretch from a village centroid or a facility to the nearest node.
TRAVEL_SPEEDS_KMH: dict[str, float] = {
    "motorway": 80,
    "trunk": 60,
    "primary": 50,
    "secondary": 40,
    "tertiary": 30,
    "unclassified": 25,
    "residential": 20,
    "service": 15,
    "track": 10,
    "path": 5,
    "ferry": 15,
    "river_boat": 12,
    "access": 5,
}
# A village or facility farther than this from every node of the network is off it (no travel time).
TRAVEL_MAX_SNAP_M = envint("TRAVEL_MAX_SNAP_M", 5000)
# The legs (road / ferry / boat) are stored for each village's fastest trips only (the offers' and explanations'
# facilities); every pair within the radius gets its minutes.
TRAVEL_LEGS_PER_VILLAGE = envint("TRAVEL_LEGS_PER_VILLAGE", 12)
SLA_ROUTINE_HOURS = envint("SLA_ROUTINE_HOURS", 24)
SLA_URGENT_HOURS = envint("SLA_URGENT_HOURS", 2)
# An appointment this long past with no outcome recorded gives the volunteer a "check on missed appointment" task.
MISSED_APPOINTMENT_GRACE_HOURS = envint("MISSED_APPOINTMENT_GRACE_HOURS", 24)
# A phone's offline set above this many rows is reported to admins rather than served in full.
SYNC_MAX_SET_SIZE = envint("SYNC_MAX_SET_SIZE", 20000)
SYNC_VISITS_MAX_BATCH = 500
# A phone holds the visits of this many days; older ones leave its set (the app prunes by this window).
SYNC_VISIT_WINDOW_DAYS = envint("SYNC_VISIT_WINDOW_DAYS", 180)
# A visit dated further back than this is refused as a wrong device clock.
VISIT_MAX_AGE_DAYS = envint("VISIT_MAX_AGE_DAYS", 400)
# 500 visits with long notes can pass Django's 2.5 MB default.
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("DATA_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024)
API_MAX_PAGE_SIZE = 200
# Keeping clients from dropping out (backend/followup): defaults, in days unless named otherwise; an area may
# override them later. No contact in N days (7 after rehab, and in the first 30 days of outpatient care), a
# missed planned visit or K failed attempts in a row start an episode: tier 1 the volunteer, tier 2 a village
# official, tier 3 the coordinator, one tier every FOLLOWUP_TIER_DAYS until the client is reached; after
# FOLLOWUP_LOST_CONTACT_DAYS without contact the client is lost_contact.
FOLLOWUP_NO_CONTACT_DAYS = envint("FOLLOWUP_NO_CONTACT_DAYS", 14)
FOLLOWUP_NO_CONTACT_DAYS_POST_REHAB = envint("FOLLOWUP_NO_CONTACT_DAYS_POST_REHAB", 7)
FOLLOWUP_NO_CONTACT_DAYS_OUTPATIENT_START = envint("FOLLOWUP_NO_CONTACT_DAYS_OUTPATIENT_START", 7)
FOLLOWUP_OUTPATIENT_START_DAYS = envint("FOLLOWUP_OUTPATIENT_START_DAYS", 30)
FOLLOWUP_FAILED_ATTEMPTS = envint("FOLLOWUP_FAILED_ATTEMPTS", 3)
FOLLOWUP_LOST_CONTACT_DAYS = envint("FOLLOWUP_LOST_CONTACT_DAYS", 30)
FOLLOWUP_TIER_DAYS = envint("FOLLOWUP_TIER_DAYS", 3)
FOLLOWUP_REFUSED_PAUSE_DAYS = envint("FOLLOWUP_REFUSED_PAUSE_DAYS", 30)
FOLLOWUP_HANDOVER_DAYS = envint("FOLLOWUP_HANDOVER_DAYS", 7)
FOLLOWUP_SWEEP_LOCAL_HOUR = envint("FOLLOWUP_SWEEP_LOCAL_HOUR", 6)
# Field tasks (backend/tasks): at most this many new follow-up tasks (tiers 1 and 2) per field worker per day,
# the rest queued and released on later days, best first (workload.py); post-rehab support visits this many
# days after a client enters post-rehab. An area may set its own (AreaTaskSettings, in the admin).
TASKS_DAILY_FOLLOWUP_CAP = envint("TASKS_DAILY_FOLLOWUP_CAP", 8)
TASKS_POST_REHAB_VISIT_DAYS = tuple(
    int(d) for d in (env("TASKS_POST_REHAB_VISIT_DAYS", "7,30,90") or "").split(",") if d.strip()
)
# The daily digest of a field worker's overdue and due-today tasks: one push (or, with no working push token, a
# WhatsApp/SMS message) in their morning, from this local hour; a digest not made by the last hour is not sent.
TASKS_DIGEST_LOCAL_HOUR = envint("TASKS_DIGEST_LOCAL_HOUR", 7)
TASKS_DIGEST_LAST_LOCAL_HOUR = envint("TASKS_DIGEST_LAST_LOCAL_HOUR", 11)

# --- i18n: Bahasa Indonesia first -----------------------------------------------------------------------------
LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("Inggris"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Jakarta"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT") or BASE_DIR / "staticfiles")
# Development serves assets straight from the apps (no collectstatic); production from the collected, hashed and
# compressed copies (the Docker image runs collectstatic).
WHITENOISE_USE_FINDERS = not PRODUCTION
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Django 5.2 warns gis.W001 on GDAL < 3.9 (Debian 12 ships 3.6.2). Pulih uses GDAL only through GeoDjango's
# basic geometry I/O, which 3.6 supports, so the warning is silenced rather than shown on every command.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

SECURE_CONTENT_TYPE_NOSNIFF = True
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
