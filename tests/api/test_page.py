"""The page at GET / in a real headless Chromium (Debian's chromium + chromium-driver, driven
by Selenium) against the real API, Redis and a tiny-checkpoint worker: a typed review gets its
verdict, feedback and a place in the session's history; a batch of 20 lines and a CSV file get
a table and a CSV download; an empty text gets the refusal the bots give; Spanish browsers get
a Spanish page. The first test saves a screenshot (REVIEWBOT_API_SCREENSHOT: where to copy it).

Without the browser the tests skip, except under CI=true, where .ci/run installs it and a
missing browser is an error.
"""

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from frontend.texts import submit_error_text
from reviewbot.messages import Language
from reviewbot.validation import EmptyReview
from storage.schema import FeedbackRow

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WAIT_S = 120


def _require_browser() -> None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if not missing:
        return
    message = f"{', '.join(missing)} missing: apt-get install chromium chromium-driver"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator[Callable]:
    """`browser("es")`: a headless Chromium whose language is `lang`, closed after the module."""
    _require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    drivers = {}

    def open_browser(lang: str = "en-US"):
        if lang not in drivers:
            options = webdriver.ChromeOptions()
            options.binary_location = str(CHROMIUM)
            for argument in (
                "--headless=new",
                "--no-sandbox",  # CI runs as root
                "--disable-dev-shm-usage",
                "--disable-gpu",
                "--window-size=1000,1100",
                f"--lang={lang}",
            ):
                options.add_argument(argument)
            options.add_experimental_option("prefs", {"intl.accept_languages": lang})
            drivers[lang] = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
        return drivers[lang]

    yield open_browser
    for driver in drivers.values():
        driver.quit()


def _wait(driver, condition, what: str):
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, WAIT_S).until(condition)
    except TimeoutException:
        raise AssertionError(f"timed out waiting for {what}") from None


def _fresh(driver, url: str) -> None:
    driver.get(url)
    driver.execute_script("sessionStorage.clear()")
    driver.get(url)


def test_a_typed_review_gets_its_verdict_feedback_and_a_place_in_the_history(
    stack, browser, tmp_path
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver = browser()
    _fresh(driver, stack.url + "/")
    box = driver.find_element(By.ID, "review-text")
    label = driver.find_element(By.CSS_SELECTOR, "label[for=review-text]")
    assert label.text == "Your review"
    box.send_keys("A warm, funny and beautifully acted film.")
    box.send_keys(Keys.TAB, Keys.ENTER)  # the keyboard alone reaches and presses Classify
    card = _wait(
        driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#single-result .verdict"), "a verdict"
    )[0]
    verdict_label = card.get_attribute("data-label")
    assert verdict_label in ("positive", "negative")
    assert card.find_element(By.CSS_SELECTOR, ".verdict-label").text.split()[1] in (
        "Positive",
        "Negative",
    )
    bar = card.find_element(By.CSS_SELECTOR, "[role=meter]")
    assert 50 <= int(bar.get_attribute("aria-valuenow")) <= 100
    meta = card.find_element(By.CSS_SELECTOR, ".meta").text
    assert "Language:" in meta and " ms" in meta

    (wrong,) = [b for b in card.find_elements(By.TAG_NAME, "button") if b.text == "👎 Wrong"]
    wrong.click()
    _wait(driver, lambda d: "Thanks" in card.text, "the feedback to be recorded")
    with stack.store.session() as session:
        votes = session.scalars(select(FeedbackRow)).all()
    other = "negative" if verdict_label == "positive" else "positive"
    assert other in [vote.label.value for vote in votes]

    box.clear()
    box.send_keys("Tedious and far too long.")
    driver.find_element(By.ID, "classify").click()
    _wait(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#history li")) == 2, "history")
    history = [li.text for li in driver.find_elements(By.CSS_SELECTOR, "#history li")]
    assert "Tedious and far too long." in history[0]
    assert "A warm, funny" in history[1]

    screenshot = tmp_path / "api-page.png"
    assert driver.save_screenshot(str(screenshot)) and screenshot.stat().st_size > 10_000
    if copy_to := os.environ.get("REVIEWBOT_API_SCREENSHOT"):
        shutil.copyfile(screenshot, copy_to)


def test_an_empty_review_shows_the_refusal_the_bots_give(stack, browser):
    from selenium.webdriver.common.by import By

    driver = browser()
    _fresh(driver, stack.url + "/")
    driver.find_element(By.ID, "classify").click()
    alert = _wait(
        driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#single-result [role=alert]"), "alert"
    )[0]
    assert alert.text == EmptyReview().message


def test_a_batch_of_20_lines_and_a_csv_file_get_a_table_and_a_csv_download(
    stack, browser, tmp_path
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver = browser()
    _fresh(driver, stack.url + "/")
    tab = driver.find_element(By.ID, "tab-single")
    tab.send_keys(Keys.ARROW_RIGHT)  # the tab list follows the keyboard
    assert driver.find_element(By.ID, "tab-batch").get_attribute("aria-selected") == "true"
    lines = [f"Review number {i}: {'great' if i % 2 else 'dull'} film." for i in range(20)]
    lines[7] = "bad \x01 byte"
    driver.execute_script(
        "document.getElementById('batch-text').value = arguments[0]", "\n".join(lines)
    )
    driver.find_element(By.ID, "classify-batch").click()
    rows = _wait(
        driver,
        lambda d: [r for r in d.find_elements(By.CSS_SELECTOR, "#batch-table tbody tr")
                   if len(d.find_elements(By.CSS_SELECTOR, "#batch-table tbody tr")) == 20],
        "20 rows",
    )  # fmt: skip
    cells = [[td.text for td in row.find_elements(By.TAG_NAME, "td")] for row in rows]
    assert [c[0] for c in cells] == [str(i) for i in range(1, 21)]
    assert cells[3][1] == lines[3] and cells[3][2] in ("Positive", "Negative")
    assert "control or binary character" in cells[7][2]
    csv_text = driver.execute_async_script(
        "const done = arguments[0];"
        "fetch(document.getElementById('download').href).then(r => r.text()).then(done);"
    )
    csv_lines = csv_text.strip().split("\r\n")
    assert csv_lines[0] == "text,label,p_positive,confidence,language,error"
    assert len(csv_lines) == 21 and csv_lines[4].startswith(lines[3] + ",")

    source = tmp_path / "reviews.csv"
    source.write_text('id,text\n1,"Funny, clever, touching."\n2,Boring\n3,""\n', encoding="utf-8")
    driver.find_element(By.ID, "batch-file").send_keys(str(source))
    driver.find_element(By.ID, "classify-batch").click()
    _wait(
        driver,
        lambda d: len(d.find_elements(By.CSS_SELECTOR, "#batch-table tbody tr")) == 2,
        "the CSV file's two rows",
    )
    first = driver.find_element(By.CSS_SELECTOR, "#batch-table tbody tr td:nth-child(2)").text
    assert first == "Funny, clever, touching."


def test_a_spanish_browser_gets_the_page_and_its_refusals_in_spanish(stack, browser):
    from selenium.webdriver.common.by import By

    driver = browser("es-ES")
    _fresh(driver, stack.url + "/")
    assert driver.find_element(By.ID, "classify").text == "Clasificar"
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "es"
    driver.find_element(By.ID, "classify").click()
    alert = _wait(
        driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#single-result [role=alert]"), "alert"
    )[0]
    assert alert.text == submit_error_text(EmptyReview(), Language.ES)
