"""Django settings for evalbox, from environment variables with safe one-machine defaults.

- ``DATABASE_URL``: default SQLite at ``var/evalbox.sqlite3``; PostgreSQL for real deployments.
- ``CELERY_BROKER_URL``: default ``filesystem://`` (an embedded broker in ``EVALBOX_BROKER_DIR``
  for the demo); ``amqp://...`` (RabbitMQ) for real deployments.
- ``EVALBOX_SITE_URL``: the URL compute workers use to reach the worker API.
- ``EVALBOX_VAR_DIR``: where the demo keeps its state (default ``var/`` under the current directory).
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from competition.project.private import private_dir, private_secret
from compute_worker.protocol.transport import broker_transport_options

PACKAGE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("EVALBOX_VAR_DIR", Path.cwd() / "var"))


def _resource_dir(name: str) -> Path:
    """``templates/`` or ``static/``: inside the installed package, else at the top of the checkout.

    The repository keeps them at its top level; the wheel installs them inside ``competition/``
    (``pyproject.toml`` maps them there), and an editable install leaves them where they are.
    """
    installed = PACKAGE_DIR / name
    return installed if installed.is_dir() else PACKAGE_DIR.parent / name



def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = _env_bool("DJANGO_DEBUG", False)
# var/ holds the secret key, the SQLite database, data archives and the embedded broker's
# messages (worker tokens): its owner only may read it.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY or VAR_DIR.exists():
    private_dir(VAR_DIR)
SECRET_KEY = SECRET_KEY or private_secret(VAR_DIR / "secret_key")

ALLOWED_HOSTS = _env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = _env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# EVALBOX_TLS=1: the site is served over HTTPS only (``manage.py check --deploy`` reports nothing).
# Behind a TLS-terminating proxy, that proxy must set X-Forwarded-Proto (and drop the client's);
# EVALBOX_TLS_PROXY_HEADER="" turns the header off when Django itself sees the TLS connection.
EVALBOX_TLS = _env_bool("EVALBOX_TLS", False)
if EVALBOX_TLS:
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    # Health checks call gunicorn over plain HTTP inside the stack (docker-compose.yml).
    SECURE_REDIRECT_EXEMPT = [r"^health$"]
    SECURE_HSTS_SECONDS = int(os.environ.get("EVALBOX_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("EVALBOX_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = _env_bool("EVALBOX_HSTS_PRELOAD", True)
    _proxy_header = os.environ.get("EVALBOX_TLS_PROXY_HEADER", "X-Forwarded-Proto").strip()
    if _proxy_header:
        SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_header.upper().replace("-", "_"), "https")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
    "competition",
]
# Form widgets render with the site's templates too (templates/widgets/).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "competition.project.headers.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "competition.project.urls"
WSGI_APPLICATION = "competition.project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [_resource_dir("templates")],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "competition.web.invitations.pending_count",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'evalbox.sqlite3'}"), conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (site, site worker, demo) share the file: wait for locks, don't fail.
    # IMMEDIATE: every transaction takes the write lock when it begins, so a count-then-insert
    # (submission quotas) cannot interleave with another writer on SQLite either.
    DATABASES["default"].setdefault("OPTIONS", {}).update(timeout=30, transaction_mode="IMMEDIATE")
    # The leaderboard's index includes non-key columns on PostgreSQL; SQLite keeps its key columns.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- accounts: rate limits (competition/throttle.py) and the client's address behind proxies
# Failed sign-ins per client address and per account, and sign-up attempts per address and per
# requested name, in each window.
EVALBOX_SIGN_IN_LIMIT = int(os.environ.get("EVALBOX_SIGN_IN_LIMIT", "10"))
EVALBOX_SIGN_UP_LIMIT = int(os.environ.get("EVALBOX_SIGN_UP_LIMIT", "10"))
EVALBOX_THROTTLE_WINDOW_S = int(os.environ.get("EVALBOX_THROTTLE_WINDOW_S", "900"))
# Default REMOTE_ADDR. Behind proxies: the header the outermost proxy sets to the client's address
# (e.g. X-Real-IP), or how many proxies append to X-Forwarded-For (competition/client_address.py).
EVALBOX_CLIENT_ADDRESS_HEADER = os.environ.get("EVALBOX_CLIENT_ADDRESS_HEADER", "").strip()
EVALBOX_TRUSTED_PROXIES = int(os.environ.get("EVALBOX_TRUSTED_PROXIES", "0"))
# The limits hold across server processes only if they share the cache: EVALBOX_CACHE_DIR (a
# folder on this machine) does; the default is each process's memory.
_cache_dir = os.environ.get("EVALBOX_CACHE_DIR", "").strip()
CACHES = {"default": (
    {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": _cache_dir} if _cache_dir
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
)}
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [_resource_dir("static")]
STATIC_ROOT = Path(os.environ.get("EVALBOX_STATIC_ROOT", VAR_DIR / "staticfiles"))
MEDIA_ROOT = Path(os.environ.get("EVALBOX_MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"
# Uploaded data archives stay out of MEDIA_URL: they are served only through checked views.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- evalbox
EVALBOX_SITE_URL = os.environ.get("EVALBOX_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
EVALBOX_MAX_ARCHIVE_MB = int(os.environ.get("EVALBOX_MAX_ARCHIVE_MB", "2048"))
EVALBOX_MAX_ARCHIVE_MEMBERS = int(os.environ.get("EVALBOX_MAX_ARCHIVE_MEMBERS", "100000"))
# RUNNING/SCORING submissions silent for longer than their limit plus this margin are failed.
EVALBOX_HEARTBEAT_MARGIN_S = int(os.environ.get("EVALBOX_HEARTBEAT_MARGIN_S", "300"))
EVALBOX_SWEEP_INTERVAL_S = int(os.environ.get("EVALBOX_SWEEP_INTERVAL_S", "60"))
# The sweep re-sends SUBMITTED submissions older than this (their dispatch failed).
EVALBOX_REDISPATCH_AFTER_S = int(os.environ.get("EVALBOX_REDISPATCH_AFTER_S", "10"))
# QUEUED submissions are waiting for a free worker and are never failed by the sweep; it only
# logs a warning about those queued for longer than this.
EVALBOX_QUEUED_WARNING_S = int(os.environ.get("EVALBOX_QUEUED_WARNING_S", str(24 * 3600)))
EVALBOX_FLOWER_URL = os.environ.get("EVALBOX_FLOWER_URL", "")

# --- the platform registry (docs/operations.md, "The platform registry"); empty: none
EVALBOX_REGISTRY = os.environ.get("EVALBOX_REGISTRY", "").strip()  # host[:port] as people type it
EVALBOX_REGISTRY_PUBLIC_URL = os.environ.get("EVALBOX_REGISTRY_PUBLIC_URL", "").rstrip("/")  # for workers
EVALBOX_REGISTRY_URL = os.environ.get("EVALBOX_REGISTRY_URL", "").rstrip("/")  # for the site itself
EVALBOX_REGISTRY_SERVICE = os.environ.get("EVALBOX_REGISTRY_SERVICE", "evalbox-registry")
EVALBOX_REGISTRY_ISSUER = os.environ.get("EVALBOX_REGISTRY_ISSUER", "evalbox")
EVALBOX_REGISTRY_KEY_FILE = Path(os.environ.get("EVALBOX_REGISTRY_KEY_FILE", VAR_DIR / "registry" / "token.key"))
EVALBOX_REGISTRY_CERT_FILE = Path(os.environ.get("EVALBOX_REGISTRY_CERT_FILE", VAR_DIR / "registry" / "token.crt"))
# The registry's notifications carry "Authorization: Bearer <secret>" (the secret file's text).
EVALBOX_REGISTRY_NOTIFY_SECRET_FILE = Path(
    os.environ.get("EVALBOX_REGISTRY_NOTIFY_SECRET_FILE", VAR_DIR / "registry" / "notify.secret"))
EVALBOX_REGISTRY_TOKEN_S = int(os.environ.get("EVALBOX_REGISTRY_TOKEN_S", "300"))  # people's tokens
EVALBOX_REGISTRY_PULL_TOKEN_S = int(os.environ.get("EVALBOX_REGISTRY_PULL_TOKEN_S", "3600"))  # a worker's
EVALBOX_REGISTRY_QUOTA_MB = int(os.environ.get("EVALBOX_REGISTRY_QUOTA_MB", "20480"))  # per participant; 0: none
EVALBOX_REGISTRY_RETENTION_DAYS = int(os.environ.get("EVALBOX_REGISTRY_RETENTION_DAYS", "30"))
EVALBOX_REGISTRY_CONFIG = Path(os.environ.get("EVALBOX_REGISTRY_CONFIG", VAR_DIR / "registry" / "config.yml"))

# --- Celery (the site's own app, competition/project/celery.py: dispatch and the periodic sweep)
# The site's own queue: the sweep runs there; it is never a compute queue.
EVALBOX_SITE_QUEUE = "evalbox-site"
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
EVALBOX_BROKER_DIR = Path(os.environ.get("EVALBOX_BROKER_DIR", VAR_DIR / "broker"))
CELERY_BROKER_CONNECTION_TIMEOUT = float(os.environ.get("CELERY_BROKER_CONNECTION_TIMEOUT", "3"))
CELERY_BROKER_TRANSPORT_OPTIONS = broker_transport_options(CELERY_BROKER_URL, EVALBOX_BROKER_DIR)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = EVALBOX_SITE_QUEUE
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "evalbox-sweep": {"task": "competition.sweep", "schedule": float(EVALBOX_SWEEP_INTERVAL_S)},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("EVALBOX_LOG_LEVEL", "INFO")},
}
