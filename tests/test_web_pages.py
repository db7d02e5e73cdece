"""The web pages in headless Chromium (Selenium), against the live ASGI app, a real worker
for pulls and the fake Ollama. Screenshots go to screenshots/ (named in the README)."""

from __future__ import annotations

import time
import urllib.request

import pytest

from accounts.models import Profile
from articles.models import Article, Feed, Reading, Subscription, TopicWeight
from llmconfig.models import ModelDownload, UserSettings
from tests.browser import CHROMEDRIVER, CHROMIUM, shot, text_of, wait
from tests.factories import CategoryFactory, ScoredArticleFactory, default_reader
from tests.live import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

if not (CHROMIUM and CHROMEDRIVER):
    pytest.skip(
        "chromium and chromium-driver are not installed (.ci/run installs them)",
        allow_module_level=True,
    )

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402


def open_settings(page):
    page.get(f"{page.base}/settings/")
    wait(page, lambda d: "Connected" in text_of(d, "health"))


def test_settings_page_shows_health_models_prompts(page, fake_ollama, worker):
    UserSettings.objects.update_or_create(
        pk=1, defaults={"categorization_model": "ollama/qwen3:4b"}
    )
    fake_ollama.installed["llama3.2:3b"] = fake_ollama.catalog["llama3.2:3b"]
    fake_ollama.loaded.add("qwen3:4b")
    open_settings(page)
    assert "v0." in text_of(page, "health")
    wait(page, lambda d: "qwen3:4b — 2.5 GB (loaded)" in d.find_element(By.ID, "cat-model").text)
    assert page.find_element(By.ID, "separate-row").is_displayed()  # two models installed
    assert "in use (categorization)" in text_of(page, "installed")
    page.find_element(By.CSS_SELECTOR, "#prompt-title ~ details summary").click()
    assert "[Article Title]" in text_of(page, "prompt-cat")
    assert shot(page, "settings-page").exists()


def test_disconnected_state_says_how_to_start_ollama(page, fake_ollama):
    fake_ollama.stop()
    page.get(f"{page.base}/settings/")
    wait(page, lambda d: text_of(d, "health") == "Disconnected")
    assert page.find_element(By.ID, "disconnected").is_displayed()
    assert "ollama serve" in text_of(page, "disconnected")
    assert not page.find_element(By.ID, "connected-panels").is_displayed()
    shot(page, "settings-disconnected")


def test_pull_progresses_and_completes(page, fake_ollama, worker):
    fake_ollama.pull_steps = 60
    open_settings(page)
    wait(page, lambda d: d.find_element(By.CSS_SELECTOR, "[aria-label='Pull qwen3:8b']")).click()
    wait(page, lambda d: d.find_element(By.ID, "download").is_displayed())
    wait(page, lambda d: float(text_of(d, "dl-percent").rstrip("%") or 0) > 0)
    shot(page, "settings-pulling")
    wait(page, lambda d: "qwen3:8b" in text_of(d, "installed"), timeout=30)
    assert not page.find_element(By.ID, "download").is_displayed()
    assert ModelDownload.objects.get().status == "complete"


def test_pull_cancelled(page, fake_ollama, worker):
    fake_ollama.pull_steps = 2000
    open_settings(page)
    page.find_element(By.ID, "custom-name").send_keys("gemma3:4b")
    page.find_element(By.CSS_SELECTOR, "#custom-pull button").click()
    wait(page, lambda d: float(text_of(d, "dl-percent").rstrip("%") or 0) > 0)
    page.find_element(By.ID, "dl-cancel").click()
    wait(page, lambda d: not d.find_element(By.ID, "download").is_displayed())
    wait_for(lambda: ModelDownload.objects.get().status == "cancelled", timeout=5)
    assert "gemma3:4b" not in fake_ollama.installed


def test_reload_mid_pull_reattaches(page, fake_ollama, worker):
    fake_ollama.pull_steps = 600
    open_settings(page)
    wait(page, lambda d: d.find_element(By.CSS_SELECTOR, "[aria-label='Pull llama3.2:3b']")).click()
    wait(page, lambda d: float(text_of(d, "dl-percent").rstrip("%") or 0) > 0)
    page.refresh()
    wait(page, lambda d: d.find_element(By.ID, "download").is_displayed())
    assert text_of(page, "dl-model") == "llama3.2:3b"
    first = float(text_of(page, "dl-percent").rstrip("%"))
    wait(page, lambda d: float(text_of(d, "dl-percent").rstrip("%")) > first)
    page.find_element(By.ID, "dl-cancel").click()
    wait_for(lambda: ModelDownload.objects.get().status == "cancelled", timeout=5)


def test_delete_asks_for_confirmation(page, fake_ollama, worker):
    fake_ollama.installed["llama3.2:3b"] = fake_ollama.catalog["llama3.2:3b"]
    UserSettings.objects.update_or_create(
        pk=1, defaults={"categorization_model": "ollama/qwen3:4b"}
    )
    open_settings(page)
    delete = wait(
        page, lambda d: d.find_element(By.CSS_SELECTOR, "[aria-label='Delete llama3.2:3b']")
    )
    assert not page.find_elements(By.CSS_SELECTOR, "[aria-label='Delete qwen3:4b']")  # in use
    delete.click()
    wait(page, ec.alert_is_present()).dismiss()
    assert "llama3.2:3b" in fake_ollama.installed
    delete.click()
    wait(page, ec.alert_is_present()).accept()
    wait(page, lambda d: "llama3.2:3b" not in text_of(d, "installed"))
    assert "llama3.2:3b" not in fake_ollama.installed


def test_save_config_then_reevaluate(page, fake_ollama, worker):
    fake_ollama.installed["llama3.2:3b"] = fake_ollama.catalog["llama3.2:3b"]
    UserSettings.objects.update_or_create(
        pk=1, defaults={"categorization_model": "ollama/qwen3:4b"}
    )
    ScoredArticleFactory.create_batch(3)
    open_settings(page)
    save = page.find_element(By.ID, "config-save")
    wait(page, lambda d: d.find_element(By.ID, "cat-model").text)
    assert not save.is_enabled()  # nothing changed yet
    Select(page.find_element(By.ID, "cat-model")).select_by_value("llama3.2:3b")
    assert save.is_enabled()
    save.click()
    wait(page, lambda d: "Saved" in text_of(d, "config-result"))
    assert UserSettings.load().categorization_model == "ollama/llama3.2:3b"
    page.find_element(By.ID, "rescore").click()
    wait(page, lambda d: "3 articles queued for re-evaluation" in text_of(d, "config-result"))
    assert Reading.objects.filter(scoring_priority__gt=0).count() == 3


def test_an_openai_compatible_server_is_set_up_and_its_model_chosen_on_the_page(
    page, fake_ollama, fake_openai, settings
):
    """G6: a reader with llama.cpp's server and no Ollama sets it up from the page."""
    settings.OPENAI_BASE_URL = ""
    fake_ollama.stop()
    page.get(f"{page.base}/settings/")
    wait(page, lambda d: text_of(d, "oai-health") == "Not connected")
    page.find_element(By.ID, "oai-url").send_keys(f"{fake_openai.url}/v1")
    page.find_element(By.ID, "oai-key").send_keys("sk-page-typed")
    page.find_element(By.CSS_SELECTOR, "#oai-form button[type=submit]").click()
    wait(page, lambda d: "Connected" in text_of(d, "oai-health"))
    assert "openai/gemma3-270m" in text_of(page, "oai-models")
    assert "An API key is stored" in text_of(page, "oai-key-state")
    stored = UserSettings.load()
    assert (stored.openai_base_url, stored.openai_api_key) == (
        f"{fake_openai.url}/v1",
        "sk-page-typed",
    )
    assert (
        "Ollama features"
        in page.find_element(By.ID, "oai-title").find_element(By.XPATH, "../..").text
    )  # the page says why there is no pull here
    # Ollama is down, yet the model can be chosen: the configuration panel stays.
    wait(page, lambda d: "OpenAI-compatible server" in d.find_element(By.ID, "cat-model").text)
    Select(page.find_element(By.ID, "cat-model")).select_by_value("openai/gemma3-270m")
    page.find_element(By.ID, "config-save").click()
    wait(page, lambda d: "Saved" in text_of(d, "config-result"))
    assert UserSettings.load().categorization_model == "openai/gemma3-270m"
    shot(page, "settings-openai-compatible")


def test_reading_page_lists_ranked_and_marks_read(page):
    CategoryFactory(name="science")
    low = ScoredArticleFactory(
        title="Low score", composite_score=3.0, score_reasoning="Barely relevant."
    )
    high = ScoredArticleFactory(
        title="High score", composite_score=15.0, score_reasoning="Exactly your interests."
    )
    high.categories.set([CategoryFactory(name="science")])
    from tests.factories import articles_rescore

    articles_rescore(ids=[low.id], mode="full")
    page.get(f"{page.base}/")
    titles = [e.text for e in page.find_elements(By.CSS_SELECTOR, ".article h2")]
    assert titles == ["High score", "Low score"]
    assert "being re-scored" in page.find_elements(By.CSS_SELECTOR, ".article")[1].text
    assert "science" in page.find_elements(By.CSS_SELECTOR, ".article")[0].text
    assert "1 waiting to be scored" in text_of(page, "scoring-counts")
    shot(page, "reading-page")
    page.find_element(By.CSS_SELECTOR, f"li[data-id='{high.id}'] button.mark").click()
    wait(
        page,
        lambda d: (
            d.find_element(By.CSS_SELECTOR, f"li[data-id='{high.id}'] button.mark").text
            == "Mark unread"
        ),
    )
    assert Reading.objects.get(article_id=high.id).is_read is True
    Select(page.find_element(By.ID, "f-category")).select_by_value("science")
    page.find_element(By.CSS_SELECTOR, ".filters button").click()
    wait(page, lambda d: "category=science" in d.current_url)
    assert [
        e.text for e in page.find_elements(By.CSS_SELECTOR, ".article h2")
    ] == []  # read ones hidden
    page.set_window_size(390, 800)  # a phone
    page.get(f"{page.base}/?is_read=")
    shot(page, "reading-page-narrow")
    page.set_window_size(1280, 1100)


def test_api_docs_work_without_internet(page):
    """Swagger UI's files come from Sift: the page lists the operations and loads nothing
    from anywhere but 127.0.0.1 (this machine has no route to a CDN anyway)."""
    page.get(f"{page.base}/api/docs")
    wait(page, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".opblock")) > 20, timeout=20)
    paths = {e.text for e in page.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
    assert "/api/articles" in paths and "/api/ollama/models/pull" in paths
    urls = page.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert urls and all(u.startswith(page.base) for u in urls), urls
    shot(page, "api-docs-offline")


# --- the reader's own pages (G5): interests, feeds, topic weights, the reading list -----------
def test_interests_are_edited_on_the_page_and_the_cost_is_shown(page):
    ScoredArticleFactory.create_batch(3)
    page.get(f"{page.base}/sources/")
    assert "up to 3 recent unread articles (3 LLM calls" in text_of(page, "interests-cost")
    box = page.find_element(By.ID, "interests")
    box.clear()
    box.send_keys("Rust, databases")
    page.find_element(By.CSS_SELECTOR, "#interests-form button[type=submit]").click()
    wait(page, lambda d: "Saved." in text_of(d, "interests-result"))
    assert "3 recent unread articles will be re-scored (3 LLM calls)" in text_of(
        page, "interests-result"
    )
    assert Profile.of(default_reader()).interests == "Rust, databases"
    shot(page, "sources-interests")


@pytest.fixture
def feeds_worker():
    from tests.live import Worker

    w = Worker(name="feeds", concurrency=1, queues="feeds").start()
    yield w
    w.stop()


def test_feeds_are_added_renamed_refreshed_and_removed_on_the_page(page, feeds, feeds_worker):
    page.get(f"{page.base}/sources/")
    assert "No feeds yet" in text_of(page, "no-feeds")
    url = page.find_element(By.ID, "feed-url")
    url.send_keys(feeds.url_for("/not-xml"))
    page.find_element(By.CSS_SELECTOR, "#feed-add button").click()
    wait(page, lambda d: d.find_element(By.ID, "feed-add-error").is_displayed())
    assert "text/html" in text_of(page, "feed-add-error")  # the API's own message, inline
    url.clear()
    url.send_keys(feeds.url_for("/rss2.xml"))
    page.find_element(By.CSS_SELECTOR, "#feed-add button").click()
    wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, "#feeds tbody tr"))
    row = page.find_element(By.CSS_SELECTOR, "#feeds tbody tr")
    assert row.find_element(By.CSS_SELECTOR, ".unread").text == str(Article.objects.count())
    title = row.find_element(By.CSS_SELECTOR, ".feed-title")
    title.clear()
    title.send_keys("My feed")
    row.find_element(By.CSS_SELECTOR, "button[data-action=rename]").click()
    wait(page, lambda d: Subscription.objects.get().title == "My feed")
    before = len(feeds.calls("/rss2.xml"))
    row.find_element(By.CSS_SELECTOR, "button[data-action=refresh]").click()
    wait(page, lambda d: len(feeds.calls("/rss2.xml")) > before)  # a worker fetched it
    shot(page, "sources-feeds")
    row.find_element(By.CSS_SELECTOR, "button[data-action=remove]").click()
    page.switch_to.alert.accept()
    wait(page, lambda d: not Feed.objects.exists())


def test_topic_weights_change_in_place(page):
    CategoryFactory(name="sports")  # transactional tests start without the seeded topics
    page.get(f"{page.base}/sources/")
    select = Select(page.find_element(By.CSS_SELECTOR, "#topics tr[data-name=sports] select"))
    assert select.first_selected_option.get_attribute("value") == "neutral"
    select.select_by_value("blocked")
    wait(
        page,
        lambda d: TopicWeight.objects.filter(category__name="sports", weight="blocked").exists(),
    )


def test_reading_list_loads_more_past_the_first_page(page):
    for i in range(130):
        ScoredArticleFactory(title=f"Article {i:03}", composite_score=5.0)
    page.get(f"{page.base}/")
    assert len(page.find_elements(By.CSS_SELECTOR, "#articles li.article")) == 100
    # Equal scores: newest first (the factory dates later articles later).
    first = page.find_elements(By.CSS_SELECTOR, "#articles li.article h2")[0].text
    assert first == "Article 129"
    page.find_element(By.ID, "load-more").click()
    wait(page, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#articles li.article")) == 130)
    assert not page.find_element(By.ID, "load-more").is_displayed()
    ids = [li.get_attribute("data-id") for li in page.find_elements(By.CSS_SELECTOR, "#articles li.article")]  # fmt: skip
    assert len(set(ids)) == 130


def test_empty_reading_list_says_the_next_step(page, settings):
    page.get(f"{page.base}/")
    assert "No feeds yet" in text_of(page, "empty-state")
    page.find_element(By.LINK_TEXT, "Add a feed").click()
    wait(page, lambda d: d.current_url.endswith("/sources/"))
    from scoring.services import readiness_set
    from tests.factories import ArticleFactory, FeedFactory

    FeedFactory()
    ArticleFactory()
    readiness_set(ready=False, reason="Model 'qwen3:4b' is not installed.")
    page.get(f"{page.base}/")
    assert "Scoring waits: Model 'qwen3:4b' is not installed." in text_of(page, "empty-state")
    assert page.find_element(By.LINK_TEXT, "Models page")
    readiness_set(ready=True, reason="")
    page.get(f"{page.base}/")
    assert "1 article waiting to be scored" in text_of(page, "empty-state")


def test_during_a_pull_other_pulls_wait_and_a_refusal_stays_on_screen(page, fake_ollama, worker):
    fake_ollama.pull_steps, fake_ollama.pull_interval = 2000, 0.05
    open_settings(page)
    wait(page, lambda d: d.find_element(By.CSS_SELECTOR, "[aria-label='Pull qwen3:8b']")).click()
    wait(page, lambda d: float(text_of(d, "dl-percent").rstrip("%") or 0) > 0)
    other = page.find_element(By.CSS_SELECTOR, "[aria-label='Pull gemma3:4b']")
    assert not other.is_enabled()
    assert "qwen3:8b is downloading" in other.get_attribute("title")
    assert "one model is pulled at a time" in text_of(page, "pull-busy")
    assert " of " in text_of(page, "dl-bytes")  # bytes done, and of what
    # A second pull sent anyway (another tab, the API) is refused; the message stays.
    page.execute_script("startPull('llama3.2:3b')")
    wait(page, lambda d: d.find_element(By.ID, "pull-refused").is_displayed())
    import time

    time.sleep(2.5)  # two progress polls later
    assert page.find_element(By.ID, "pull-refused").is_displayed()
    assert "qwen3:8b" in text_of(page, "pull-refused")
    assert page.find_element(By.ID, "download").is_displayed()
    shot(page, "settings-pull-refused")
    page.find_element(By.ID, "dl-cancel").click()
    wait(page, lambda d: ModelDownload.objects.get().status == "cancelled")


def test_feedback_explanations_and_a_suggested_weight_on_the_pages(page):
    """G3: 👍 on the reading list, the explanation under each article, and the suggestion
    that follows on "Interests & feeds", applied in one click (and re-ranked at once)."""
    rust = CategoryFactory(name="rust")
    articles = [
        ScoredArticleFactory(
            title=f"Rust news {i}",
            matched_interests=["Rust"],
            score_reasoning="About Rust.",
        )
        for i in range(3)
    ]
    for a in articles:
        a.categories.add(rust)
    page.get(f"{page.base}/")
    item = page.find_element(By.CSS_SELECTOR, f"li.article[data-id='{articles[0].id}']")
    assert "✓ Rust" in item.text and "rust: neutral" in item.text and "quality ×0.8" in item.text
    for a in articles:
        up = page.find_element(
            By.CSS_SELECTOR, f"li.article[data-id='{a.id}'] button.fb[data-fb=up]"
        )
        up.click()
        wait(page, lambda d, up=up: up.get_attribute("aria-pressed") == "true")
    assert set(Reading.objects.values_list("feedback", flat=True)) == {"up"}
    shot(page, "reading-feedback")
    page.get(f"{page.base}/sources/")
    wait(page, lambda d: "👍 3" in text_of(d, "suggestions"))
    page.find_element(By.CSS_SELECTOR, "#suggestions button.apply").click()
    wait(
        page, lambda d: TopicWeight.objects.filter(category__name="rust", weight="medium").exists()
    )
    assert set(Reading.objects.values_list("rank__score", flat=True)) == {round(7 * 1.5 * 0.8, 4)}
    assert "LLM call" in text_of(page, "feedback-rescore-cost")
    shot(page, "sources-suggestions")


def test_every_page_runs_under_the_content_security_policy(page, fake_ollama):
    """The pages, the admin and /api/docs are served with a CSP and break none of it: the
    browser reports every violation (listened for before any page script runs)."""
    page.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument",
        {"source": "window.__csp = []; document.addEventListener('securitypolicyviolation',"
                   " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"},
    )  # fmt: skip
    ScoredArticleFactory.create_batch(2)
    checks = {
        "/": (By.CSS_SELECTOR, "#articles"),
        "/settings/": (By.ID, "health"),
        "/sources/": (By.ID, "feeds"),
        "/api/docs": (By.CSS_SELECTOR, ".opblock"),
    }
    for path, locator in checks.items():
        page.get(f"{page.base}{path}")
        wait(page, lambda d, loc=locator: d.find_elements(*loc), timeout=20)
        time.sleep(0.5)  # late requests (polling, images) report too
        assert page.execute_script("return window.__csp") == [], path
    with urllib.request.urlopen(f"{page.base}/accounts/login/") as response:
        policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
