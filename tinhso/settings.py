"""The one settings module. Every value can be set from the environment; defaults boot on SQLite.

The README lists every environment variable with its default. Production (DEBUG off) refuses to start
without its secrets.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url

from tinhso.env import cache_config, env_bool, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("TINHSO_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_secret(
    "SECRET_KEY", debug=DEBUG, dev_default="dev-only-insecure-key-never-use-in-production"
)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "tinhso.accounts.admin_site.TinhSoAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "ninja",  # its static files: the API docs' Swagger UI served from the site, not a CDN (the CSP)
    "tinhso.core",
    "tinhso.accounts",
    "tinhso.procedures",
    "tinhso.notifications",
    "tinhso.edocs",
    "tinhso.payments",
    "tinhso.dossiers",
    "tinhso.reports",
    "tinhso.backoffice",
    "tinhso.portal",
]

MIDDLEWARE = [
    "tinhso.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # django-otp's, reading the session's device from the shared cache (tinhso/accounts/middleware.py).
    "tinhso.accounts.middleware.CachedOTPMiddleware",
    "tinhso.accounts.middleware.OfficialTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "tinhso.core.middleware.SecurityHeadersMiddleware",
    # Last, as django-axes requires: it turns a lockout raised by the auth backend into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tinhso.urls"
WSGI_APPLICATION = "tinhso.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "tinhso" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tinhso.core.context_processors.site",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'tinhso.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock at BEGIN, so two writers queue instead of one failing
    # with "database is locked" half-way through; WAL lets readers run beside the writer.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Tests use a file, not Django's shared in-memory database: in shared-cache mode SQLite refuses a second
    # writer at once ("database table is locked") instead of queueing it, so the concurrency tests (threads
    # receiving dossiers at the same moment) could not run. One file per test process.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"tinhso-test-{os.getpid()}.sqlite3")
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and not env_bool("DB_JIT", False):
    # PostgreSQL's JIT compiles a statistics query's many FILTER expressions anew on every run: on a year of a
    # province's dossiers that took longer than the query itself (bench reports_yearly). Off, unless DB_JIT=1.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
# PostgreSQL, on kept connections (DB_CONN_MAX_AGE > 0): the hand-built statements of core.rows (reception,
# the signed-in user of every request, the working calendar) are prepared once per connection and bound by
# the server. Off (0) behind a pooler that cannot keep prepared statements (PgBouncer in transaction mode
# before 1.22, or without max_prepared_statements).
DB_PREPARED_STATEMENTS = env_bool("DB_PREPARED_STATEMENTS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication -------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's model backend that also finds an account by mobile number or national ID number.
    "tinhso.accounts.backends.IdentifierBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "portal:home"

# Content security policy of every page (tinhso/core/middleware.py): empty for the built-in one (the site's
# own scripts, styles and images only; no framing; forms to the site and the VNeID issuer).
CONTENT_SECURITY_POLICY = env_str("CONTENT_SECURITY_POLICY", "")
# The camera for the counter's scanning pages; no microphone, location or payment APIs.
PERMISSIONS_POLICY = env_str("PERMISSIONS_POLICY", "camera=(self), microphone=(), geolocation=(), payment=()")

# Login throttling (django-axes, stored in the database so it holds across processes and machines).
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
# Lock the (account, address) pair: a whole commune office behind one NAT address is not locked out by
# one person's typos, and one account cannot be locked by a stranger elsewhere.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_IPWARE_PROXY_COUNT = env_int("PROXY_COUNT", 0)
# Failures count against the account whatever the person typed (username, phone or ID number).
AXES_USERNAME_CALLABLE = "tinhso.accounts.backends.axes_username"

# Citizens' sign-up and password reset by a code sent by SMS (tinhso/accounts/otp.py, ratelimit.py).
ACCOUNT_OTP_TTL_SECONDS = env_int("ACCOUNT_OTP_TTL_SECONDS", 300)
ACCOUNT_OTP_MAX_ATTEMPTS = env_int("ACCOUNT_OTP_MAX_ATTEMPTS", 5)
ACCOUNT_OTP_RESEND_SECONDS = env_int("ACCOUNT_OTP_RESEND_SECONDS", 60)
# Per hour: codes sent to one phone number, codes asked for from one address, codes checked from one address.
ACCOUNT_OTP_SENDS_PER_PHONE = env_int("ACCOUNT_OTP_SENDS_PER_PHONE", 5)
ACCOUNT_OTP_SENDS_PER_IP = env_int("ACCOUNT_OTP_SENDS_PER_IP", 20)
ACCOUNT_OTP_CHECKS_PER_IP = env_int("ACCOUNT_OTP_CHECKS_PER_IP", 30)

# Login with VNeID through OpenID Connect (tinhso/accounts/oidc.py): off while any of the three is empty.
VNEID_OIDC_ISSUER = env_str("VNEID_OIDC_ISSUER", "")
VNEID_OIDC_CLIENT_ID = env_str("VNEID_OIDC_CLIENT_ID", "")
VNEID_OIDC_CLIENT_SECRET = env_str("VNEID_OIDC_CLIENT_SECRET", "")
VNEID_OIDC_SCOPES = env_str("VNEID_OIDC_SCOPES", "openid profile phone")
VNEID_OIDC_NATIONAL_ID_CLAIM = env_str("VNEID_OIDC_NATIONAL_ID_CLAIM", "so_dinh_danh")
VNEID_OIDC_TIMEOUT = env_int("VNEID_OIDC_TIMEOUT", 10)

# Two-factor authentication (TOTP) for officials: when on, an official who has not passed a second factor
# in this session reaches only the two-factor pages and logout.
TINHSO_REQUIRE_OFFICIAL_2FA = env_bool("REQUIRE_OFFICIAL_2FA", not DEBUG)
OTP_TOTP_ISSUER = "Tỉnh Số"

# --- Province -------------------------------------------------------------------------------------------
# The province this deployment serves (national statistics code of the post-2025 province) and the
# level-1 identifier of its agencies (QCVN 102:2016 `MX1X2`). Tuyên Quang's H60 is derived, not confirmed
# (docs/domain/one-stop.md §4, OS-ID3): change it here, then run `tinhso load-reference-data`.
TINHSO_PROVINCE_CODE = env_str("TINHSO_PROVINCE_CODE", "08")
TINHSO_AGENCY_LEVEL1_CODE = env_str("TINHSO_AGENCY_LEVEL1_CODE", "H60")

# --- Cache ---------------------------------------------------------------------------------------------
# One cache shared by every server process (`CACHE_URL=redis://127.0.0.1:6379/0`): sessions, the dashboard's
# kept figures and page, the worklists' kept pages and the catalog's search answers are then kept once for
# the whole server. Empty (development, tests): each process keeps its own in memory, sessions stay in the
# database alone, worklists are read every time, and `check --deploy` warns.
CACHE_URL = env_str("CACHE_URL", "")
CACHES = cache_config(CACHE_URL)

# How long a procedure search's ranked answer is kept (seconds; 0 = not kept). Any write to the catalog,
# its bindings or the agencies renews the key, so a kept answer is never stale (tinhso/procedures/search.py).
PROCEDURE_SEARCH_CACHE_SECONDS = env_int("PROCEDURE_SEARCH_CACHE_SECONDS", 600)
# The public figures page (/so-lieu/) is computed from the dossiers at most this often (0: every visit).
PUBLIC_FIGURES_CACHE_SECONDS = env_int("PUBLIC_FIGURES_CACHE_SECONDS", 300)
# The leaders' dashboard (/bang-dieu-khien/): its figures for one period and scope, the dossiers due soon
# among them, are computed from the dossiers at most this often per cache (0: every visit); the page says
# when.
DASHBOARD_CACHE_SECONDS = env_int("DASHBOARD_CACHE_SECONDS", 60)
# An official's worklist page (GET /api/dossiers?list=…) is kept under the stamp of their unit, which every
# change to its dossiers renews, and the minute (tinhso/dossiers/selectors.py); 0: read every time. Only with
# a shared cache by default: stamps kept per process would not see another process's changes.
WORKLIST_CACHE_SECONDS = env_int("WORKLIST_CACHE_SECONDS", 60 if CACHE_URL else 0)

# --- Dossiers ------------------------------------------------------------------------------------------
# Uploaded papers (scans, phone photos, PDFs): checked by content in tinhso/core/files.py.
DOSSIER_UPLOAD_MAX_BYTES = env_int("DOSSIER_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
DOSSIER_UPLOAD_MAX_PIXELS = env_int("DOSSIER_UPLOAD_MAX_PIXELS", 40_000_000)
DOSSIER_UPLOAD_MAX_PAGES = env_int("DOSSIER_UPLOAD_MAX_PAGES", 200)
# E-document share links (tinhso/edocs): default and longest validity in days.
EDOC_SHARE_DAYS_DEFAULT = env_int("EDOC_SHARE_DAYS_DEFAULT", 7)
EDOC_SHARE_DAYS_MAX = env_int("EDOC_SHARE_DAYS_MAX", 30)
# Ratings and feedback (tinhso/dossiers/ratings.py, feedback.py). Working days an agency has to answer a
# feedback (*phản ánh, kiến nghị*): a setting, since docs/domain/one-stop.md gives no legal deadline for it.
FEEDBACK_ANSWER_WORKING_DAYS = env_int("FEEDBACK_ANSWER_WORKING_DAYS", 10)
# Rate limits as (how many, per how many seconds), counted in the database (tinhso/accounts/ratelimit.py):
# feedback sent without an account per client address, feedback per account, QR scans per kiosk account.
FEEDBACK_ANONYMOUS_PER_IP = (env_int("FEEDBACK_ANONYMOUS_PER_HOUR", 5), 3600)
FEEDBACK_PER_USER = (env_int("FEEDBACK_PER_USER_PER_DAY", 10), 86400)
FEEDBACK_KIOSK_SCANS = (env_int("FEEDBACK_KIOSK_SCANS_PER_10_MIN", 60), 600)
# Lookups of a person by ID number at the counter (the reception page and GET /api/applicants), per
# official: a counter receives tens of dossiers a day, and each lookup reads a citizen's contacts.
APPLICANT_LOOKUPS_PER_USER = (env_int("APPLICANT_LOOKUPS_PER_HOUR", 100), 3600)
# How long the kiosk's rating screen stays valid after a scan (seconds).
FEEDBACK_KIOSK_TOKEN_SECONDS = env_int("FEEDBACK_KIOSK_TOKEN_SECONDS", 600)
# Files above this size are streamed to a temporary file rather than held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- Signing (tinhso/core/signing.py) ----------------------------------------------------------------------
# Results and forms are signed (PAdES) with the issuing agency's certificate. An agency's key and certificate
# are found under SIGNING_DIR/agencies/<agency code>/ (key.pem + cert.pem [+ chain.pem], or signer.p12 whose
# passphrase is in the env var SIGNING_P12_PASSPHRASE), or named explicitly in SIGNING_AGENCY_CREDENTIALS
# (JSON: {"<code>": {"pkcs12": "/path.p12", "passphrase_env": "VAR"} or {"key": …, "cert": …, "chain": …}}).
SIGNING_DIR = Path(env_str("SIGNING_DIR", str(VAR_DIR / "signing")))
SIGNING_AGENCY_CREDENTIALS: dict[str, dict[str, str]] = json.loads(
    env_str("SIGNING_AGENCY_CREDENTIALS", "") or "{}"
)
# PEM or DER files of the roots a signature must chain to (the national root CA's, comma-separated).
SIGNING_TRUST_ROOTS = env_list("SIGNING_TRUST_ROOTS", [])
# The development CA of SIGNING_DIR/dev-ca/ (`manage.py signing_dev_ca`): trusted, and it issues an
# in-memory certificate to an agency that has none. Never in production.
SIGNING_DEV_CA = env_bool("SIGNING_DEV_CA", DEBUG)
# An RFC 3161 time-stamping authority: signatures become PAdES B-T instead of B-B. Empty: none reachable.
SIGNING_TSA_URL = env_str("SIGNING_TSA_URL", "")
# The public address printed in the QR code of a signed paper (scheme and host, no trailing slash).
SIGNING_VERIFY_BASE_URL = env_str(
    "SIGNING_VERIFY_BASE_URL",
    "http://127.0.0.1:8000" if DEBUG else (f"https://{ALLOWED_HOSTS[0]}" if ALLOWED_HOSTS else ""),
).rstrip("/")
# The largest PDF the public verification page accepts.
SIGNING_VERIFY_MAX_BYTES = env_int("SIGNING_VERIFY_MAX_BYTES", 10 * 1024 * 1024)

# --- Notifications (tinhso/notifications/README.md) -------------------------------------------------------
# SMS through the provider's HTTP API ("http") or written to the log ("console", development).
SMS_GATEWAY = env_str("SMS_GATEWAY", "console")
SMS_GATEWAY_URL = env_str("SMS_GATEWAY_URL", "")
SMS_GATEWAY_KEY = env_str("SMS_GATEWAY_KEY", "")
SMS_BRANDNAME = env_str("SMS_BRANDNAME", "TINHSO")
SMS_GATEWAY_TIMEOUT = env_int("SMS_GATEWAY_TIMEOUT", 10)
NOTIFY_MAX_ATTEMPTS = env_int("NOTIFY_MAX_ATTEMPTS", 8)
NOTIFY_LEASE_SECONDS = env_int("NOTIFY_LEASE_SECONDS", 300)
NOTIFY_BACKOFF_BASE_SECONDS = env_int("NOTIFY_BACKOFF_BASE_SECONDS", 60)
NOTIFY_BACKOFF_CAP_SECONDS = env_int("NOTIFY_BACKOFF_CAP_SECONDS", 3600)
_EMAIL_BACKEND_DEFAULT = "console" if DEBUG else "smtp"
EMAIL_BACKEND = env_str("EMAIL_BACKEND", f"django.core.mail.backends.{_EMAIL_BACKEND_DEFAULT}.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Django waits forever on a silent SMTP server by default; the worker's lease would run out.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Tỉnh Số <khongtraloi@localhost>")

# --- Internationalisation -------------------------------------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "tinhso" / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "tinhso" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"

# --- Security -------------------------------------------------------------------------------------------
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Joining the browsers' HSTS preload list is hard to undo and covers every subdomain of the province's
# domain: an operator's decision (SECURE_HSTS_PRELOAD), not a default, so its deploy warning is silenced.
# So is models.W040: the dossiers' search indexes include the order's columns (`Index.include`), which
# PostgreSQL uses for index-only scans and SQLite ignores (its indexes are then on the key columns alone).
SILENCED_SYSTEM_CHECKS = ["security.W021", "models.W040"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Behind a TLS-terminating load balancer that sets X-Forwarded-Proto.
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# /health is probed by load balancers over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^health$"]
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
# Sessions are written to the database and, with a shared cache (`CACHE_URL`), read from it first: a
# signed-in page then reads no session row; a session the cache lost, or a cache down, reads the database.
# Without one, the database alone: a copy kept per process would outlive a sign-out in another process.
SESSION_ENGINE = "tinhso.core.sessions" if CACHE_URL else "django.contrib.sessions.backends.db"
X_FRAME_OPTIONS = "DENY"

# --- API ------------------------------------------------------------------------------------------------
NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 200
NINJA_MAX_PER_PAGE_SIZE = 200

# --- Logging --------------------------------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOG_FORMAT = env_str("LOG_FORMAT", "text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "tinhso.core.logging.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # pyHanko logs a traceback for every certificate it cannot trust: the verification page says so anyway.
    "loggers": {
        "axes": {"level": "WARNING"},
        "pyhanko": {"level": "ERROR"},
        "pyhanko_certvalidator": {"level": "ERROR"},
    },
}
