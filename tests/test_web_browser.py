"""The desk in a real headless Chromium (Debian's chromium and chromium-driver, driven by
Selenium): the ledger table as rendered, hostile text inert in a browser that would run
any script it got, and the alert filters used through the form, without JavaScript."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.views import editor_value, editor_words
from tests.deskroom import PDX, Newsroom, invoke, newsroom, serve_desk

__all__ = ["newsroom"]  # the session fixture, imported for pytest

CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM = Path("/usr/bin/chromium")
WAIT_S = 60.0  # generous: a loaded 2-core machine; the waits end as soon as they hold
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,2000",
)

if not (CHROMEDRIVER.exists() and CHROMIUM.exists()):
    reason = "Chromium not installed: apt-get install chromium chromium-driver"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (required when CI=true)", pytrace=False)
    pytest.skip(reason, allow_module_level=True)

from selenium import webdriver  # noqa: E402  (after the skip: selenium is a test extra)
from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402


def start_chromium(profile: Path) -> webdriver.Chrome:
    """Headless Chromium with a fresh profile; both paths given, so Selenium Manager never
    runs and nothing is downloaded."""
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    return webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    """One Chromium for the module (starting one costs seconds)."""
    profile = Path(tempfile.mkdtemp(prefix="desk-chromium-"))
    driver = start_chromium(profile)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def base_url(newsroom: Newsroom) -> Iterator[str]:
    with serve_desk(newsroom) as server:
        yield f"http://127.0.0.1:{server.port}"


def test_the_rendered_ledger_table_holds_each_slots_current_value(
    browser: webdriver.Chrome, base_url: str, newsroom: Newsroom
) -> None:
    """Read from the DOM: one row per slot of `monitor claims --json`, with its value."""
    browser.get(f"{base_url}/incidents/{PDX}")
    rows = browser.find_elements(By.CSS_SELECTOR, "table#ledger tbody tr")
    shown = {
        row.find_element(By.TAG_NAME, "th").text: row.find_elements(By.TAG_NAME, "td")[0].text
        for row in rows
    }
    state = json.loads(invoke(newsroom.env, "claims", PDX, "--json"))["state"]
    expected = {
        editor_words(slot): editor_value(s["value"], s["qualifier"])
        + (" (unconfirmed)" if s["hedged"] else "")
        for slot, s in state.items()
    }
    assert shown == expected
    assert shown["shots fired"] == "3"  # the hostile article's count is the latest
    contested = browser.find_elements(By.CSS_SELECTOR, "table#ledger tr.contested th")
    assert "shots fired" in [cell.text for cell in contested]


def test_hostile_article_text_runs_nothing_in_the_browser(
    browser: webdriver.Chrome, base_url: str, newsroom: Newsroom
) -> None:
    """The article's <script>, <img onerror> and javascript: link show as text: no script
    element, no alert, the title untouched."""
    browser.get(f"{base_url}/articles/{newsroom.hostile_article}")
    with pytest.raises(NoAlertPresentException):
        _ = browser.switch_to.alert.text
    assert "pwned" not in browser.title
    assert browser.title.startswith("Portland <script>alert(1)</script> shooting")
    assert browser.find_elements(By.TAG_NAME, "script") == []
    assert browser.find_elements(By.TAG_NAME, "img") == []
    text = browser.find_element(By.ID, "text").text
    assert "<script>document.title='pwned'</script>" in text
    assert '<a href="javascript:alert(2)">click</a>' in text
    hrefs = [a.get_attribute("href") or "" for a in browser.find_elements(By.TAG_NAME, "a")]
    assert hrefs and not [h for h in hrefs if h.lower().startswith("javascript:")]


def test_the_alert_filters_work_through_the_form(browser: webdriver.Chrome, base_url: str) -> None:
    """Choosing a kind and submitting the form (no JavaScript) lists only that kind."""
    browser.get(f"{base_url}/alerts")
    every = len(browser.find_elements(By.CSS_SELECTOR, "article.alert"))
    Select(browser.find_element(By.NAME, "kind")).select_by_value("contradiction")
    form = browser.find_element(By.CSS_SELECTOR, "form.filters")
    form.find_element(By.TAG_NAME, "button").click()
    # The click returns before the next page loads: wait for the old page to go.
    waiting = WebDriverWait(browser, WAIT_S)
    waiting.until(expected_conditions.staleness_of(form))
    waiting.until(lambda b: b.execute_script("return document.readyState") == "complete")
    assert "kind=contradiction" in browser.current_url
    shown = browser.find_elements(By.CSS_SELECTOR, "article.alert")
    assert 0 < len(shown) < every
    assert all("contradiction" in (a.get_attribute("class") or "") for a in shown)
