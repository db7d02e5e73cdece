"""One line per event and a quiet stop (G5): what a reader sees in the terminal."""

from __future__ import annotations

import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

import httpx
import pytest
from django.core.management import CommandError, call_command

from common.singleton import beat_lock_free
from tests.fakes.base import free_port
from tests.live import ROOT, Worker, child_env, wait_for

pytestmark = pytest.mark.django_db


def test_a_client_error_is_not_logged_by_django_a_second_time(api, caplog):
    caplog.set_level(logging.DEBUG)
    assert api.get("/api/nope").status_code == 404
    # uvicorn's access line reports it; Django adds nothing for a 4xx.
    assert not [r for r in caplog.records if r.name == "django.request"]


def test_the_file_broker_url_names_its_host(settings):
    if settings.CELERY_BROKER_URL.startswith("filesystem"):
        assert settings.CELERY_BROKER_URL == "filesystem://localhost//"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_sigterm_to_the_whole_worker_group_is_a_clean_warm_shutdown():
    """What honcho (make run) and container runtimes do on Ctrl-C / stop."""
    worker = Worker(name="quiet", concurrency=2).start()
    assert worker.proc is not None
    # "ready" can be logged before a pool process has run worker_process_init; a SIGTERM in
    # that first moment still kills it. Signal once the kernel says both ignore SIGTERM.
    deadline = time.monotonic() + 15
    while _pool_ignoring_sigterm(worker.proc.pid) < 2:
        assert time.monotonic() < deadline, "pool processes never ignored SIGTERM"
        time.sleep(0.05)
    os.killpg(worker.proc.pid, signal.SIGTERM)
    assert worker.proc.wait(timeout=20) == 0
    log = "\n".join(worker.log)
    assert "Warm shutdown" in log
    assert "exited with 'signal 15" not in log and "ERROR" not in log


def _pool_ignoring_sigterm(pid: int) -> int:
    """How many child processes of `pid` have SIGTERM in their ignored-signal mask."""
    count = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            try:
                status = Path(f"/proc/{child}/status").read_text()
            except FileNotFoundError:
                continue
            mask = re.search(r"^SigIgn:\s*([0-9a-f]+)", status, re.M)
            count += bool(mask and int(mask.group(1), 16) & (1 << (signal.SIGTERM - 1)))
    return count


def test_a_crashed_worker_is_started_again_and_a_stop_is_not_a_crash(tmp_path):
    """Under honcho one process's exit ends all of them (web and beat with a crashed
    worker); the Procfile runs the workers under tools/respawn."""
    runs = tmp_path / "runs"
    crash = f"echo run >> {runs}; exit 3"
    proc = subprocess.Popen(
        [str(ROOT / "tools" / "respawn"), "bash", "-c", crash],
        stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    wait_for(lambda: runs.exists() and len(runs.read_text().split()) >= 2, timeout=10)
    os.killpg(proc.pid, signal.SIGTERM)  # what honcho does on Ctrl-C
    assert proc.wait(timeout=10) == 0
    assert "exited with status 3; starting it again" in proc.stderr.read()  # type: ignore[union-attr]
    count = len(runs.read_text().split())
    time.sleep(2.5)
    assert len(runs.read_text().split()) == count  # stopped for good
    procfile = (ROOT / "Procfile").read_text().splitlines()
    for name in ("web", "worker", "feeds", "beat"):
        line = next(x for x in procfile if x.startswith(f"{name}:"))
        assert line.startswith(f"{name}: exec tools/respawn ")


@pytest.mark.django_db(transaction=True)
def test_a_second_beat_on_the_same_database_stops_at_once_saying_why():
    """A second `make run` (another port) started a second beat on the same database."""
    from common.singleton import beat_lock_take

    held = beat_lock_take()  # what the running Sift's beat holds
    try:
        second = subprocess.run(
            [sys.executable, "-m", "celery", "-A", "config", "beat", "-l", "INFO", "--pidfile="],
            cwd=ROOT, env=child_env(), capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert second.returncode == 1
        assert "Another celery beat already runs on this database" in second.stderr
        with pytest.raises(CommandError, match="Sift is already running on this database"):
            call_command("sift_preflight", port=free_port())
    finally:
        held.close()
    assert beat_lock_free()
    call_command("sift_preflight", port=free_port())  # free again: no error


def test_make_run_fails_at_once_naming_a_taken_port():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(CommandError) as refused:
            call_command("sift_preflight", port=port)
    assert f"Port {port} on 127.0.0.1 is already taken" in str(refused.value)
    assert f"make run PORT={port + 1}" in str(refused.value)
    makefile = (ROOT / "Makefile").read_text()
    run = makefile[makefile.index("\nrun:") :].split("\n\n")[0]
    assert run.index("sift_preflight") < run.index("honcho")


def test_make_demo_names_the_taken_port_and_the_setting_to_change():
    """The demo read another server's 401 as its feed list (TypeError)."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        demo = subprocess.run(
            [sys.executable, "-m", "demo"],
            cwd=ROOT, env=child_env(DEMO_FEEDS_PORT=port, PORT=free_port()),
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert demo.returncode == 2
    assert f"Port {port} on 127.0.0.1 is already taken" in demo.stderr
    assert f"DEMO_FEEDS_PORT={port + 1}" in demo.stderr
    assert "Traceback" not in demo.stderr


def test_make_run_installs_only_what_runs():
    makefile = (ROOT / "Makefile").read_text()
    assert "\nrun: setup-run\n" in makefile
    assert "sync --frozen --no-dev --inexact" in makefile


def test_pages_name_an_icon_and_favicon_ico_finds_it(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith(".svg")


@pytest.mark.django_db(transaction=True)
def test_a_page_and_its_static_files_log_no_streaming_warning(live_server_asgi, user):
    """Whitenoise's file responses made Django warn on every page load under ASGI."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with httpx.Client(base_url=live_server_asgi.url, follow_redirects=True) as web:
            page = web.get("/accounts/login/")
            sheets = re.findall(r'href="(/static/[^"]+\.css)"', page.text)
            assert page.status_code == 200 and sheets
            for path in [*sheets, "/favicon.ico"]:
                assert web.get(path).status_code == 200
    assert not [w for w in caught if "StreamingHttpResponse" in str(w.message)]


def test_make_run_says_where_and_the_credentials_last(settings):
    """The credentials scrolled away under the Celery banners; the last line has them."""
    from llmconfig.management.commands.sift_announce import announcement

    credentials = settings.VAR_DIR / "admin_credentials.txt"
    credentials.write_text("username: admin\npassword: s3cret-pw\napi token: tok\n")
    try:
        line = announcement("http://127.0.0.1:8123/")
    finally:
        credentials.unlink()
    assert line.startswith("Sift is ready: http://127.0.0.1:8123/")
    assert "log in as admin / s3cret-pw" in line
    assert "log in with your admin account" in announcement("http://127.0.0.1:8123/")
    procfile = (ROOT / "Procfile").read_text()
    assert procfile.rstrip().splitlines()[-1].startswith("announce:")
