"""vcwatch settings: the one place that reads the environment.

Every variable is listed in README.md and .env.example. Production behaviour is switched by
environment, never by a second settings file.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp import constants as csp
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# A local .env file, if any; variables already in the environment win.
environ.Env.read_env(BASE_DIR / ".env")
# The console backend under the name the README documents; django-environ calls it consolemail.
env.EMAIL_SCHEMES["console"] = env.EMAIL_SCHEMES["consolemail"]


def _required(name: str, hint: str) -> str:
    value = env.str(name, default="")
    if not value:
        raise ImproperlyConfigured(f"{name} is not set: {hint}")
    return value


# --- Core -------------------------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
# Keys rotated out, still accepted for signatures made with them (unsubscribe links in mails sent).
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set: it is required when DEBUG is off "
            "(`make run` generates one into var/secret_key)"
        )
    SECRET_KEY = "insecure-debug-only-key-never-used-with-debug-off"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Clients in front of the web server that append to X-Forwarded-For (a reverse proxy: 1).
# Login lockouts and the API's throttles take the client's address from there.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Where the admin site lives: moving it off the well-known path spares it most scanners.
ADMIN_URL = env.str("ADMIN_URL", default="admin/")
if not ADMIN_URL.endswith("/") or ADMIN_URL.startswith("/"):
    raise ImproperlyConfigured(f"ADMIN_URL must end with / and not start with one: {ADMIN_URL!r}")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "django_celery_beat",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from here, not from a CDN
    "csp",
    "axes",
    "incidents",
]

MIDDLEWARE = [
    # First: every later middleware's and view's log lines carry the request id; counts all.
    "tracker.observability.context.RequestIdMiddleware",
    "tracker.observability.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "tracker.middleware.UnstorableQueryGuard",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Puts the acting user and URL into the history context of every write the request makes.
    "pghistory.middleware.HistoryMiddleware",
    # Last, as django-axes asks: turns a lockout flagged during the admin's login into a 429.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tracker.urls"
WSGI_APPLICATION = "tracker.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Overrides of other packages' templates (the browsable API's, for the CSP nonce).
        "DIRS": [BASE_DIR / "tracker" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
            ],
        },
    },
]

# --- Database: PostgreSQL only (full-text search, row locks, triggers and constraints) --------
DATABASES = {
    "default": env.db_url_config(
        _required("DATABASE_URL", "`make run` starts an embedded PostgreSQL and sets it")
    )
}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL (postgres://...)")
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Celery (https://docs.celeryq.dev/en/stable/userguide/configuration.html) ----------------
REDIS_URL = _required("REDIS_URL", "`make run` starts an embedded Redis and sets it")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 120
CELERY_TASK_TIME_LIMIT = 180
# Must exceed the longest task, or Redis redelivers a task that is still running.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"
# Task events for Flower (`celery -A tracker flower`): started, succeeded, failed, and sent.
CELERY_WORKER_SEND_TASK_EVENTS = True
CELERY_TASK_SEND_SENT_EVENT = True

# --- Cache (throttling counters shared by all web processes) --------------------------------
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "vcwatch",
    }
}

# --- REST API (https://www.django-rest-framework.org/api-guide/settings/) --------------------
API_TOKEN_TTL_DAYS = env.int("API_TOKEN_TTL_DAYS", default=90)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "incidents.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["incidents.api.permissions.RolePermissions"],
    "DEFAULT_PAGINATION_CLASS": "incidents.api.pagination.Cursor",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PARSER_CLASSES": ["incidents.api.parsers.StrictJSONParser"],
    "EXCEPTION_HANDLER": "incidents.api.errors.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/min"),
        "user": env.str("API_THROTTLE_USER", default="1200/min"),
        "login": env.str("API_THROTTLE_LOGIN", default="10/min"),
    },
    # The client's address for throttles: X-Forwarded-For only as far as trusted proxies wrote it.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "vcwatch API",
    "DESCRIPTION": "Security incidents of video-conferencing platforms: file, update, search.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Fields that appear only sometimes (a search's rank) must not be required in responses.
    "COMPONENT_NO_READ_ONLY_REQUIRED": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Ingestion --------------------------------------------------------------------------------
# Lets fetching reach loopback and private networks (a local feed server); metadata never.
TRACKER_FETCH_ALLOW_PRIVATE = env.bool("TRACKER_FETCH_ALLOW_PRIVATE", default=False)
# Off: an article is made from the feed's summary, its page never fetched.
TRACKER_FETCH_PAGES = env.bool("TRACKER_FETCH_PAGES", default=True)
# An article scoring under this relevance is kept but irrelevant: never linked nor suggested
# (the API's and the admin's `relevant` filters read it too).
TRACKER_RELEVANCE_MIN = env.float("TRACKER_RELEVANCE_MIN", default=0.3)
# Link confidences (incidents.ingestion.linking): at AUTO or above the system links an article to
# an incident; at SUGGEST or above the link waits in the triage queue.
TRACKER_LINK_AUTO = env.float("TRACKER_LINK_AUTO", default=0.65)
TRACKER_LINK_SUGGEST = env.float("TRACKER_LINK_SUGGEST", default=0.4)

# --- Email ------------------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="console://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="vcwatch <vcwatch@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where users reach the site: the links in digests (incidents, one-click unsubscribe) start so.
TRACKER_BASE_URL = env.str("TRACKER_BASE_URL", default="http://localhost:8000").rstrip("/")
EMAIL_TIMEOUT = 30

# --- Auth -------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Brute force (https://django-axes.readthedocs.io/en/latest/4_configuration.html): the first
# backend refuses a locked-out username+address before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
# Per username and address together: a guesser is stopped without letting anyone lock a
# colleague out from elsewhere by typing their name.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "tracker.security.client_ip"
AXES_LOCKOUT_CALLABLE = "tracker.security.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False  # no banner on every start; failures and lockouts are still logged

# --- Security ---------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/ref/middleware/#module-django.middleware.security
# Served over HTTPS (directly or behind a TLS proxy): secure by default once DEBUG is off.
# TRACKER_HTTPS=0 is for a plain-HTTP run on your own machine (`make run` sets it).
TRACKER_HTTPS = env.bool("TRACKER_HTTPS", default=not DEBUG)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=TRACKER_HTTPS)
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=TRACKER_HTTPS)
# Probes and the scrape come from inside the network, over plain HTTP, to the container itself.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
# One year (browsers' preload list asks that much); 0 sends no HSTS header.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if TRACKER_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
# Only allows a submission to the preload list, which the site's owner makes (or not).
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
# Behind a TLS proxy: the header it sets to "https" (X-Forwarded-Proto). Only set it when the
# proxy overwrites that header, or a client could claim HTTPS over plain HTTP.
_proxy_ssl_header = env.str("SECURE_PROXY_SSL_HEADER", default="")
if _proxy_ssl_header:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (https://django-csp.readthedocs.io/en/latest/configuration.html):
# scripts and <style> elements only from this site or carrying the response's nonce (the
# Swagger UI's inline start-up). Exception: inline style *attributes*, which the DRF browsable
# API, the digest preview (an e-mail's HTML must style inline) and the unsubscribe pages use;
# an attribute cannot run script nor select other elements.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF, csp.NONCE],
        "style-src": [csp.SELF, csp.NONCE],
        "style-src-attr": [csp.UNSAFE_INLINE],
        "img-src": [csp.SELF, "data:"],  # the Swagger UI's icons are data: URIs
        "font-src": [csp.SELF],
        "connect-src": [csp.SELF],
        "object-src": [csp.NONE],
        "base-uri": [csp.SELF],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
    },
}

# --- I18n and time: stored in UTC, shown in TIME_ZONE ------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static files, served by whitenoise -------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(VAR_DIR / "static"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- History (django-pghistory) ---------------------------------------------------------------
PGHISTORY_ADMIN_LIST_DISPLAY = ["pgh_created_at", "pgh_label", "pgh_obj_model", "pgh_obj_id"]
# Reads change nothing: only writes carry the user and URL into the history (a read spares the
# statement that would set them).
PGHISTORY_MIDDLEWARE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

# --- Logging and metrics (see Observability in the README) -----------------------------------
# json: one object a line, for a log collector; plain: for a person reading a terminal.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json")
if LOG_FORMAT not in ("json", "plain"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or plain, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "tracker.observability.logs.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "tracker.observability.logs.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
# A bearer token for Prometheus to read /metrics with; unset, only admins (logged in) may.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
