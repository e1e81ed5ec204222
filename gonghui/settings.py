"""Django settings for Gonghui.

Everything that differs between a laptop and a federation's servers comes from the environment:
``DATABASE_URL`` (PostgreSQL in production; a SQLite file by default), ``CELERY_BROKER_URL`` /
``REDIS_URL``, the keys in ``gonghui.localenv`` and the ``GONGHUI_*`` switches below.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from gonghui import localenv

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("GONGHUI_VAR_DIR", BASE_DIR / "var"))
PRODUCTION = os.environ.get("GONGHUI_ENV", "development") == "production"
localenv.load(VAR_DIR, production=PRODUCTION)


def _env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"Set {name} in the environment.")
    return value


def _flag(name: str, default: bool) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


SECRET_KEY = _env("GONGHUI_SECRET_KEY")
DEBUG = _flag("GONGHUI_DEBUG", not PRODUCTION)
ALLOWED_HOSTS = _env("GONGHUI_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("GONGHUI_CSRF_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "django_htmx",
    "simple_history",
    "ninja",
    "gonghui.core",
    "gonghui.organizations",
    "gonghui.accounts",
    "gonghui.members",
    "gonghui.unionbuilding",
    "gonghui.casework",
    "gonghui.culture",
    "gonghui.funds",
    "gonghui.hardship",
    "gonghui.assistance",
    "gonghui.virtualjobs",
    "gonghui.employment",
    "gonghui.mutualaid",
    "gonghui.demo",
    # After gonghui.core, whose ``runserver`` (which also starts the in-process beat) must win
    # over the static-files one it extends: the first app listed provides a command.
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "gonghui.core.middleware.ChineseFirstLocaleMiddleware",
    "gonghui.core.middleware.QueryStringGuardMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "gonghui.core.middleware.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "gonghui.core.middleware.ServiceUnavailableMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "gonghui.accounts.middleware.PrivacyConsentMiddleware",
]

ROOT_URLCONF = "gonghui.urls"
WSGI_APPLICATION = "gonghui.wsgi.application"

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
                "gonghui.core.context_processors.platform",
            ],
            "builtins": ["gonghui.core.templatetags.gonghui"],
        },
    }
]

# --- Database -----------------------------------------------------------------------------
# The embedded default is a SQLite file in WAL mode with immediate transactions, so writers
# queue on the database lock at BEGIN instead of failing half-way through a transaction.
SQLITE_PATH = VAR_DIR / "db.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{SQLITE_PATH}"), conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            "PRAGMA foreign_keys=ON;"
            "PRAGMA busy_timeout=20000;"
        ),
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
elif _flag("GONGHUI_PG_PREPARED_STATEMENTS", True):
    # Server-side parameters and prepared statements: a query run a few times on a connection
    # is parsed once. Turn off behind a pooler that cannot keep prepared statements.
    # Each execution is still planned for its own parameters (``force_custom_plan``): the
    # same scoped query is a few rows for a grassroots union and most of the table for a
    # district, and the generic plan PostgreSQL switches to after five executions fits
    # neither (a district's staff home took 0.4-1.0 s instead of 20-40 ms; bench pages).
    DATABASES["default"]["OPTIONS"] = {
        "server_side_binding": True,
        "prepare_threshold": 5,
        "options": "-c plan_cache_mode=force_custom_plan",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "/"
SESSION_COOKIE_AGE = 8 * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- Transport security and the content policy (docs/adr/0007) ------------------------------------
# TLS often ends at a reverse proxy, so Django sees plain HTTP. Name the header the proxy sets
# to say the original request was HTTPS (``GONGHUI_PROXY_SSL_HEADER=X-Forwarded-Proto``) only
# if the proxy always overwrites it: a client could otherwise claim HTTPS itself. Without it,
# SSL redirect behind such a proxy would send every request back to itself.
_PROXY_SSL_HEADER = os.environ.get("GONGHUI_PROXY_SSL_HEADER", "").strip()
if _PROXY_SSL_HEADER:
    SECURE_PROXY_SSL_HEADER = (
        "HTTP_" + _PROXY_SSL_HEADER.upper().replace("-", "_"),
        os.environ.get("GONGHUI_PROXY_SSL_VALUE", "https"),
    )
SECURE_SSL_REDIRECT = _flag("GONGHUI_SSL_REDIRECT", PRODUCTION)
# HSTS: browsers that saw the header refuse plain HTTP to the site for this many seconds.
SECURE_HSTS_SECONDS = int(os.environ.get("GONGHUI_HSTS_SECONDS", 31_536_000 if PRODUCTION else 0))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _flag("GONGHUI_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = _flag("GONGHUI_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS: list[str] = []
if not SECURE_HSTS_PRELOAD:
    # Preloading is the domain owner's promise to browser vendors (and impossible for an
    # intranet name), not a server setting; ``check --deploy`` would otherwise always warn.
    SILENCED_SYSTEM_CHECKS.append("security.W021")
# The client's address (``core.web.client_ip``: the sign-in throttle, one-time code limits,
# access logs). Behind a reverse proxy every request comes from the proxy: name the header it
# sets to the client's address (``X-Forwarded-For``: its last entry is taken, the one the
# proxy appended; or ``X-Real-IP``), and only if every request passes through that proxy,
# or clients could forge it.
GONGHUI_CLIENT_IP_HEADER = os.environ.get("GONGHUI_CLIENT_IP_HEADER", "").strip()
# Scripts only from our own static files: no inline script, no eval, no event-handler
# attribute (templates keep none; a test reads them all), so injected markup cannot run code.
# Styles too: templates use classes (site.css) rather than style attributes; scripts may still
# set element styles through the DOM (ECharts, Bootstrap), which the policy does not govern.
# Images may be data: URIs (Bootstrap's form icons). Set by ``core.middleware``.
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}

# --- Language and time --------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "gonghui" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Files ----------------------------------------------------------------------------------
STATIC_URL = "/static/"
# Production serves collected files (``collectstatic``) through WhiteNoise; elsewhere WhiteNoise
# reads them through the finders, straight from node_modules and the apps.
STATIC_ROOT = (
    Path(os.environ.get("GONGHUI_STATIC_ROOT", BASE_DIR / "staticfiles")) if PRODUCTION else None
)
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", NODE_MODULES / "bootstrap-icons" / "font"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
    ("vendor/jsqr", NODE_MODULES / "jsqr" / "dist"),  # the check-in page's camera scanner
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(os.environ.get("GONGHUI_MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"
# A request up to this size keeps its files in memory. Case materials and mechanism evidence
# (at most 10 MB each) therefore never reach the disk before they are sealed or stored; an
# import is sealed as it arrives by its own upload handler (core.imports.SealingUploadHandler).
# Only a request over the limit, which the services then refuse, passes through a temporary file.
FILE_UPLOAD_MAX_MEMORY_SIZE = 11 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Cache, background work -----------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # Installations (or a benchmark) sharing one Redis keep apart by their prefix.
            "KEY_PREFIX": os.environ.get("GONGHUI_CACHE_KEY_PREFIX", ""),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery with Redis in production. On the embedded default there is no broker: tasks run
# in-process, at the moment they are sent (``task_always_eager``).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if CELERY_TASK_ALWAYS_EAGER:
    # Celery's own beat runs inside the development server (``runserver`` starts it; see
    # ``core.management.commands.runserver``) and hands each due task to the eager path.
    CELERY_BROKER_URL = "memory://"
# Periodic jobs (``celery -A gonghui beat`` in production, the in-process beat otherwise) are
# declared by the modules (``core.modules.PeriodicJob``); CoreConfig.ready sets the schedule.
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
# A task is acknowledged when it has run, and a task whose worker process died under it
# (killed, out of memory: WorkerLostError) goes back to the queue instead of being dropped as
# acknowledged; every task is idempotent, so a re-run does nothing twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task still running when the worker loses the broker cannot be acknowledged any more, and
# the broker hands it out again: cancel it rather than let two runs overlap (Celery 6's
# default; the re-run finds its import settled by its lease and resumes it).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True

# --- Logging ----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "gonghui": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}

# --- Gonghui --------------------------------------------------------------------------------
GONGHUI_DEMO = _flag("GONGHUI_DEMO", False)
# Dotted path of the SMS backend; the default writes every message to the server log. The
# accounts app imports it at start-up (``AccountsConfig.ready``), so a wrong path stops the
# process instead of the first worker's sign-in.
GONGHUI_SMS_BACKEND = os.environ.get("GONGHUI_SMS_BACKEND", "gonghui.core.sms.LogBackend")
if PRODUCTION and GONGHUI_SMS_BACKEND.endswith(".LogBackend"):
    # Sign-in codes in a log file would let whoever reads the log sign in as any worker.
    raise ImproperlyConfigured("Set GONGHUI_SMS_BACKEND to the SMS gateway's backend.")
# The file ``gonghui.core.sms.FileBackend`` appends to (test rigs: the fault suite).
GONGHUI_SMS_FILE = os.environ.get("GONGHUI_SMS_FILE", "")
GONGHUI_SMS_SIGNATURE = os.environ.get("GONGHUI_SMS_SIGNATURE", "网上工会")
GONGHUI_OTP_TTL_SECONDS = 300
GONGHUI_OTP_RESEND_SECONDS = 60
GONGHUI_OTP_MAX_ATTEMPTS = 5
GONGHUI_OTP_DAILY_LIMIT = 10
GONGHUI_API_TOKEN_DAYS = 30
# The privacy notice workers agree to before using the portal or the worker API. Its text is
# the template ``accounts/privacy/notice-<version>.html``; a new version is a new template and a
# new value here, and every worker is asked again (``accounts.selectors.consent_in_force``).
GONGHUI_PRIVACY_NOTICE_VERSION = "2026-12"
# Password sign-in throttle (console, portal and API; ``accounts.services.password_sign_in``).
# From the Nth wrong password on, an account (or an address) is locked for LOCK seconds,
# doubling with each further failure up to LOCK_MAX: a person who mistypes waits a minute, a
# guesser gets a few dozen tries a day. An account's failures are forgotten after its window
# or at its next successful sign-in; an address's after its (shorter) window only.
GONGHUI_SIGNIN_ACCOUNT_FAILURES = int(os.environ.get("GONGHUI_SIGNIN_ACCOUNT_FAILURES", 5))
GONGHUI_SIGNIN_ADDRESS_FAILURES = int(os.environ.get("GONGHUI_SIGNIN_ADDRESS_FAILURES", 20))
GONGHUI_SIGNIN_ACCOUNT_WINDOW_SECONDS = 24 * 3600
GONGHUI_SIGNIN_ADDRESS_WINDOW_SECONDS = 3600
GONGHUI_SIGNIN_LOCK_SECONDS = int(os.environ.get("GONGHUI_SIGNIN_LOCK_SECONDS", 60))
GONGHUI_SIGNIN_LOCK_MAX_SECONDS = int(os.environ.get("GONGHUI_SIGNIN_LOCK_MAX_SECONDS", 3600))
GONGHUI_IMPORT_MAX_BYTES = int(os.environ.get("GONGHUI_IMPORT_MAX_BYTES", 20 * 1024 * 1024))
GONGHUI_IMPORT_MAX_ROWS = int(os.environ.get("GONGHUI_IMPORT_MAX_ROWS", 200_000))
# A running dry run or commit renews its lease every third of this; a job whose lease lapsed
# (its process died) is settled as interrupted, to be retried or cancelled.
GONGHUI_IMPORT_LEASE_SECONDS = int(os.environ.get("GONGHUI_IMPORT_LEASE_SECONDS", 60))
GONGHUI_PAGE_SIZE = 20
