"""The basics on the pages, in headless Chromium: search, star and the Starred view, mark
all read, the keyboard, opening marks read, folders, discovery, dark mode and a phone's width.
Screenshots (light and dark, desktop and phone) go to screenshots/; docs/frontend.md shows them."""

from __future__ import annotations

import pytest

from accounts.models import Profile
from articles.models import Article, Feed, Folder, Reading, Subscription
from tests.browser import CHROMEDRIVER, CHROMIUM, shot, text_of, wait
from tests.factories import CategoryFactory, FeedFactory, ScoredArticleFactory, default_reader
from tests.fakes.feeds import Route
from tests.live import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

if not (CHROMIUM and CHROMEDRIVER):
    pytest.skip("chromium and chromium-driver are not installed", allow_module_level=True)

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402


def titles(page) -> list[str]:
    return [e.text for e in page.find_elements(By.CSS_SELECTOR, "#articles li.article h2")]


def item(page, article) -> object:
    return page.find_element(By.CSS_SELECTOR, f"li.article[data-id='{article.id}']")


def keys(page, text: str) -> None:
    page.find_element(By.TAG_NAME, "body").send_keys(text)


def library():
    tech = Folder.objects.create(reader=default_reader(), name="Tech")
    tech_feed, other_feed = FeedFactory(title="Tech feed", folder=tech), FeedFactory()
    rust = CategoryFactory(name="rust")
    articles = [
        ScoredArticleFactory(title="Rust compiler speeds up", feed=tech_feed, composite_score=9.0,
                             matched_interests=["Rust"]),
        ScoredArticleFactory(title="Postgres tuning notes", feed=tech_feed, composite_score=7.0),
        ScoredArticleFactory(title="Gardening in winter", feed=other_feed, composite_score=4.0),
    ]  # fmt: skip
    articles[0].categories.add(rust)
    return tech, articles


def test_search_star_starred_view_and_folder_filter(page):
    tech, (rust, postgres, garden) = library()
    page.get(f"{page.base}/")
    assert titles(page) == [rust.title, postgres.title, garden.title]
    assert "/ 20" in item(page, rust).find_element(By.CSS_SELECTOR, ".score").text
    box = page.find_element(By.ID, "f-q")
    box.send_keys("compiler", Keys.ENTER)
    wait(page, lambda d: "q=compiler" in d.current_url)
    assert titles(page) == [rust.title]
    item(page, rust).find_element(By.CSS_SELECTOR, "button.star").click()
    wait_for(lambda: Reading.objects.get(article_id=rust.pk).is_starred, timeout=10)
    page.get(f"{page.base}/")
    Select(page.find_element(By.ID, "f-show")).select_by_value("starred")
    page.find_element(By.CSS_SELECTOR, ".filters button").click()
    wait(page, lambda d: "show=starred" in d.current_url)
    assert titles(page) == [rust.title]
    assert item(page, rust).find_element(By.CSS_SELECTOR, "button.star").text == "★"
    page.get(f"{page.base}/?folder_id={tech.id}")
    assert titles(page) == [rust.title, postgres.title]
    page.get(f"{page.base}/?q=%21%21")  # no word: the list stays, the reason is said
    assert "Search for at least one word." in page.find_element(By.CSS_SELECTOR, ".error").text


def test_keyboard_and_opening_marks_read(page):
    _, (rust, postgres, garden) = library()
    page.get(f"{page.base}/")
    keys(page, "?")
    wait(page, lambda d: d.find_element(By.ID, "keys").is_displayed())
    shot(page, "reading-keyboard-help")
    keys(page, "?")
    wait(page, lambda d: not d.find_element(By.ID, "keys").is_displayed())
    keys(page, "jj")
    assert "current" in item(page, postgres).get_attribute("class")
    keys(page, "k")
    assert "current" in item(page, rust).get_attribute("class")
    keys(page, "s")
    wait_for(lambda: Reading.objects.get(article_id=rust.pk).is_starred, timeout=10)
    keys(page, "m")
    wait_for(lambda: Reading.objects.get(article_id=rust.pk).is_read, timeout=10)
    keys(page, "m")
    wait_for(lambda: not Reading.objects.get(article_id=rust.pk).is_read, timeout=10)
    keys(page, "-")
    wait_for(lambda: Reading.objects.get(article_id=rust.pk).feedback == "down", timeout=10)
    # 👎 moved it below the others at once.
    wait(page, lambda d: titles(d)[-1] == rust.title)
    # Opening (the link) marks read, unless the reader turned that off.
    main = page.current_window_handle
    item(page, garden).find_element(By.CSS_SELECTOR, "a.open").click()
    wait_for(lambda: Reading.objects.get(article_id=garden.pk).is_read, timeout=10)
    for handle in page.window_handles:
        if handle != main:
            page.switch_to.window(handle)
            page.close()
    page.switch_to.window(main)
    Profile.objects.filter(user=default_reader()).update(mark_read_on_open=False)
    page.get(f"{page.base}/")
    item(page, postgres).find_element(By.CSS_SELECTOR, "a.open").click()
    for handle in page.window_handles:
        if handle != main:
            page.switch_to.window(handle)
            page.close()
    page.switch_to.window(main)
    assert page.find_element(By.ID, "articles").get_attribute("data-mark-on-open") == "false"
    assert Reading.objects.get(article_id=postgres.pk).is_read is False


def test_mark_all_read_for_the_list_and_by_age(page):
    tech, (rust, postgres, garden) = library()
    Article.objects.filter(pk=garden.pk).update(
        published_at=garden.published_at.replace(year=garden.published_at.year - 1)
    )
    page.get(f"{page.base}/")
    page.find_element(By.ID, "mark-older-go").click()  # older than a day: the garden
    wait_for(lambda: Reading.objects.get(article_id=garden.pk).is_read, timeout=10)
    assert not Reading.objects.filter(article_id__in=[rust.pk, postgres.pk], is_read=True).exists()
    page.get(f"{page.base}/?folder_id={tech.id}")
    page.find_element(By.ID, "mark-all").click()
    wait_for(lambda: Reading.objects.filter(is_read=False).count() == 0, timeout=10)
    wait(page, lambda d: titles(d) == [])


def test_folders_and_discovery_on_the_feeds_page(page, feeds):
    FeedFactory(title="Loose feed")
    feeds.routes["/site/"] = Route(
        b'<!doctype html><html><head><link rel="alternate" type="application/rss+xml" '
        b'title="Posts" href="/rss2.xml"><link rel="alternate" type="application/atom+xml" '
        b'title="Comments" href="/atom.xml"></head><body></body></html>',
        content_type="text/html",
    )
    page.get(f"{page.base}/sources/")
    page.find_element(By.ID, "folder-name").send_keys("Reading", Keys.ENTER)
    wait_for(lambda: Folder.objects.filter(name="Reading").exists(), timeout=10)
    wait(page, lambda d: "Reading" in d.find_element(By.ID, "folder-add").text)
    folder = Folder.objects.get(name="Reading")
    select = Select(page.find_element(By.CSS_SELECTOR, "#feeds select.feed-folder"))
    select.select_by_visible_text("Reading")
    wait_for(lambda: Subscription.objects.filter(folder=folder).count() == 1, timeout=10)
    page.find_element(By.ID, "feed-url").send_keys(feeds.url_for("/site/"), Keys.ENTER)
    wait(page, lambda d: d.find_element(By.ID, "feed-choices").is_displayed())
    assert "Comments (atom)" in text_of(page, "feed-choice-list")
    page.find_element(By.CSS_SELECTOR, f"input[value='{feeds.url_for('/atom.xml')}']").click()
    page.find_element(By.ID, "feed-choose").click()
    wait_for(lambda: Feed.objects.filter(url=feeds.url_for("/atom.xml")).exists(), timeout=15)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_fits_a_phone_in_light_and_dark(page, scheme):
    """Dark mode follows prefers-color-scheme; at 390 px no page scrolls sideways."""
    library()
    page.execute_cdp_cmd(
        "Emulation.setEmulatedMedia",
        {"features": [{"name": "prefers-color-scheme", "value": scheme}]},
    )
    try:
        for width, height, size in ((1280, 1100, "desktop"), (390, 844, "phone")):
            page.set_window_size(width, height)
            for path, name in (
                ("/", "reading"),
                ("/sources/", "sources"),
                ("/settings/", "settings"),
            ):
                page.get(f"{page.base}{path}")
                wide = page.execute_script(
                    "return document.documentElement.scrollWidth - window.innerWidth"
                )
                assert wide <= 0, f"{path} is {wide}px wider than a {width}px window"
                background = page.execute_script(
                    "return getComputedStyle(document.body).backgroundColor"
                )
                dark = background == "rgb(18, 21, 27)"
                assert dark == (scheme == "dark"), background
                if name != "settings":
                    shot(page, f"{name}-{size}-{scheme}")
    finally:
        page.set_window_size(1280, 1100)
        page.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
