"""The environment of a bench that runs Sift's own services in its process against the real
model: a throw-away var folder with its SQLite database and file broker (never the
developer's), one LLM call at a time, patient timeouts. Called before Django is set up."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def use_throwaway_install(prefix: str, **extra: str) -> str:
    """Point this process at a new var folder; returns its path."""
    var_dir = tempfile.mkdtemp(prefix=prefix)
    os.environ.update(
        {
            "SIFT_VAR_DIR": var_dir,
            "SIFT_ENV_FILE": str(Path(var_dir) / "no.env"),
            "SIFT_LOCAL_INSTALL": "true",
            "DEBUG": "false",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "LOG_LEVEL": "WARNING",
            "LLM_MAX_IN_FLIGHT": "1",
            "LLM_READ_TIMEOUT": "300",
            "LLM_RETRY_MAX_WAIT": "2",
            # The server's --n_ctx: an OpenAI-compatible server does not say its window.
            "SCORING_NUM_CTX": "4096",
            **extra,
        }
    )
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL"):
        os.environ.pop(name, None)
    return var_dir
