"""`make demo`: Sift with the fake Ollama and three local feeds, ready to look at.

1. Write the bundled feeds (demo/articles.py) as RSS, dated the last few hours, and serve
   them from a local HTTP server.
2. Start the fake Ollama, which answers Sift's prompts like a plain reader would
   (tests/fakes/reader.py).
3. Start Sift (web, worker, beat) on its own database under var/demo, so the demo never
   touches the reader's own data.
4. Through the API: choose the model, save the demo interests, add the feeds; then a second
   reader with other interests on the same feeds (fetched and categorized once, scored for
   each, in another order).
5. When every article is scored, print the URL and the credentials last. Ctrl-C stops all.
"""

from __future__ import annotations

import functools
import http.server
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import httpx

from common.ports import port_problem
from demo.articles import ANTI_INTERESTS, FEEDS, INTERESTS

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "demo"
PORT = int(os.environ.get("PORT", "8000"))
OLLAMA_PORT = int(os.environ.get("DEMO_OLLAMA_PORT", "11435"))
FEEDS_PORT = int(os.environ.get("DEMO_FEEDS_PORT", "8765"))


def write_feeds(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    for slug, (title, items) in FEEDS.items():
        entries = []
        for i, (headline, body) in enumerate(items):
            link = f"http://127.0.0.1:{FEEDS_PORT}/{slug}/{i + 1}.html"
            published = format_datetime(now - timedelta(hours=2 * i + 1))
            entries.append(
                f"<item><title>{escape(headline)}</title><link>{link}</link><guid>{link}</guid>"
                f"<pubDate>{published}</pubDate><description>{escape(body)}</description></item>"
            )
        (folder / f"{slug}.xml").write_text(
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>{escape(title)}</title><link>http://127.0.0.1:{FEEDS_PORT}/</link>"
            f"<description>{escape(title)}</description>{''.join(entries)}</channel></rss>"
        )


def serve_feeds(folder: Path) -> http.server.ThreadingHTTPServer:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", FEEDS_PORT), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def wait_until(check: object, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"demo: {what} did not come up within {timeout:.0f} s")


SECOND_READER = "sam"
SECOND_PREFERENCES = {
    "interests": "space exploration, climate, football transfer rumours",
    "anti_interests": "databases",
}


def reader_setup(client: httpx.Client, preferences: dict[str, str]) -> None:
    """A reader's interests and the demo feeds (those they have already are left alone)."""
    client.put("/api/preferences", json=preferences).raise_for_status()
    known = {f["url"] for f in client.get("/api/feeds").raise_for_status().json()}
    for slug in FEEDS:
        url = f"http://127.0.0.1:{FEEDS_PORT}/{slug}.xml"
        if url not in known:
            client.post("/api/feeds", json={"url": url}).raise_for_status()


def second_reader(api: httpx.Client, base: str) -> tuple[httpx.Client, str]:
    """The demo's second reader: made by the operator (its password kept in var/ for the
    next start), signed in through the login form, with an API token of its own."""
    kept = VAR / "demo_reader.txt"
    made = api.post("/api/readers", json={"username": SECOND_READER})
    if made.is_success:
        kept.write_text(made.json()["password"])
        kept.chmod(0o600)
    elif not kept.exists():
        made.raise_for_status()
    password = kept.read_text().strip()
    browser = httpx.Client(base_url=base, timeout=30)
    browser.get("/accounts/login/").raise_for_status()
    csrf = browser.cookies["csrftoken"]
    browser.post(
        "/accounts/login/",
        data={"username": SECOND_READER, "password": password, "csrfmiddlewaretoken": csrf},
        headers={"Referer": f"{base}/accounts/login/"},
    )
    token = browser.post(
        "/api/tokens", json={}, headers={"X-CSRFToken": browser.cookies["csrftoken"]}
    )
    token.raise_for_status()
    client = httpx.Client(
        base_url=base, headers={"Authorization": f"Token {token.json()['token']}"}, timeout=30
    )
    return client, password


def ports_problem() -> str:
    """Why the demo cannot start its three servers, naming the setting to change."""
    for port, variable in (
        (PORT, "PORT"),
        (OLLAMA_PORT, "DEMO_OLLAMA_PORT"),
        (FEEDS_PORT, "DEMO_FEEDS_PORT"),
    ):
        if problem := port_problem("127.0.0.1", port):
            return (
                f"demo: {problem} Stop what uses it, or choose other ports, e.g. "
                f"make demo {variable}={port + 1}  (PORT is Sift's, DEMO_OLLAMA_PORT the fake "
                "Ollama's, DEMO_FEEDS_PORT the bundled feeds')."
            )
    return ""


def main() -> int:
    if problem := ports_problem():
        print(problem, file=sys.stderr)
        return 2
    VAR.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DEBUG": "false",
        "SIFT_LOCAL_INSTALL": "true",
        "SIFT_VAR_DIR": str(VAR),
        "OLLAMA_HOST": f"http://127.0.0.1:{OLLAMA_PORT}",
        "PORT": str(PORT),
        "PYTHONUNBUFFERED": "1",
        # The demo's own keys live in var/demo: the reader's .env is neither read nor written.
        "SIFT_ENV_FILE": str(VAR / ".env"),
        "SECRET_KEY": "",
        "FIELD_ENCRYPTION_KEY": "",
        # The bundled items are one-line teasers whose links have no page behind them: full
        # text would only record 404s here.
        "FULLTEXT_MIN_CHARS": "0",
        # Internal addresses are refused as feeds; the demo's own feed server is named.
        "FEED_INTERNAL_HOSTS": f"127.0.0.1:{FEEDS_PORT}",
    }
    python = str(ROOT / ".venv" / "bin" / "python")
    write_feeds(VAR / "feeds")
    feeds = serve_feeds(VAR / "feeds")
    procs: list[subprocess.Popen[bytes]] = []

    def stop(*_: object) -> None:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        feeds.shutdown()

    signal.signal(signal.SIGTERM, lambda *_: (stop(), sys.exit(0)))
    log = (VAR / "demo.log").open("ab")
    try:
        procs.append(
            subprocess.Popen(
                [python, "-m", "tests.fakes.serve", "ollama", "--port", str(OLLAMA_PORT),
                 "--latency", "0.4"],
                cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True,
            )
        )  # fmt: skip
        for step in (["migrate", "--noinput", "-v0"], ["sift_bootstrap"]):
            subprocess.run([python, "manage.py", *step], cwd=ROOT, env=env, check=True, stdout=log)
        procs.append(
            subprocess.Popen(
                [str(ROOT / ".venv" / "bin" / "honcho"), "start", "-f", "Procfile"],
                cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True,
            )
        )  # fmt: skip
        base = f"http://127.0.0.1:{PORT}"
        wait_until(lambda: httpx.get(f"{base}/health").is_success, "Sift")
        wait_until(
            lambda: httpx.get(f"http://127.0.0.1:{OLLAMA_PORT}/api/version").is_success,
            "the fake Ollama",
        )
        credentials = dict(
            line.split(": ", 1)
            for line in (VAR / "admin_credentials.txt").read_text().splitlines()
            if ": " in line
        )
        api = httpx.Client(
            base_url=base,
            headers={"Authorization": f"Token {credentials['api token']}"},
            timeout=30,
        )
        api.put("/api/ollama/config", json={"categorization_model": "qwen3:4b"}).raise_for_status()
        reader_setup(api, {"interests": INTERESTS, "anti_interests": ANTI_INTERESTS})
        total = sum(len(items) for _, items in FEEDS.values())
        # A second reader with other interests, on the same feeds: fetched and categorized
        # once, scored for each, ranked in another order.
        second, password = second_reader(api, base)
        reader_setup(second, SECOND_PREFERENCES)

        def all_scored() -> bool:
            for client in (api, second):
                status = client.get("/api/scoring/status").json()
                if status["scored"] < total or status["queued"] + status["scoring"]:
                    return False
            return True

        wait_until(all_scored, "scoring of the demo articles", timeout=180)

        def top(client: httpx.Client) -> str:
            ranked = client.get("/api/articles", params={"limit": 3}).json()
            return "\n".join(f"    {a['composite_score']:5.1f}  {a['title']}" for a in ranked)

        print(
            "\nSift demo is ready: the fake Ollama has ranked "
            f"{total} articles for two readers, each against their own interests.\n"
            f'  {credentials["username"]}: "{INTERESTS}" (not "{ANTI_INTERESTS}")\n{top(api)}\n'
            f'  {SECOND_READER}: "{SECOND_PREFERENCES["interests"]}" '
            f'(not "{SECOND_PREFERENCES["anti_interests"]}")\n{top(second)}\n'
            f"  Open {base}/  and log in as  {credentials['username']} / "
            f"{credentials['password']}  (or {SECOND_READER} / {password})\n"
            f"  API token: {credentials['api token']}  (kept in {VAR / 'admin_credentials.txt'})\n"
            f"  Logs: {VAR / 'demo.log'}.  Ctrl-C stops everything.",
            flush=True,
        )
        if os.environ.get("DEMO_EXIT_WHEN_READY"):
            return 0
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    finally:
        stop()


if __name__ == "__main__":
    sys.exit(main())
