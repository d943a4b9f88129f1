"""Qorgau settings: one module, driven by environment variables (see README)."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

import dj_database_url

from qorgau.keys import (
    ConfigurationError,
    load_backup_recipients,
    load_data_keys,
    load_evidence_keys,
    load_key_custody,
    load_pkcs11,
    load_secret_key,
    load_signing_key,
)

BASE_DIR = Path(__file__).resolve().parent.parent
ENV = dict(os.environ)


def _flag(name: str, default: bool = False) -> bool:
    return ENV.get(name, str(default)).strip().lower() in ("1", "true", "yes", "on")


# development: keys generated into the data folder; test: ephemeral keys;
# production (default): every secret must come from the environment.
MODE = ENV.get("QORGAU_ENV", "production")
if MODE not in ("development", "test", "production"):
    raise ConfigurationError("QORGAU_ENV must be development, test or production")

DATA_DIR = Path(ENV.get("QORGAU_DATA_DIR", BASE_DIR / "data"))
DEBUG = _flag("DEBUG")
SECRET_KEY = load_secret_key(ENV, MODE, DATA_DIR)
# Off by default: the keys come from the environment (or the data folder in development).
# "trustees": only wrapped keys in the data folder; the instance starts locked and holds the
# keys in memory once enough trustees have entered their shares (qorgau/operations/custody.py).
QORGAU_KEY_CUSTODY = load_key_custody(ENV, DATA_DIR)
QORGAU_PKCS11 = load_pkcs11(ENV)  # the hardware security module (QORGAU_KEY_CUSTODY=pkcs11)
QORGAU_DATA_KEYS: list[str] = []
QORGAU_SIGNING_KEY = ""
QORGAU_EVIDENCE_KEYS: list[str] = []
if QORGAU_KEY_CUSTODY == "server":
    QORGAU_DATA_KEYS = load_data_keys(ENV, MODE, DATA_DIR)
    QORGAU_SIGNING_KEY = load_signing_key(ENV, MODE, DATA_DIR)
    QORGAU_EVIDENCE_KEYS = load_evidence_keys(ENV, MODE, DATA_DIR)
# The SHA-256 (hex) of a pre-shared token that locks the instance at /lock/<token>/ without
# a login (trustee custody only); unset: no such URL.
QORGAU_LOCK_TOKEN_SHA256 = ENV.get("QORGAU_LOCK_TOKEN_SHA256", "").strip().lower()
# The lock group (trustee custody): the e-mail addresses of people any two of whom lock the
# instance by each pressing "lock" at /lock/ (or the API) within 10 minutes.
QORGAU_LOCK_GROUP = sorted({e.strip().lower()
                            for e in ENV.get("QORGAU_LOCK_GROUP", "").split(",") if e.strip()})
QORGAU_BACKUP_RECIPIENTS = load_backup_recipients(ENV, MODE, DATA_DIR)
ALLOWED_HOSTS = [h.strip() for h in ENV.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_htmx",
    "qorgau.accounts",
    "qorgau.cases",
    "qorgau.duties",
    "qorgau.risk",
    "qorgau.evidence",
    "qorgau.consent",  # before bundles, which are made under a grant
    "qorgau.bundles",
    "qorgau.proceedings",
    "qorgau.retention",
    "qorgau.referrals",  # after consent (referrals rely on grants), before insights
    "qorgau.insights",
    "qorgau.intake",  # after evidence: a narrative names its exhibit
    "qorgau.api",
    "qorgau.demo",
    "qorgau.operations",
    "django_tasks",
    "django_tasks_db",
    "ninja",  # its vendored Swagger UI for the API docs (no CDN)
]

MIDDLEWARE = [
    # First: a database that cannot answer now (a held case lock, no free connection) is
    # a 503 with Retry-After from whichever layer met it.
    "qorgau.operations.unavailable.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Trustee custody only (a no-op otherwise): a locked instance answers the locked page.
    "qorgau.operations.custody.LockedMiddleware",
    "qorgau.accounts.middleware.IdleSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "qorgau.accounts.middleware.UserLanguageMiddleware",
    "qorgau.accounts.middleware.RequireMFAMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "qorgau.accounts.middleware.NoStoreMiddleware",
    "qorgau.accounts.middleware.DiscreetMiddleware",
]

ROOT_URLCONF = "qorgau.urls"
WSGI_APPLICATION = "qorgau.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "qorgau" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "qorgau.accounts.context_processors.discretion",
            ],
        },
    },
]

FORM_RENDERER = "qorgau.forms_renderer.FormRenderer"  # a select's options without an include each

# Database: SQLite file in the data folder by default; PostgreSQL via postgres://...
DATABASE_URL = ENV.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'qorgau.sqlite3'}")
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=60)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["CONN_MAX_AGE"] = 0
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }
    # Tests use a file (not memory) so the raw-bytes encryption test can read it.
    _db["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
    if _db["NAME"] != ":memory:":
        Path(_db["NAME"]).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
DATABASES = {"default": _db}
# A PostgreSQL streaming replica of the default database: read-heavy pages read from it
# (qorgau.replica). Tests use the default database for it.
if ENV.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(ENV["DATABASE_REPLICA_URL"], conn_max_age=60)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
# PostgreSQL's JIT compiles a query when its estimated cost is high; for a page's short
# queries the compiling costs more than it saves (the case list at 1M cases: 636 of
# 682 ms, docs/performance.md). Off on every connection.
# A request waits at most QORGAU_DB_LOCK_TIMEOUT for a lock (another writer of the same
# case) and runs a statement at most QORGAU_DB_STATEMENT_TIMEOUT; beyond, it is answered
# 503 "try again in a moment" (qorgau.operations.unavailable), never a worker timeout.
# Management commands (migrate, backup, restore, the worker, ...) run without limits
# unless QORGAU_DB_COMMAND_TIMEOUTS is set. "0" turns a limit off. See docs/operations.md.
QORGAU_DB_LOCK_TIMEOUT = ENV.get("QORGAU_DB_LOCK_TIMEOUT", "5s")
QORGAU_DB_STATEMENT_TIMEOUT = ENV.get("QORGAU_DB_STATEMENT_TIMEOUT", "30s")
# How often a server process waiting on a lock checks that its client is still there (a
# killed worker's wait ends then, not when it gets the lock; PostgreSQL 14+, which Django
# 5.2 requires).
QORGAU_DB_CLIENT_CHECK = ENV.get("QORGAU_DB_CLIENT_CHECK", "10s")
_command = (Path(sys.argv[0]).name in ("manage.py", "qorgau")
            and sys.argv[1:2] != ["runserver"] and not _flag("QORGAU_DB_COMMAND_TIMEOUTS"))
for _database in DATABASES.values():
    if _database["ENGINE"] == "django.db.backends.postgresql":
        _options = _database.setdefault("OPTIONS", {})
        _settings = ["jit=off", f"client_connection_check_interval={QORGAU_DB_CLIENT_CHECK}"]
        if not _command:
            _settings += [f"lock_timeout={QORGAU_DB_LOCK_TIMEOUT}",
                          f"statement_timeout={QORGAU_DB_STATEMENT_TIMEOUT}"]
        if _flag("QORGAU_DB_PGBOUNCER"):
            # PgBouncer in transaction pooling: nothing outlives a transaction on the
            # server connection, so no named cursors or prepared statements, and the
            # settings above are set on the database roles instead (docs/operations.md).
            _database["DISABLE_SERVER_SIDE_CURSORS"] = True
            _options["prepare_threshold"] = None
        else:
            _options["options"] = " ".join(
                [_options.get("options", ""), *(f"-c {s}" for s in _settings)]).strip()
    # A persistent connection is checked before a request reuses it, so a restarted
    # database costs no request an error (docs/operations.md: the connection budget).
    _database["CONN_HEALTH_CHECKS"] = True
DATABASE_ROUTERS = ["qorgau.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = [
    "qorgau.accounts.hashers.Argon2PasswordHasher",  # OWASP's Argon2id minimum: 19 MiB, t=2
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if MODE == "test":
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "duties:today"  # the home page: what is due, what failed
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "qorgau.accounts.adapter.AccountAdapter"
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_ON_GET = False
# Exports, bundles and key operations ask for the password or a code again when the last
# one is older than this.
ACCOUNT_REAUTHENTICATION_TIMEOUT = 60 * int(ENV.get("QORGAU_REAUTH_MINUTES", "5"))

# Two factors for everyone (qorgau.accounts.middleware.RequireMFAMiddleware): an
# authenticator app (TOTP) and single-use recovery codes. TOTP secrets are encrypted with
# the data keys (qorgau.accounts.adapter.MFAAdapter); a used code cannot be replayed.
MFA_ADAPTER = "qorgau.accounts.adapter.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
# The second-factor forms (at login, and when asked again) also know the person's duress
# code (qorgau.operations.duress).
MFA_FORMS = {"authenticate": "qorgau.operations.duress.DuressAwareAuthenticateForm",
             "reauthenticate": "qorgau.operations.duress.DuressAwareReauthenticateForm"}
MFA_TOTP_ISSUER = ENV.get("QORGAU_TOTP_ISSUER", "Qorgau")
MFA_RECOVERY_CODE_COUNT = 10

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ru", "Русский"), ("kk", "Қазақша")]
LOCALE_PATHS = [Path(ENV.get("QORGAU_LOCALE_DIR", BASE_DIR / "locale"))]
USE_I18N = True
TIME_ZONE = ENV.get("TIME_ZONE", "Asia/Almaty")
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG or MODE == "test"
if MODE != "production":
    STATIC_ROOT.mkdir(mode=0o700, parents=True, exist_ok=True)

# Jurisdiction profiles (law as data) and their letter templates; checked at start-up.
QORGAU_PROFILES_DIR = Path(ENV.get("QORGAU_PROFILES_DIR", BASE_DIR / "profiles"))

# Risk instruments (items, scoring rules, licences); checked at start-up.
QORGAU_INSTRUMENTS_DIR = Path(ENV.get("QORGAU_INSTRUMENTS_DIR", BASE_DIR / "instruments"))

# Months a closed case is kept before it is due for erasure (organisations may set their
# own, `retention-policy`); 84 = seven years, see docs/retention.md.
QORGAU_RETENTION_MONTHS = int(ENV.get("QORGAU_RETENTION_MONTHS", "84"))
if QORGAU_RETENTION_MONTHS < 1:
    raise ConfigurationError("QORGAU_RETENTION_MONTHS must be at least 1")

# Evidence: originals encrypted with age, content-addressed. "local" (a folder) or "s3"
# (any S3-compatible store: QORGAU_S3_BUCKET, QORGAU_S3_ENDPOINT_URL, AWS_ACCESS_KEY_ID, ...).
QORGAU_EVIDENCE_BACKEND = ENV.get("QORGAU_EVIDENCE_BACKEND", "local")
QORGAU_EVIDENCE_DIR = Path(ENV.get("QORGAU_EVIDENCE_DIR", DATA_DIR / "evidence"))
if MODE == "test" and "QORGAU_EVIDENCE_DIR" not in ENV:
    # Test keys are new each run, so test evidence must not outlive the run.
    _test_evidence = tempfile.mkdtemp(prefix="qorgau-test-evidence-")
    atexit.register(shutil.rmtree, _test_evidence, ignore_errors=True)
    QORGAU_EVIDENCE_DIR = Path(_test_evidence) / "evidence"
QORGAU_EVIDENCE_MAX_BYTES = int(ENV.get("QORGAU_EVIDENCE_MAX_BYTES", str(250 * 1024 * 1024)))
QORGAU_S3_BUCKET = ENV.get("QORGAU_S3_BUCKET", "")
QORGAU_S3_ENDPOINT_URL = ENV.get("QORGAU_S3_ENDPOINT_URL", "")
QORGAU_S3_REGION = ENV.get("QORGAU_S3_REGION", "us-east-1")
QORGAU_EVIDENCE_MAX_EXPANDED = int(ENV.get("QORGAU_EVIDENCE_MAX_EXPANDED",
                                           str(1024 * 1024 * 1024)))  # ZIP bombs
# Uploads stream to temporary files in the data folder (never whole in memory, never /tmp).
FILE_UPLOAD_MAX_MEMORY_SIZE = 0
FILE_UPLOAD_TEMP_DIR = str(DATA_DIR / "uploads")
FILE_UPLOAD_PERMISSIONS = 0o600
# Uploads go to a file held by the request's process: what a crash leaves is removed at once.
FILE_UPLOAD_HANDLERS = ["qorgau.evidence.uploads.HeldTemporaryFileUploadHandler"]
Path(FILE_UPLOAD_TEMP_DIR).mkdir(mode=0o700, parents=True, exist_ok=True)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# An RFC 3161 time-stamp authority for PAdES B-T signatures of bundles (empty: B-B).
QORGAU_TSA_URL = ENV.get("QORGAU_TSA_URL", "")

# Background work (court bundles, duty reminders): a queue in the database, run by
# `manage.py db_worker` (`make run` starts one). Tests run tasks at once unless told.
TASKS = {"default": {"BACKEND": ENV.get(
    "QORGAU_TASKS_BACKEND",
    "django_tasks.backends.immediate.ImmediateBackend" if MODE == "test"
    else "django_tasks_db.DatabaseBackend")}}
# A worker that has not beaten for this long is taken for dead: its running task is queued
# again once, then failed with a message (qorgau.operations.workers).
QORGAU_TASK_LEASE_SECONDS = float(ENV.get("QORGAU_TASK_LEASE_SECONDS", "90"))

# E-mail: printed to the console unless an SMTP server is configured.
EMAIL_BACKEND = ENV.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = ENV.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(ENV.get("EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = ENV.get("DEFAULT_FROM_EMAIL", "qorgau@localhost")
QORGAU_BASE_URL = ENV.get("QORGAU_BASE_URL", "http://127.0.0.1:8000")

# Logged out after this many minutes without a request (IdleSessionMiddleware writes the
# new expiry at most once a minute); never "remember me".
SESSION_COOKIE_AGE = 60 * int(ENV.get("QORGAU_SESSION_MINUTES", "30"))
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Login attempts are limited per address and per account, counted in a cache that every
# process of the instance shares (a folder by default; set QORGAU_CACHE_URL for Redis).
CACHES = {"default": {
    "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
    "LOCATION": str(DATA_DIR / "cache"),
}}
if ENV.get("QORGAU_CACHE_URL"):
    CACHES["default"] = {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                         "LOCATION": ENV["QORGAU_CACHE_URL"]}
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/300s/key", "login": "30/m/ip"}

# API requests allowed per personal access token per minute (429 beyond).
QORGAU_API_RATE_PER_MINUTE = int(ENV.get("QORGAU_API_RATE_PER_MINUTE", "120"))

# Accountability figures that leave an organisation: counts below K are hidden (with the
# counts that would reveal them); a suppressed table is recomputed at most every N seconds.
QORGAU_SUPPRESSION_K = int(ENV.get("QORGAU_SUPPRESSION_K", "5"))
QORGAU_INSIGHTS_CACHE_SECONDS = int(ENV.get("QORGAU_INSIGHTS_CACHE_SECONDS", "600"))

# Quick exit: where the control sends her (the page replaces itself in the history).
QORGAU_QUICK_EXIT_URL = ENV.get("QORGAU_QUICK_EXIT_URL", "https://www.google.com/search?q=weather")

# Discreet login: the login pages of the whole installation show the neutral "Notes", never
# the product's name. Without it, only a device a discreet organisation's member logged in
# on does (a cookie; see qorgau/accounts/discretion.py and docs/security.md).
QORGAU_DISCREET_LOGIN = _flag("QORGAU_DISCREET_LOGIN")

# Headers: a strict Content Security Policy (no inline script or style), HSTS in
# production, no framing, no referrer leaving the site.
CONTENT_SECURITY_POLICY = {"DIRECTIVES": {
    "default-src": ["'self'"], "script-src": ["'self'"], "style-src": ["'self'"],
    "img-src": ["'self'", "data:"], "font-src": ["'self'"], "connect-src": ["'self'"],
    "object-src": ["'none'"], "base-uri": ["'none'"], "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}}
if MODE == "production":
    SECURE_HSTS_SECONDS = int(ENV.get("QORGAU_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = _flag("QORGAU_HSTS_PRELOAD", default=True)
    SECURE_SSL_REDIRECT = not _flag("QORGAU_BEHIND_TLS_PROXY_NO_REDIRECT")
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Login limits count per client address. Behind the TLS proxy every request comes from
    # the proxy's address: without this, one organisation's logins shared a single limit
    # (30 a minute), and ten mistyped passwords locked everyone out. The address the last
    # proxy appends to X-Forwarded-For is the client's (docs/operations.md).
    ALLAUTH_TRUSTED_PROXY_COUNT = int(ENV.get("QORGAU_TRUSTED_PROXIES", "1"))
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = MODE == "production"
CSRF_COOKIE_SECURE = MODE == "production"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": ENV.get("LOG_LEVEL", "WARNING")},
}

