"""Headless Chromium (Selenium) for the page tests: where the browser is, a module-scoped
driver and a logged-in page on the live ASGI app (fixtures, in conftest), helpers, and
screenshots into screenshots/."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from tests.live import ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
SHOTS = ROOT / "screenshots"


def new_driver() -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--window-size=1280,1100",
    ):  # fmt: skip
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    browser.implicitly_wait(0)
    return browser


def log_in(driver: Any, base: str, username: str, password: str) -> Any:
    """Through the real login form."""
    from selenium.webdriver.common.by import By

    driver.delete_all_cookies()
    driver.get(f"{base}/settings/")
    assert "/accounts/login/" in driver.current_url  # pages need a logged-in user
    driver.find_element(By.ID, "id_username").send_keys(username)
    driver.find_element(By.ID, "id_password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(driver, lambda d: "/accounts/login/" not in d.current_url, timeout=10)
    driver.base = base
    return driver


def wait(driver: Any, condition: Any, timeout: float = 15) -> Any:
    """Until `condition` holds; an element that went stale (the page reloaded under the
    check) is asked for again, as a missing one is. Chromium sometimes says stale as "Node
    with given id does not belong to the document", a plain WebDriverException."""
    from selenium.common.exceptions import (
        NoSuchElementException,
        StaleElementReferenceException,
        WebDriverException,
    )
    from selenium.webdriver.support.ui import WebDriverWait

    def holds(d: Any) -> Any:
        try:
            return condition(d)
        except WebDriverException as exc:
            if "does not belong to the document" in str(exc):
                return False
            raise

    ignored = (NoSuchElementException, StaleElementReferenceException)
    return WebDriverWait(driver, timeout, ignored_exceptions=ignored).until(holds)


def text_of(driver: Any, element_id: str) -> str:
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.ID, element_id).text)


def shot(driver: Any, name: str) -> Path:
    SHOTS.mkdir(exist_ok=True)
    path = SHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path
