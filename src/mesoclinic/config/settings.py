"""Settings for mesoclinic, read from the environment.

One module for every deployment: the environment decides the database
(``DATABASE_URL``), where files live (``MESOCLINIC_HOME``) and whether this is a
development machine (``MESOCLINIC_DEBUG``).  Production-safe values are the defaults.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


PACKAGE_DIR = Path(__file__).resolve().parent.parent
HOME = Path(os.environ.get("MESOCLINIC_HOME", "var")).resolve()
HOME.mkdir(parents=True, exist_ok=True)


def _private_file(path: Path) -> Path:
    """Create ``path`` empty if missing, readable by this user only (0600), and tighten an
    existing one: the database, its WAL and the secret key hold health data and secrets."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.close(descriptor)
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)
    return path


def _secret_key() -> str:
    """The SECRET_KEY from the environment, else one generated once and kept in HOME (0600)."""
    if key := os.environ.get("MESOCLINIC_SECRET_KEY"):
        return key
    key_file = HOME / "secret_key"
    try:  # O_EXCL: of two processes starting at once, only one writes the key
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        _private_file(key_file)
    else:
        with os.fdopen(descriptor, "w") as key_out:
            key_out.write(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _flag("MESOCLINIC_DEBUG")
ALLOWED_HOSTS = [
    host.strip()
    for host in os.environ.get("MESOCLINIC_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
    if host.strip()
]
# Reverse proxies (addresses or networks) whose X-Forwarded-For the audit trail believes.
TRUSTED_PROXIES = [
    entry.strip()
    for entry in os.environ.get("MESOCLINIC_TRUSTED_PROXIES", "").split(",")
    if entry.strip()
]
CSRF_TRUSTED_ORIGINS = [
    origin.strip()
    for origin in os.environ.get("MESOCLINIC_CSRF_TRUSTED_ORIGINS", "").split(",")
    if origin.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "django_htmx",
    "template_partials",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "mesoclinic.core",
    "mesoclinic.people",
    "mesoclinic.catalogue",
    "mesoclinic.safety",
    "mesoclinic.scheduling",
    "mesoclinic.records",
    "mesoclinic.api",
    "mesoclinic.web",
    "django_tasks",
    "django_tasks_db",
    "mesoclinic.messaging",
    "mesoclinic.billing",
    "mesoclinic.retention",
    "mesoclinic.imports",
    "mesoclinic.portal",
]

MIDDLEWARE = [
    # First: the request id for every log line of the request, its latency for /metrics.
    "mesoclinic.core.request_log.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "mesoclinic.web.middleware.ApiEnvelopeMiddleware",
    # Malformed query strings and bodies are a 400 before CSRF or any view reads them.
    "mesoclinic.core.input_guard.InputGuardMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "mesoclinic.core.audit_context.AuditOriginMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # After the session, user and messages: ends idle staff sessions, then holds a
    # password-only session at the second-factor step.
    "mesoclinic.web.middleware.StaffIdleTimeoutMiddleware",
    "mesoclinic.web.middleware.SecondFactorMiddleware",
    "mesoclinic.web.middleware.RefusalMiddleware",
    # Last, as django-axes asks: answers a locked-out login with the lockout page.
    "axes.middleware.AxesMiddleware",
]

# django-axes first, so a locked-out user is refused before the password is checked.
AUTHENTICATION_BACKENDS = [
    "mesoclinic.people.backends.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "mesoclinic.config.urls"
WSGI_APPLICATION = "mesoclinic.config.wsgi.application"

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
                "mesoclinic.web.context.clinic",
            ],
        },
    },
]


PREPARE_ONLY_WHEN_ASKED = 2**31 - 1
"""psycopg's ``prepare_threshold``: executions before a statement is prepared unasked
(never, in practice). Django's default, ``None``, refuses even statements that ask."""


def _database() -> dict[str, Any]:
    """The default database: ``DATABASE_URL``, else SQLite under HOME in WAL mode."""
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{HOME / 'mesoclinic.sqlite3'}"
    config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=0))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        if config["NAME"] and config["NAME"] != ":memory:":
            # Made 0600 before SQLite opens it: SQLite gives its -wal and -shm files the
            # database file's permissions.
            database = Path(config["NAME"])
            database.parent.mkdir(parents=True, exist_ok=True)
            _private_file(database)
            for suffix in ("-wal", "-shm"):
                sidecar = database.with_name(database.name + suffix)
                if sidecar.exists():
                    _private_file(sidecar)
        config["OPTIONS"] = {
            # A write takes the lock at BEGIN, so two writers never deadlock on upgrade.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            # WAL for concurrent readers; FULL so a committed booking survives a power cut.
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=FULL;"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA busy_timeout=20000;"
            ),
        }
        config["TEST"] = {"NAME": str(HOME / "test.sqlite3")}
        # Each server thread keeps its connection: opening one runs the PRAGMAs above.
        config["CONN_MAX_AGE"] = 60
    else:
        config["CONN_MAX_AGE"] = 60
        config["CONN_HEALTH_CHECKS"] = True
        # psycopg prepares only the statements that ask for it (core.compiled's, which
        # are of a fixed shape); Django's own stay unprepared, as by default.
        config.setdefault("OPTIONS", {})["prepare_threshold"] = PREPARE_ONLY_WHEN_ASKED
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:dashboard"
LOGOUT_REDIRECT_URL = "web:login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = HOME / "static"
MEDIA_ROOT = HOME / "media"
# `mesoclinic serve`/`demo` collect hashed, compressed files and serve those
# (MESOCLINIC_STATIC_MANIFEST=1); tests, `manage` and development find them in the apps.
_STATIC_MANIFEST = _flag("MESOCLINIC_STATIC_MANIFEST")
# Uploads (client photos) are readable by the server's user only; collected static files
# stay world-readable so a front proxy may serve them.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if _STATIC_MANIFEST
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        ),
        "OPTIONS": {"file_permissions_mode": 0o644, "directory_permissions_mode": 0o755},
    },
}
WHITENOISE_USE_FINDERS = not _STATIC_MANIFEST

SESSION_COOKIE_HTTPONLY = True
# A session lasts at most a working day; staff sessions also end after
# MESOCLINIC_STAFF_IDLE_MINUTES without a request (mesoclinic.web.middleware).
SESSION_COOKIE_AGE = int(os.environ.get("MESOCLINIC_SESSION_HOURS", "12")) * 3600
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
# Behind TLS in production: secure cookies unless explicitly served over plain HTTP
# (the laptop demo on 127.0.0.1 sets MESOCLINIC_INSECURE_HTTP=1).
_PLAIN_HTTP = _flag("MESOCLINIC_INSECURE_HTTP", default=DEBUG)
SESSION_COOKIE_SECURE = not _PLAIN_HTTP
CSRF_COOKIE_SECURE = not _PLAIN_HTTP
if not _PLAIN_HTTP:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Browsers keep to HTTPS for a year once they have seen the site over TLS.
    SECURE_HSTS_SECONDS = int(os.environ.get("MESOCLINIC_HSTS_SECONDS", "31536000"))

# Content Security Policy (django-csp): scripts and styles from this site only; the few
# inline <script> blocks carry the request's nonce. Style attributes stay allowed (the
# calendar grid places blocks with them); images may be data: URIs (the 2FA QR code).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Staff identity (issue 12): login lockout, second factor, idle timeout.
# django-axes: after MESOCLINIC_LOGIN_FAILURE_LIMIT failed logins for one username from one
# address, that pair is refused (even with the right password) for the lockout time.
AXES_FAILURE_LIMIT = int(os.environ.get("MESOCLINIC_LOGIN_FAILURE_LIMIT", "10"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("MESOCLINIC_LOCKOUT_MINUTES", "30")))
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "mesoclinic.web.identity_views.locked_out"
AXES_VERBOSE = False
# django-otp: TOTP codes from an authenticator app, recovery codes as a static device.
OTP_TOTP_ISSUER = os.environ.get("MESOCLINIC_OTP_ISSUER", "mesoclinic")

EMAIL_BACKEND = os.environ.get(
    "MESOCLINIC_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("MESOCLINIC_FROM_EMAIL", "clinic@mesoclinic.invalid")

# One JSON object per line with the request id (MESOCLINIC_LOG_FORMAT=text for plain lines).
_LOG_FORMAT = os.environ.get("MESOCLINIC_LOG_FORMAT", "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "mesoclinic.core.request_log.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "mesoclinic.core.request_log.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "text" if _LOG_FORMAT == "text" else "json",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("MESOCLINIC_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

NINJA_PAGINATION_PER_PAGE = 50

# Clinic policy: the configurable rules of domain.md, overridable from the environment.
MESOCLINIC = {
    "SLOT_GRID_MINUTES": int(os.environ.get("MESOCLINIC_SLOT_GRID_MINUTES", "15")),
    "BUFFER_MINUTES": int(os.environ.get("MESOCLINIC_BUFFER_MINUTES", "0")),
    "QUESTIONNAIRE_VALID_DAYS": int(os.environ.get("MESOCLINIC_QUESTIONNAIRE_VALID_DAYS", "180")),
    "OVERRIDE_VALID_DAYS": int(os.environ.get("MESOCLINIC_OVERRIDE_VALID_DAYS", "180")),
    "PRESCRIPTION_VALID_DAYS": int(os.environ.get("MESOCLINIC_PRESCRIPTION_VALID_DAYS", "90")),
    # Client journey (issue 6): messages, online changes, deposits, course packages.
    # The address clients reach: links in messages, FHIR code systems. `mesoclinic serve` sets
    # it to the address it serves when neither name is set.
    "PUBLIC_BASE_URL": os.environ.get(
        "MESOCLINIC_PUBLIC_URL",
        os.environ.get("MESOCLINIC_PUBLIC_BASE_URL", "http://127.0.0.1:8000"),
    ),
    "REMINDER_HOURS": tuple(
        int(hours) for hours in os.environ.get("MESOCLINIC_REMINDER_HOURS", "48,24").split(",")
    ),
    "PREPARATION_HOURS": int(os.environ.get("MESOCLINIC_PREPARATION_HOURS", "72")),
    "MESSAGE_WINDOW": tuple(os.environ.get("MESOCLINIC_MESSAGE_WINDOW", "08:00-20:00").split("-")),
    "MAINTENANCE_NOTICE_DAYS": int(os.environ.get("MESOCLINIC_MAINTENANCE_NOTICE_DAYS", "14")),
    "SMS_BACKEND": os.environ.get(
        "MESOCLINIC_SMS_BACKEND", "mesoclinic.messaging.channels.LoggingSmsBackend"
    ),
    "CANCELLATION_NOTICE_HOURS": int(os.environ.get("MESOCLINIC_CANCELLATION_NOTICE_HOURS", "48")),
    "DEPOSIT_PERCENT": os.environ.get("MESOCLINIC_DEPOSIT_PERCENT", "20"),
    # Online deposits: "none" (paid at the clinic) or "sandbox" (the demo's test provider).
    "PAYMENT_PROVIDER": os.environ.get("MESOCLINIC_PAYMENT_PROVIDER", "none"),
    "FORFEIT_DEPOSIT": _flag("MESOCLINIC_FORFEIT_DEPOSIT", default=True),
    "COURSE_PACKAGES": (
        {"min_sessions": 6, "percent": "10", "name": "Course of 6 or more: 10% off"},
        {"min_sessions": 10, "percent": "15", "name": "Full course of 10 or more: 15% off"},
    ),
    # The clinic's own address: ORGANIZER of its calendar files (RFC 5546).
    "CLINIC_EMAIL": os.environ.get("MESOCLINIC_CLINIC_EMAIL", DEFAULT_FROM_EMAIL),
    # Portal identity (issue 12): emailed verification/reset links work once, this long.
    "PORTAL_LINK_MINUTES": int(os.environ.get("MESOCLINIC_PORTAL_LINK_MINUTES", "60")),
    # Issue 15: an online booking's chosen slot is held this long while the visitor confirms
    # their email (the emailed link works no longer than the hold); then it is free again.
    "PORTAL_HOLD_MINUTES": int(os.environ.get("MESOCLINIC_PORTAL_HOLD_MINUTES", "15")),
    # Issue 16: the waiting list. A window may span at most this many days; an offered start
    # is held this long for the client to accept.
    "WAITLIST_MAX_DAYS": int(os.environ.get("MESOCLINIC_WAITLIST_MAX_DAYS", "90")),
    "WAITLIST_OFFER_MINUTES": int(os.environ.get("MESOCLINIC_WAITLIST_OFFER_MINUTES", "60")),
    # Attempts per client IP and per email address ("count/period", period s/m/h/d);
    # see mesoclinic.portal.ratelimit. Counted in the default cache.
    "PORTAL_RATE_LIMITS": {
        "signup": {"ip": "20/h", "address": "5/h"},
        "booking": {"ip": "30/h", "address": "10/h"},
        "login": {"ip": "60/h", "address": "10/15m"},
        "password_reset": {"ip": "20/h", "address": "5/h"},
    },
    # Staff identity (issue 12): a second factor for admins and practitioners (off only in
    # the demo or when relaxed on purpose), idle staff sessions end, API tokens expire.
    "REQUIRE_2FA": _flag("MESOCLINIC_REQUIRE_2FA", default=True),
    "STAFF_IDLE_MINUTES": int(os.environ.get("MESOCLINIC_STAFF_IDLE_MINUTES", "30")),
    "API_TOKEN_DAYS": int(os.environ.get("MESOCLINIC_API_TOKEN_DAYS", "90")),
    # Observability (issue 18): /metrics answers only a scrape with this bearer token (404
    # while it is unset).
    "METRICS_TOKEN": os.environ.get("MESOCLINIC_METRICS_TOKEN", ""),
    # Scheduled backups (issue 18), run by the worker: one a day into $MESOCLINIC_HOME/backups,
    # keeping the newest of each of the last KEEP_DAILY days and KEEP_WEEKLY weeks.
    "BACKUP_SCHEDULE": _flag("MESOCLINIC_BACKUP_SCHEDULE", default=True),
    "BACKUP_KEEP_DAILY": int(os.environ.get("MESOCLINIC_BACKUP_KEEP_DAILY", "7")),
    "BACKUP_KEEP_WEEKLY": int(os.environ.get("MESOCLINIC_BACKUP_KEEP_WEEKLY", "4")),
    # Record retention (issue 18, docs/retention.md): years, and ages for children's records.
    # Defaults from the NHS Records Management Code of Practice 2021 (health records), HMRC
    # (payments) and the clinic's own choice (contact-only records).
    "RETENTION": {
        "ADULT_CLINICAL_YEARS": int(os.environ.get("MESOCLINIC_RETENTION_ADULT_YEARS", "8")),
        "CHILD_UNTIL_AGE": 25,
        "CHILD_UNTIL_AGE_IF_17": 26,
        "FINANCIAL_YEARS": int(os.environ.get("MESOCLINIC_RETENTION_FINANCIAL_YEARS", "6")),
        "CONTACT_YEARS": int(os.environ.get("MESOCLINIC_RETENTION_CONTACT_YEARS", "2")),
    },
}

# Background tasks (django-tasks) queued in the database by django-tasks-db and run by
# `mesoclinic worker` (its `db_worker`).
TASKS = {
    "default": {
        "BACKEND": os.environ.get("MESOCLINIC_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}
