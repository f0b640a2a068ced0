"""A real browser through the web home: Debian's headless chromium driven by Selenium.

The journey a newcomer takes right after the README's first command: open the local demo,
sign in as one of its people, open the demo day's round (yesterday, on the demo's calendar),
open the progress chart, change a preference, sign out. Screenshots of the main pages, at
desktop and phone width, are written under the test's temporary folder for review.

Skips (saying why) only when chromium isn't installed on a developer's machine; under CI
(`CI=true`), where `.ci/run` installs it, a missing browser fails the test.
"""
from __future__ import annotations

import io
import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from adapters.console import demo
from adapters.web.app import create_app
from adapters.web.serve import WebServer
from bot import config
from bot.app import build

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
PHONE = (390, 844)


def _browser():
    if not (CHROMIUM and DRIVER):
        if os.environ.get("CI") == "true":
            pytest.fail("chromium and chromium-driver must be installed under CI (.ci/run installs them)")
        pytest.skip("no chromium/chromedriver here: apt-get install chromium chromium-driver to run the browser journey")
    try:
        from selenium import webdriver
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("selenium must be installed under CI (the test extra: pip install -e '.[test]')")
        pytest.skip("selenium isn't installed: pip install -e '.[test]'")
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900"):
        opts.add_argument(arg)
    return webdriver.Chrome(service=Service(DRIVER), options=opts)


@pytest.fixture
def demo_site(tmp_path):
    db_path = tmp_path / "sensebot-demo.db"
    assert demo.run(seed=7, db_path=str(db_path), out=io.StringIO()) == 0
    settings = replace(config.load({}), database_url=f"sqlite:///{db_path}")
    server = WebServer(create_app(build(settings), local_signin=True), "127.0.0.1", 0)
    server.start_background()
    yield f"http://127.0.0.1:{server.port}"
    server.stop()


def _arrive(driver, title: str) -> None:
    """Wait for the next page (a click returns before the browser has navigated), generously: a busy
    machine must not fail the journey, only a page that never comes."""
    from selenium.webdriver.support.ui import WebDriverWait
    try:
        WebDriverWait(driver, 60).until(lambda d: title in d.title)
    except Exception:
        raise AssertionError(f"expected the page '{title}', still on '{driver.title}' at {driver.current_url}") from None


def _shot(driver, folder: Path, name: str) -> None:
    driver.save_screenshot(str(folder / f"{name}-desktop.png"))
    driver.set_window_size(*PHONE)
    driver.save_screenshot(str(folder / f"{name}-phone.png"))
    driver.set_window_size(1280, 900)


def test_a_newcomer_browses_the_demo_day_changes_a_preference_and_signs_out(demo_site, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait
    shots = tmp_path / "screens"
    shots.mkdir()
    driver = _browser()
    driver.implicitly_wait(10)
    try:
        driver.get(demo_site + "/")
        assert "Sign in" in driver.title
        _shot(driver, shots, "1-signin")
        driver.find_element(By.XPATH, "//label[contains(., 'Bilal')]").click()
        driver.find_element(By.XPATH, "//button[normalize-space()='Sign in']").click()
        _arrive(driver, "Home")
        assert "Today's case" in driver.page_source and "This week" in driver.page_source
        _shot(driver, shots, "2-home")

        latest = driver.find_element(By.XPATH, "//p[starts-with(normalize-space(), 'Latest results')]/a")
        case = latest.text
        latest.click()
        _arrive(driver, case)
        assert "Results" in driver.page_source and "Model outline" in driver.page_source
        assert "calibrated" in driver.page_source or "vote" in driver.page_source
        _shot(driver, shots, "3-round")

        driver.find_element(By.LINK_TEXT, "Me").click()
        _arrive(driver, "Me ·")
        driver.find_element(By.LINK_TEXT, "My progress chart").click()
        _arrive(driver, "My progress")
        _shot(driver, shots, "4-progress")

        driver.find_element(By.LINK_TEXT, "Me").click()
        _arrive(driver, "Me ·")
        Select(driver.find_element(By.ID, "rem")).select_by_value("off")
        driver.find_element(By.XPATH, "//button[normalize-space()='Save reminders']").click()
        WebDriverWait(driver, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, "[role=status]"))
        assert "Reminders are off" in driver.find_element(By.CSS_SELECTOR, "[role=status]").text
        assert Select(driver.find_element(By.ID, "rem")).first_selected_option.get_attribute("value") == "off"
        _shot(driver, shots, "5-me")

        driver.find_element(By.LINK_TEXT, "Archive").click()
        _arrive(driver, "Archive")
        _shot(driver, shots, "6-archive")

        driver.find_element(By.XPATH, "//button[starts-with(normalize-space(), 'Sign out')]").click()
        _arrive(driver, "Sign in")
        driver.get(demo_site + "/t/1/me")
        _arrive(driver, "Sign in")  # signed out: the team's pages are closed again
    finally:
        driver.quit()
    print(f"screenshots: {shots}")
    assert len(list(shots.glob("*.png"))) == 12
