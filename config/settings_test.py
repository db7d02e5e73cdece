"""Test settings: only what speed and determinism need differs from config.settings.

The environment (DATABASE_URL, CELERY_BROKER_URL, CACHE_URL) still chooses the servers, so
the same suite runs on SQLite + filesystem broker and on Postgres + Redis.
"""

from __future__ import annotations

import os
import tempfile

# Fixed keys for tests only; never used outside this module.
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-" + "x" * 20)
os.environ.setdefault("FIELD_ENCRYPTION_KEY", "hXmFSNfpxouRO6kFNgZb8rI1GadxjmyskAirXQ5RdT4=")
# The suite's feeds carry a line of text and links to pages that do not exist: full text
# is off unless a test turns it on (tests/test_full_text.py), so every other test
# scores at once, as before.
os.environ.setdefault("FULLTEXT_MIN_CHARS", "0")
# Under pytest-xdist each test process gets its own var folder (SQLite file, broker folder,
# file cache) and its own Redis databases, so no process sees another's messages. Celery
# workers and servers a test starts get that process's choice passed in (tests.live
# child_env, without the PYTEST_* variables), so they never choose again.
_xdist = os.environ.get("PYTEST_XDIST_WORKER", "")
if _xdist and os.environ.get("SIFT_TEST_ISOLATED_FOR") != _xdist:
    os.environ["SIFT_TEST_ISOLATED_FOR"] = _xdist
    os.environ["SIFT_VAR_DIR"] = tempfile.mkdtemp(prefix=f"sift-test-{_xdist or 'main'}-")
    _n = int(_xdist.removeprefix("gw") or 0)
    for _name in ("CELERY_BROKER_URL", "CACHE_URL"):
        _url = os.environ.get(_name, "")
        if _n and _url.startswith("redis://") and _url.rsplit("/", 1)[-1].isdigit():
            _base, _db = _url.rsplit("/", 1)
            os.environ[_name] = f"{_base}/{int(_db) + 2 * _n}"  # 11/12 → 13/14 for gw1
os.environ.setdefault("SIFT_VAR_DIR", tempfile.mkdtemp(prefix="sift-test-"))
# Google and Ollama variables on the developer's machine must not leak into tests.
for _name in ("GOOGLE_API_KEY", "GEMINI_API_KEY", "GOOGLE_CLOUD_PROJECT", "OLLAMA_API_KEY"):
    os.environ.pop(_name, None)

from config.settings import *  # noqa: E402,F403
from config.settings import BASE_DIR  # noqa: E402

# Tests must never write the developer's .env.
LOCAL_ENV_FILE = VAR_DIR / ".env"  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Short limits so the reliability tests recover within seconds, not minutes.
OLLAMA_HEALTH_CACHE_SECONDS = 0.0
SCORING_STATUS_CACHE_SECONDS = 0.0
LLM_RETRY_MAX_WAIT = 0.05
SCORING_SWEEP_SECONDS = 2
# The feed fixtures carry fixed dates that age; the backfill tests set their own window.
FEED_BACKFILL_DAYS = 0
# The suite serves its feeds on 127.0.0.1; tests of the refusal turn it on.
FEED_REFUSE_INTERNAL = False
TEMPLATES[0]["DIRS"] = [BASE_DIR / "templates"]  # noqa: F405
# The test client speaks plain HTTP.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 - servestatic warns otherwise
# Worker processes and the live server must see the test database: on SQLite it is a file.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}  # noqa: F405
# Serve static files from the app folders: tests do not run collectstatic.
SERVESTATIC_USE_FINDERS = True
SERVESTATIC_AUTOREFRESH = True
