from __future__ import annotations

from collections.abc import Iterator

import pytest
from rest_framework.test import APIClient

from tests.fakes.gemini import FakeGemini
from tests.fakes.ollama import FakeOllama
from tests.fakes.openai_compat import FakeOpenAI


@pytest.fixture(scope="session")
def _ollama_server() -> Iterator[FakeOllama]:
    server = FakeOllama().start()
    yield server
    server.stop()


@pytest.fixture
def fake_ollama(_ollama_server: FakeOllama, settings) -> Iterator[FakeOllama]:
    """The fake Ollama, reset, with OLLAMA_HOST pointing at it."""
    _ollama_server.reset()
    if _ollama_server.httpd is None:
        _ollama_server.start()
    settings.OLLAMA_HOST = _ollama_server.url
    yield _ollama_server
    if _ollama_server.httpd is None:  # a test stopped it: bring it back for the next
        _ollama_server.start()


@pytest.fixture(scope="session")
def _openai_server() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def fake_openai(_openai_server: FakeOpenAI, settings) -> Iterator[FakeOpenAI]:
    """The fake OpenAI-compatible server, reset, with OPENAI_BASE_URL pointing at it."""
    _openai_server.reset()
    if _openai_server.httpd is None:
        _openai_server.start()
    settings.OPENAI_BASE_URL = f"{_openai_server.url}/v1"
    yield _openai_server
    if _openai_server.httpd is None:
        _openai_server.start()


@pytest.fixture(scope="session")
def _gemini_server() -> Iterator[FakeGemini]:
    server = FakeGemini().start()
    yield server
    server.stop()


@pytest.fixture
def fake_gemini(_gemini_server: FakeGemini, settings) -> Iterator[FakeGemini]:
    _gemini_server.reset()
    if _gemini_server.httpd is None:
        _gemini_server.start()
    settings.GEMINI_BASE_URL = _gemini_server.url
    settings.GEMINI_API_KEY = "test-gemini-key-123"
    settings.GOOGLE_CLOUD_PROJECT = "sift-test"
    settings.GOOGLE_OAUTH_ACCESS_TOKEN = "fake-token"
    yield _gemini_server


@pytest.fixture(autouse=True)
def _calls_per_article(request):
    """Calls per new article: SCORING_CALLS, one by default (`make test-two-calls` runs the
    scoring tests with two). A test about the two-call protocol itself says so
    (`two_calls`)."""
    if request.node.get_closest_marker("two_calls"):
        settings = request.getfixturevalue("settings")
        settings.SCORING_CALLS = "two"
    yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The cache is shared (file or Redis): one test's readiness or health answer must not
    leak into the next."""
    from django.core.cache import cache

    cache.clear()
    yield


SEEDS = (
    ("llmconfig.migrations.0002_seed_prompts", "seed"),
    ("llmconfig.migrations.0005_batched_scoring", "seed_batch_prompts"),
    ("llmconfig.migrations.0009_seed_verdict_prompts", "seed_verdict_prompts"),
    ("articles.migrations.0002_seed_categories", "seed"),
)


def seed_rows() -> None:
    """What the data migrations seed (prompts, the default topics), run again."""
    import importlib

    from django.apps import apps

    for module, function in SEEDS:
        getattr(importlib.import_module(module), function)(apps, None)


@pytest.fixture(autouse=True)
def _seeded_rows(request):
    """A transactional test flushes every table when it ends, the migrations' seed rows
    with them; a later test in the same process would then see a database no install has.
    Seeded again, inside the test's own transaction, when they are missing."""
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and not marker.kwargs.get("transaction"):
        request.getfixturevalue("db")
        from articles.models import Category
        from llmconfig.models import PromptTemplate

        if not Category.objects.exists() and not PromptTemplate.objects.exists():
            seed_rows()
    yield


@pytest.fixture
def user(django_user_model):
    """The install's operator (a staff account): most tests drive the operator's routes. The
    factories' default reader: the articles they make are this account's."""
    from tests.factories import default_reader

    return default_reader()


@pytest.fixture
def reader(django_user_model):
    """A reader: no staff rights."""
    return django_user_model.objects.create_user(username="reader", password="pw-reader-123")


@pytest.fixture
def reader_api(reader) -> APIClient:
    client = APIClient()
    client.force_authenticate(reader)
    return client


@pytest.fixture
def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def anon() -> APIClient:
    return APIClient()


@pytest.fixture
def live_server_asgi(transactional_db):
    from tests.live import LiveASGI

    server = LiveASGI().start()
    yield server
    server.stop()


@pytest.fixture
def token(user):
    from accounts.services import token_create

    return token_create(user=user)[1]


@pytest.fixture(scope="session")
def pull_worker(django_db_setup, django_db_blocker, _ollama_server):
    """A real Celery worker for the `ollama` queue only (model pulls), shared by the tests
    that need one; scoring tests start their own workers."""
    from tests.live import Worker, purge_queues

    with django_db_blocker.unblock():
        purge_queues()
        w = Worker(
            name="pulls", concurrency=1, queues="ollama", OLLAMA_HOST=_ollama_server.url
        ).start()
    yield w
    w.stop()


@pytest.fixture
def worker(transactional_db, fake_ollama, pull_worker):
    return pull_worker


@pytest.fixture(scope="session")
def _feeds_server():
    from tests.fakes.feeds import FakeFeeds

    server = FakeFeeds().start()
    yield server
    server.stop()


@pytest.fixture
def feeds(_feeds_server):
    _feeds_server.reset()
    return _feeds_server


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing browser test leaves a screenshot and the console log behind."""
    outcome = yield
    report = outcome.get_result()
    from tests import live

    if report.when == "call" and report.failed and live.STARTED_WORKERS:
        for w in live.STARTED_WORKERS[-4:]:
            report.sections.append((f"worker {w.hostname} log (tail)", "\n".join(w.log[-60:])))
    if report.when == "teardown":
        live.STARTED_WORKERS.clear()
    driver = item.funcargs.get("page") if hasattr(item, "funcargs") else None
    if report.when == "call" and report.failed and driver is not None:
        from pathlib import Path

        folder = Path(__file__).resolve().parent.parent / "screenshots"
        folder.mkdir(exist_ok=True)
        driver.save_screenshot(str(folder / f"FAILED-{item.name}.png"))
        try:
            logs = driver.get_log("browser")
        except Exception:  # noqa: BLE001 - not every driver keeps logs
            logs = []
        report.sections.append(("browser console", "\n".join(str(entry) for entry in logs)))


def pytest_collection_modifyitems(session, config, items):
    """Files that run real workers first, then the browser files (each file's tests keep
    their order): under `make test`'s two processes (`--dist loadfile`) the long files then
    start early instead of leaving one process working alone at the end."""

    def weight(item: pytest.Item) -> int:
        if item.get_closest_marker("worker"):
            return 0
        return 1 if item.get_closest_marker("browser") else 2  # a browser file is long too

    first = {}
    for item in items:
        first[item.path] = min(first.get(item.path, 2), weight(item))
    items.sort(key=lambda item: first[item.path])


@pytest.fixture(scope="module")
def driver():
    """Headless Chromium, one per test module (tests.browser)."""
    from tests import browser

    if not (browser.CHROMIUM and browser.CHROMEDRIVER):
        pytest.skip("chromium and chromium-driver are not installed (.ci/run installs them)")
    chromium = browser.new_driver()
    yield chromium
    chromium.quit()


@pytest.fixture
def page(driver, live_server_asgi, django_user_model):
    """A logged-in browser on the live server, through the real login form."""
    from tests.browser import log_in
    from tests.factories import default_reader

    default_reader()  # the operator, with the interests the factories' articles score against
    return log_in(driver, live_server_asgi.url, "operator", "pw-operator-123")
