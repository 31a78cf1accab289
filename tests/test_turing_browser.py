"""chroma-lab turing end to end in a real browser: headless Chromium driven through chromedriver.

The server is the real one (Werkzeug's threaded server on 127.0.0.1, a free port) with a class
token and an instructor's token, so the test also covers the token-in-the-address -> cookie step.
The participant takes a 4-trial test with 0.1 s display time, answering by click and by arrow key,
and reloads one trial page (the pair is not shown again); then the test checks, in the SQLite file,
that exactly the answers clicked were stored, in order, against the trials the server chose, that
the score page agrees, that the class token does not open the results and that the instructor's
results page agrees. A second test fills the results with twelve simulated participants and
checks what the trial and results pages show against an independent computation (SciPy's Wilson
interval); ``CHROMA_LAB_TURING_SCREENSHOTS=docs`` also saves those two pages as
``docs/turing_trial.png`` and ``docs/turing_results.png``, the README's pictures.

Needs Debian's ``chromium`` and ``chromium-driver`` and ``selenium`` (the ``dev`` extra); skipped
with the reason otherwise.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("selenium", reason="selenium is not installed (pip install -e '.[dev]')")
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from chroma_lab.data import load_image  # noqa: E402
from chroma_lab.models.base import GrayColorizer  # noqa: E402
from chroma_lab.models.lookup import LookupColorizer  # noqa: E402
from chroma_lab.turing.app import create_app, serve  # noqa: E402
from chroma_lab.turing.prepare import prepare  # noqa: E402
from chroma_lab.turing.store import Store  # noqa: E402

pytestmark = pytest.mark.slow  # the browser fixture (tests/conftest.py) skips without Chromium
TOKEN = "browser-test-session-token"
RESULTS_TOKEN = "browser-test-instructor-token"
SCREENSHOTS = os.environ.get("CHROMA_LAB_TURING_SCREENSHOTS")


def running_server(out, **settings):
    server = serve(create_app(out, token=TOKEN, results_token=RESULTS_TOKEN, **settings), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def prepared_folder(tmp_path, photos, size) -> Path:
    photos_dir = tmp_path / "photos"
    photos_dir.mkdir()
    for name, photo in photos.items():
        Image.fromarray(photo).save(photos_dir / f"{name}.png")
    images = np.stack([load_image(p) for p in sorted(photos_dir.iterdir())])
    models = {"gray": GrayColorizer().fit(images), "lookup": LookupColorizer(n_colors=8, random_state=0).fit(images)}
    prepare(tmp_path / "out", photos_dir, models, max_side=size, log=lambda line: None)
    return tmp_path / "out"


def wait_for(driver, condition, timeout=20):
    # a page being replaced can drop an element between finding and reading it: try again
    return WebDriverWait(driver, timeout, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)
                         ).until(lambda d: condition(d))  # fmt: skip


def test_a_participant_takes_the_test_end_to_end(tmp_path, browser):
    rng = np.random.default_rng(0)
    out = prepared_folder(tmp_path, {f"photo{i}": rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
                                     for i in range(3)}, size=64)  # fmt: skip
    server, base = running_server(out, n_trials=4, display_seconds=0.1)
    try:
        with pytest.raises(urllib.error.HTTPError) as refused:  # nobody without the token
            urllib.request.urlopen(f"{base}/results", timeout=10)
        assert refused.value.code == 403

        browser.get(f"{base}/?token={TOKEN}")
        assert browser.current_url == f"{base}/"  # the token left the address bar for a cookie
        browser.find_element(By.ID, "start").click()
        wait_for(browser, lambda d: "/trial/" in d.current_url)
        participant = browser.current_url.rsplit("/", 1)[1]

        planned = ["left", "right", "right", "left"]
        for trial, choice in enumerate(planned):
            wait_for(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-state") == "asking")
            assert browser.find_element(By.ID, "progress").text == f"Trial {trial + 1} of 4"
            body = browser.find_element(By.TAG_NAME, "body")
            assert int(body.get_attribute("data-shown-ms")) >= 95  # shown for the display time
            for side in ("left", "right"):  # both pictures arrived, and are hidden now
                image = browser.find_element(By.ID, side)
                assert browser.execute_script("return arguments[0].naturalWidth", image) > 0
                assert image.value_of_css_property("visibility") == "hidden"
            if trial == 1:  # a reload asks again, without showing the pair a second time
                browser.refresh()
                wait_for(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-state") == "asking")
                assert browser.find_elements(By.TAG_NAME, "img") == []
                assert "seen this pair already" in browser.find_element(By.ID, "seen").text
                assert browser.find_element(By.ID, "progress").text == "Trial 2 of 4"
            if trial == 2:
                browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_RIGHT)
            else:
                browser.find_element(By.ID, f"choose-{choice}").click()
            expected = "/score/" if trial == 3 else "/trial/"
            wait_for(browser, lambda d: expected in d.current_url and d.execute_script(
                "return document.readyState") == "complete" and (
                expected == "/score/" or d.find_element(By.ID, "progress").text != f"Trial {trial + 1} of 4"))

        with sqlite3.connect(out / "turing.sqlite") as db:
            rows = db.execute("SELECT trial, image, method, real_side, choice, fooled FROM answers "
                              "WHERE participant = ? ORDER BY trial", (participant,)).fetchall()  # fmt: skip
        trials = Store(out).participant(participant)["trials"]
        assert [r[0] for r in rows] == [0, 1, 2, 3]
        assert [r[4] for r in rows] == planned
        assert [tuple(r[1:4]) for r in rows] == [tuple(t) for t in trials]
        assert [bool(r[5]) for r in rows] == [c != t[2] for c, t in zip(planned, trials)]

        correct = sum(c == t[2] for c, t in zip(planned, trials))
        assert f"You found the real photo in {correct} of 4 trials" in browser.find_element(By.ID, "score").text
        browser.get(f"{base}/results")  # the class token's cookie does not open the results
        assert "instructor's token" in browser.find_element(By.ID, "message").text
        browser.get(f"{base}/results?token={RESULTS_TOKEN}")
        assert browser.current_url == f"{base}/results"
        assert "1 participant." in browser.find_element(By.TAG_NAME, "main").text
        table = browser.find_element(By.ID, "results").text
        for method in ("gray", "lookup"):
            n = sum(t[1] == method for t in trials)
            fooled = sum(t[1] == method and c != t[2] for c, t in zip(planned, trials))
            assert f"{method} {n} {fooled}" in table
    finally:
        server.shutdown()
        server.server_close()


def test_the_trial_and_results_pages_show_what_was_stored(tmp_path, browser):
    from scipy.stats import binomtest

    from chroma_lab.data import bundled_photos
    from chroma_lab.turing.prepare import load_manifest, trial_order

    images, names = bundled_photos(size=200)
    out = prepared_folder(tmp_path, dict(zip(names, images)), size=200)
    store = Store(out)
    rng = np.random.default_rng(0)
    counts = {"gray": [0, 0], "lookup": [0, 0]}  # method -> [judgements, fooled], kept by the test
    for seed in range(12):  # twelve simulated participants fill the results table
        participant = store.create_participant(trial_order(load_manifest(out), 10, seed), seed)
        for i, (_, method, real_side) in enumerate(store.participant(participant)["trials"]):
            fooled = rng.random() < (0.08 if method == "gray" else 0.3)
            store.record_answer(participant, i, ("right" if real_side == "left" else "left") if fooled else real_side)
            counts[method][0] += 1
            counts[method][1] += fooled
    for _ in range(3):
        store.create_participant(trial_order(load_manifest(out), 10, 99), 99)  # pressed Start, left
    server, base = running_server(out, n_trials=10, display_seconds=60)
    try:
        browser.get(f"{base}/?token={TOKEN}")
        browser.find_element(By.ID, "start").click()
        wait_for(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-state") == "showing")
        for side in ("left", "right"):  # the pair is on screen, the question not yet
            picture = browser.find_element(By.ID, side)
            assert browser.execute_script("return arguments[0].naturalWidth", picture) > 0
            assert picture.is_displayed() and picture.value_of_css_property("visibility") == "visible"
        assert not browser.find_element(By.ID, "question").is_displayed()
        assert not browser.find_element(By.ID, "choose-left").is_enabled()
        shots = Path(SCREENSHOTS) if SCREENSHOTS else None
        if shots:
            shots.mkdir(parents=True, exist_ok=True)
            browser.save_screenshot(str(shots / "turing_trial.png"))

        browser.get(f"{base}/results?token={RESULTS_TOKEN}")
        assert "12 participants." in browser.find_element(By.TAG_NAME, "main").text
        rows = [row.text for row in browser.find_elements(By.CSS_SELECTOR, "#results tbody tr")]
        for method, (n, k) in counts.items():
            interval = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
            expected = (f"{method} {n} {k} {100 * k / n:.1f}% "
                        f"{100 * interval.low:.1f}% \u2013 {100 * interval.high:.1f}%")  # fmt: skip
            assert expected in rows, (expected, rows)
        if shots:
            browser.save_screenshot(str(shots / "turing_results.png"))
            for name in ("turing_trial.png", "turing_results.png"):  # 256 colours: a third of the bytes
                with Image.open(shots / name) as shot:
                    shot.convert("RGB").quantize(256).save(shots / name, optimize=True)
    finally:
        server.shutdown()
        server.server_close()
