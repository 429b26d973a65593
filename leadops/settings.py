"""LeadOps settings: one file, every value from the environment (django-environ).

Defaults run on a fresh machine: a SQLite file, Redis on 127.0.0.1:6379, mail and SMS
printed to the console. Production sets DEBUG=false, SECRET_KEY, DATABASE_URL, REDIS_URL,
ALLOWED_HOSTS, EMAIL_URL and LEADOPS_PUBLIC_URL; unsafe production values are refused at
the end of this file (leadops/startup.py).
"""

import os
import tempfile
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF

from leadops import startup

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)


def _development_secret_key() -> str:
    """DEBUG only: a random key kept in a git-ignored file, so sessions survive restarts."""
    import secrets

    path = BASE_DIR / ".dev-secret-key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50), encoding="utf-8")
    return path.read_text(encoding="utf-8").strip()


SECRET_KEY = env.str("SECRET_KEY", default="") or (_development_secret_key() if DEBUG else "")
if not SECRET_KEY:
    raise environ.ImproperlyConfigured("Set SECRET_KEY when DEBUG is false.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "django_rq",
    "django_tables2",
    "django_filters",
    "rest_framework",
    # User API tokens stored hashed (instead of rest_framework.authtoken, which stores raw
    # keys); it also provides `drf_create_token`.
    "leadops.apitokens",
    "drf_spectacular",
    "axes",
    # The lead's way through, bottom layer first (README "Layout"; checked by `make lint`).
    "leads",
    "routing",
    "cadences",
    "notifications",
    "webpush",
    "integrations",
    "booking",
    "whatif",
    "mailboxes",
    "pipeline",
    "workspace",
    "reports",
    "demo",
    "board",
    "goals",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "leadops.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "leadops.middleware.RejectNulBytes",  # NUL in a query or form field: 400 before any view
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "leadops.languages.UserLanguageMiddleware",  # profile, cookie, Accept-Language (README "Languages")
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out sign-in into the lockout page
]

ROOT_URLCONF = "leadops.urls"
WEBSOCKET_URLPATTERNS = "workspace.consumers.websocket_urlpatterns"  # leadops/asgi.py
WSGI_APPLICATION = "leadops.wsgi.application"
ASGI_APPLICATION = "leadops.asgi.application"

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
                "leadops.context_processors.workspace",
                "leadops.context_processors.languages",
            ],
        },
    },
]

# Database: a SQLite file by default; PostgreSQL through DATABASE_URL in production.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web and worker processes read while one writes.
    _db.setdefault("OPTIONS", {})["init_command"] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    _db["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
    _db["OPTIONS"]["timeout"] = 20
    # Tests use a file, one per test run, not SQLite's in-memory database: the browser
    # tests' server process (daphne) and worker must see the test's data.
    _db["TEST"] = {"NAME": str(Path(tempfile.gettempdir()) / f"leadops-test-{os.getpid()}.sqlite3")}
else:
    _db["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    # The worker's hot statements are prepared once per connection (leadops/prepared.py).
    # Off behind a pooler that shares server sessions between clients (PgBouncer's
    # transaction mode): SQL-level prepared statements belong to one session.
    LEADOPS_PREPARED_STATEMENTS = env.bool("LEADOPS_PREPARED_STATEMENTS", default=True)
    _db["CONN_HEALTH_CHECKS"] = True
    # Give the test database an explicit name so child processes (daphne, rq) find it.
    _db["TEST"] = {"NAME": "test_" + _db["NAME"]}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis carries the job queues and the channel layer.
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
RQ_QUEUES = {
    "default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 60},
}
RQ = {"COMMIT_MODE": "on_db_commit", "WORKER_CLASS": "leadops.worker.LeadOpsWorker"}
# redis-py 8 reads with a 5 s socket timeout by default, the same as channels-redis's
# blocking receive (BZPOPMIN, 5 s): an idle websocket's receive then times out and the
# consumer dies (redis/redis-py#4091). Reads wait longer than the blocking pop; connecting
# still fails fast when Redis is down.
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "leadops.channel_layer.LeadOpsChannelLayer",
        "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 15, "socket_connect_timeout": 2}]},
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Reps, managers and leadership sign in at /accounts/login/ and land where they work
# (workspace/views.py: reps on /queue/, leadership on /dashboard/, managers choose).
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/start/"
LOGOUT_REDIRECT_URL = "/accounts/login/"
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=24 * 3600)

# Sign-in throttling (django-axes) on /accounts/login/ and /admin/login/: after
# LEADOPS_LOGIN_FAILURE_LIMIT wrong passwords for one username from one address, that pair
# is locked out for LEADOPS_LOGIN_LOCKOUT_MINUTES (429 and a page saying so). API tokens and
# intake keys do not sign in through authenticate() and are not counted. Unlock early with
# `manage.py axes_reset_username <username>` (or axes_reset_ip, axes_reset).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LEADOPS_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LEADOPS_LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

LANGUAGE_CODE = "en"
# README "Languages": the UI, the hosted form and the messages to leads; catalogs in locale/.
LANGUAGES = [("en", "English"), ("ms", "Malay"), ("id", "Indonesian")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_STORAGE",
            default="django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}

# Outbound mail: console in development, SMTP (or any backend) through EMAIL_URL. With
# DEBUG=false the console is refused (reset links would land in logs) unless
# LEADOPS_ALLOW_CONSOLE_EMAIL=true asks for it.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
LEADOPS_ALLOW_CONSOLE_EMAIL = env.bool("LEADOPS_ALLOW_CONSOLE_EMAIL", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="LeadOps <hello@leadops.example>")

# The outside services (SMS, chat, WhatsApp, Web Push, IMAP, lead providers):
# leadops/settings_providers.py, read from the environment the same way.
from leadops.settings_providers import *  # noqa: E402, F403

# The organisation: default time zone of a lead we cannot place, and the site's public
# address (scheme://host[:port]): every absolute link (password reset, unsubscribe, lead
# links in alerts) is built on it, never on the request's Host header (leadops/public.py).
LEADOPS_DEFAULT_TIMEZONE = env.str("LEADOPS_DEFAULT_TIMEZONE", default="America/New_York")
# Countries whose leads' region (a state: "Johor", "KUL", "MY-10") adds that state's public
# holidays to the SLA clock (leads/sla.py); elsewhere only the schedule's named ones count.
LEADOPS_REGIONAL_HOLIDAY_COUNTRIES = [
    code.strip().upper() for code in env.list("LEADOPS_REGIONAL_HOLIDAY_COUNTRIES", default=["MY"]) if code.strip()
]
LEADOPS_PUBLIC_URL = env.str("LEADOPS_PUBLIC_URL", default="http://127.0.0.1:8000")
LEADOPS_COMPANY_NAME = env.str("LEADOPS_COMPANY_NAME", default="LeadOps Demo Co")
LEADOPS_CONTACT_PHONE = env.str("LEADOPS_CONTACT_PHONE", default="+1 212 555 0100")
LEADOPS_BOOKING_URL = env.str("LEADOPS_BOOKING_URL", default="")
# Meeting booking (booking app): the lead's own signed link /book/<token>/ replaces the
# generic LEADOPS_BOOKING_URL in emails; links expire after LEADOPS_BOOKING_LINK_DAYS. Reps'
# calendar feeds are fetched again when their copy is older than LEADOPS_FREEBUSY_TTL seconds.
LEADOPS_BOOKING_ENABLED = env.bool("LEADOPS_BOOKING_ENABLED", default=True)
LEADOPS_BOOKING_LINK_DAYS = env.int("LEADOPS_BOOKING_LINK_DAYS", default=30)
LEADOPS_FREEBUSY_TTL = env.int("LEADOPS_FREEBUSY_TTL", default=300)
# Goals (goals app): the lead's one-question survey, emailed a while after the first
# connected call when enabled; its signed link expires after LEADOPS_LEAD_SURVEY_LINK_DAYS.
LEADOPS_LEAD_SURVEY_ENABLED = env.bool("LEADOPS_LEAD_SURVEY_ENABLED", default=False)
LEADOPS_LEAD_SURVEY_DELAY_MINUTES = env.int("LEADOPS_LEAD_SURVEY_DELAY_MINUTES", default=60)
LEADOPS_LEAD_SURVEY_LINK_DAYS = env.int("LEADOPS_LEAD_SURVEY_LINK_DAYS", default=14)
# The sweeper re-enqueues follow-up work that a lost job left undone.
LEADOPS_SWEEP_INTERVAL = env.int("LEADOPS_SWEEP_INTERVAL", default=15)
# The rep workspace's websocket: empty means the page's own host (/ws/notifications/);
# set it when websockets are served elsewhere (e.g. ws://127.0.0.1:8001 under `make prod`
# without a proxy). A rep whose last page closed is marked offline after the grace period.
LEADOPS_WS_URL = env.str("LEADOPS_WS_URL", default="")
LEADOPS_PRESENCE_GRACE = env.int("LEADOPS_PRESENCE_GRACE", default=30)
# Rate limits per client address (leadops/clientip.py; 0 turns one off). Behind reverse
# proxies that append to X-Forwarded-For, say how many: else every client looks like the proxy.
LEADOPS_TRUSTED_PROXY_HOPS = env.int("LEADOPS_TRUSTED_PROXY_HOPS", default=0)
LEADOPS_INTAKE_PER_IP_PER_MINUTE = env.int("LEADOPS_INTAKE_PER_IP_PER_MINUTE", default=6000)
LEADOPS_INTAKE_BAD_KEYS_PER_IP_PER_MINUTE = env.int("LEADOPS_INTAKE_BAD_KEYS_PER_IP_PER_MINUTE", default=30)
LEADOPS_FORM_POSTS_PER_IP_PER_MINUTE = env.int("LEADOPS_FORM_POSTS_PER_IP_PER_MINUTE", default=5)
LEADOPS_FORM_POSTS_PER_IP_PER_HOUR = env.int("LEADOPS_FORM_POSTS_PER_IP_PER_HOUR", default=20)
LEADOPS_FORM_POSTS_PER_RECIPIENT_PER_HOUR = env.int("LEADOPS_FORM_POSTS_PER_RECIPIENT_PER_HOUR", default=3)
# Pages that may open the websocket (its Origin header, leadops/asgi.py): the public
# address, plus LEADOPS_WS_ALLOWED_ORIGINS (comma-separated origins such as
# https://crm.example.com; a bare host name allows it on any port). With DEBUG the local
# development hosts are allowed by default. No Origin, "null" and "*" are always refused.
LEADOPS_WS_ALLOWED_ORIGINS = [startup.origin_of(LEADOPS_PUBLIC_URL)] + env.list(
    "LEADOPS_WS_ALLOWED_ORIGINS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
# The queues `manage.py leadops_worker` works, highest priority first (leadops/queues.py):
# "routing" (new leads), "default" (acknowledgments, cadence steps, pushes, escalations),
# "integrations" (calls to outside services: provider fetches, outbound webhooks). A
# production setup runs a second worker for "integrations" alone and this one with
# "routing,default".
LEADOPS_WORKER_QUEUES = env.list("LEADOPS_WORKER_QUEUES", default=["routing", "default", "integrations"])

# Outbound calls (fetches, webhooks) give up after this many seconds; outbound webhook URLs
# must be https unless LEADOPS_WEBHOOK_ALLOW_HTTP (default: DEBUG).
LEADOPS_OUTBOUND_TIMEOUT = env.float("LEADOPS_OUTBOUND_TIMEOUT", default=5.0)
LEADOPS_WEBHOOK_ALLOW_HTTP = env.bool("LEADOPS_WEBHOOK_ALLOW_HTTP", default=DEBUG)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "leadops.apitokens.authentication.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "leadops.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "LeadOps API",
    "DESCRIPTION": "Speed-to-lead CRM: lead intake, lead details, rep status and SLA metrics.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Two `channel` choice sets (an attempt's, an inbound message's): name them, so that
    # the schema is stable and `check --deploy` has no warning (drf_spectacular.W001).
    "ENUM_NAME_OVERRIDES": {"AttemptChannelEnum": "leads.choices.AttemptChannel"},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "leads.schema.add_intake_operation",
        "leads.schema.add_error_responses",
    ],
}

# Security behind a TLS-terminating proxy (production: DEBUG=false).
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=not DEBUG) else None
)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): scripts and styles only from our own static files,
# no inline <script> or on*= handlers; inline style *attributes* are allowed (the
# dashboard's bars and heat map size themselves with them). The websocket may be served
# elsewhere (LEADOPS_WS_URL). Permissions-Policy: leadops/middleware.py.
_ws_sources = [startup.origin_of(LEADOPS_WS_URL)] if LEADOPS_WS_URL else []
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": [SELF],
        "connect-src": [SELF, *_ws_sources],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Console logs; records about a lead carry its id (leadops/logs.py): "lead_id=42" in the
# plain format, a field with LOG_FORMAT=json (one JSON object per line).
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"lead": {"()": "leadops.logs.LeadContext"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(lead)s%(message)s"},
        "json": {"()": "leadops.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["lead"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "rq.worker": {"level": env.str("RQ_LOG_LEVEL", default="WARNING")},
        # Sign-in lockout: failures and lockouts are warnings; its banner and every
        # successful sign-in (INFO) would fill the log.
        "axes": {"level": env.str("AXES_LOG_LEVEL", default="WARNING")},
    },
}

# Refuse to start with unsafe production values (leadops/startup.py says why for each).
_refusals = startup.refusals(
    debug=DEBUG,
    allowed_hosts=ALLOWED_HOSTS,
    email_backend=EMAIL_BACKEND,  # noqa: F405 (set from EMAIL_URL above)
    allow_console_email=LEADOPS_ALLOW_CONSOLE_EMAIL,
    public_url=LEADOPS_PUBLIC_URL,
    ws_allowed_origins=LEADOPS_WS_ALLOWED_ORIGINS,
)
if _refusals:
    raise environ.ImproperlyConfigured("LeadOps refuses to start:\n- " + "\n- ".join(_refusals))
