"""chroma-lab paint in a real browser: headless Chromium places a dot, sees the colour there, downloads.

The server is the real one (Werkzeug on 127.0.0.1, a free port) with Levin et al.'s colorizer on a
two-region photo. The browser picks red in the colour input and clicks the left region of the gray
canvas, then blue and the right region, waiting for the page's update after each; the test reads the
colorization the server made: each dot's colour at the dot and across its region, stopping at the
edge; the download link then holds the same PNG.
Needs Debian's ``chromium`` and ``chromium-driver`` and ``selenium``; skipped with the reason
otherwise. ``CHROMA_LAB_PAINT_SCREENSHOT=docs`` also redraws ``docs/paint.png``.
"""

from __future__ import annotations

import base64
import io
import json
import os
import threading
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("selenium", reason="selenium is not installed (pip install -e '.[dev]')")
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from chroma_lab.color import rgb_to_lab  # noqa: E402
from chroma_lab.models.levin2004 import LevinColorizer  # noqa: E402
from chroma_lab.paint import create_app, serve  # noqa: E402

pytestmark = pytest.mark.slow  # the browser fixture (tests/conftest.py) skips without Chromium
SCREENSHOT = os.environ.get("CHROMA_LAB_PAINT_SCREENSHOT")
RED, BLUE = "#c62828", "#64b5f6"  # each about the lightness of its region, so in gamut there


def two_regions():
    photo = np.full((48, 64, 3), 170, dtype=np.uint8)  # a light right half...
    photo[:, :32] = 90  # ...and a dark left half: Levin's colour stops at the edge
    return photo


def _get(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def _click(browser, canvas, result, x, y, color):
    """Pick ``color``, click photo pixel (x, y) of the 2x canvas, wait for the page's update."""
    browser.execute_script(f"document.getElementById('color').value = '{color}'")
    # Selenium's offsets count from the element's centre, border included
    dx, dy = 1 + 2 * x + 1 - canvas.size["width"] // 2, 1 + 2 * y + 1 - canvas.size["height"] // 2
    updates = result.get_attribute("data-updates") or "0"  # read before the click: it may be quick
    ActionChains(browser).move_to_element_with_offset(canvas, dx, dy).click().perform()
    WebDriverWait(browser, 180).until(lambda d: result.get_attribute("data-updates") == str(int(updates) + 1))


def _drag(browser, canvas, result, start, end, steps: int = 3):
    """Press on photo pixel ``start`` of the 2x canvas, move to ``end`` in ``steps``, release; wait
    until the picture shows the page's dots (the updates made while moving included)."""
    (x0, y0), (x1, y1) = start, end
    dx, dy = 1 + 2 * x0 + 1 - canvas.size["width"] // 2, 1 + 2 * y0 + 1 - canvas.size["height"] // 2
    chain = ActionChains(browser).move_to_element_with_offset(canvas, dx, dy).click_and_hold()
    done = (0, 0)
    for step in range(1, steps + 1):
        to = (2 * (x1 - x0) * step // steps, 2 * (y1 - y0) * step // steps)
        chain = chain.move_by_offset(to[0] - done[0], to[1] - done[1])
        done = to
    chain.release().perform()
    WebDriverWait(browser, 180).until(lambda d: not result.get_attribute("data-busy") and (
        result.get_attribute("data-dots") == d.execute_script("return JSON.stringify(dots)")))  # fmt: skip


def _screenshot(browser, tmp_path, target):
    """docs/paint.png: a bundled photo opened from the page at 256 pixels, six dots of its true colours."""
    from chroma_lab.data import bundled_photos

    images, names = bundled_photos()
    photo = images[names.index("chelsea")]  # 300 x 451
    Image.fromarray(photo).save(tmp_path / "chelsea.png")
    server = serve(create_app(LevinColorizer.fitted(), two_regions(), size=256), "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        browser.set_window_size(1120, 640)
        browser.get(f"http://127.0.0.1:{server.server_port}/")
        canvas, result = browser.find_element(By.ID, "gray"), browser.find_element(By.ID, "result")
        browser.find_element(By.ID, "file").send_keys(str(tmp_path / "chelsea.png"))
        WebDriverWait(browser, 60).until(lambda d: canvas.get_attribute("width") == "512")
        small = np.asarray(Image.fromarray(photo).resize((256, 170), Image.BILINEAR))
        for x, y in ((60, 60), (200, 40), (128, 100), (40, 150), (220, 150), (150, 20)):
            _click(browser, canvas, result, x, y, "#%02x%02x%02x" % tuple(small[y, x]))
        browser.save_screenshot(str(target))
    finally:
        browser.get("about:blank")  # drop the page's keep-alive connections: server_close joins their threads
        server.shutdown()
        server.server_close()


def test_a_click_colours_its_region_and_the_result_downloads(browser, tmp_path):
    server = serve(create_app(LevinColorizer.fitted(), two_regions(), size=64), "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        browser.get(base + "/")
        canvas = browser.find_element(By.ID, "gray")
        WebDriverWait(browser, 20).until(lambda d: canvas.get_attribute("width") == "128")  # the photo at 2x
        result = browser.find_element(By.ID, "result")
        for (x, y), color in (((10, 20), RED), ((50, 30), BLUE)):
            _click(browser, canvas, result, x, y, color)
        colored = np.asarray(Image.open(io.BytesIO(_get(base + "/result.png"))).convert("RGB"))
        ab = rgb_to_lab(colored)[..., 1:]
        red_ab, blue_ab = (rgb_to_lab(np.array([[rgb]], dtype=np.uint8))[0, 0, 1:]
                           for rgb in ((0xC6, 0x28, 0x28), (0x64, 0xB5, 0xF6)))  # fmt: skip
        assert np.linalg.norm(ab[20, 10] - red_ab) < 3 and np.linalg.norm(ab[30, 50] - blue_ab) < 3  # the dots
        # each colour spreads over its own region: red all over the left, blue away from the edge on
        # the right (one dot each, so the lightness edge only damps the other dot's pull)
        assert np.all(ab[:, :30, 0] > 20) and np.all(ab[:, 40:, 1] < -5)
        assert ab[:, :30, 0].mean() > ab[:, 34:, 0].mean() + 20 and ab[:, 34:, 1].mean() < -15
        href = result.get_attribute("src")
        assert href.startswith("blob:") and browser.find_element(By.ID, "download").get_attribute("href") == href
        downloaded = browser.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "fetch(arguments[0]).then(r => r.arrayBuffer()).then(b => {"
            "  let s = ''; new Uint8Array(b).forEach(x => s += String.fromCharCode(x)); done(btoa(s)); });", href)
        png = np.asarray(Image.open(io.BytesIO(base64.b64decode(downloaded))).convert("RGB"))
        np.testing.assert_array_equal(png, colored)
        Image.fromarray(np.full((30, 40, 3), 128, dtype=np.uint8)).save(tmp_path / "other.png")
        browser.find_element(By.ID, "file").send_keys(str(tmp_path / "other.png"))  # open another photo
        WebDriverWait(browser, 60).until(lambda d: canvas.get_attribute("width") == "80")
        assert Image.open(io.BytesIO(_get(base + "/gray.png"))).size == (40, 30)
        with pytest.raises(urllib.error.HTTPError) as refused:  # a malformed dot: 400 with its reason
            request = urllib.request.Request(base + "/colorize", data=json.dumps({"dots": [{"x": 99}]}).encode(),
                                             headers={"Content-Type": "application/json"})  # fmt: skip
            urllib.request.urlopen(request, timeout=30)
        assert refused.value.code == 400 and b"integer x" in refused.value.read()
    finally:
        server.shutdown()
        server.server_close()
    if SCREENSHOT:
        _screenshot(browser, tmp_path, Path(SCREENSHOT) / "paint.png")


def test_a_dragged_dot_moves_and_its_colour_follows_a_still_click_removes_it(browser):
    server = serve(create_app(LevinColorizer.fitted(), two_regions(), size=64), "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        browser.get(base + "/")
        canvas, result = browser.find_element(By.ID, "gray"), browser.find_element(By.ID, "result")
        WebDriverWait(browser, 20).until(lambda d: canvas.get_attribute("width") == "128")
        for (x, y), color in (((10, 20), RED), ((50, 30), BLUE)):
            _click(browser, canvas, result, x, y, color)
        before = rgb_to_lab(np.asarray(Image.open(io.BytesIO(_get(base + "/result.png"))).convert("RGB")))[..., 1:]
        assert before[40, 20, 0] > 20  # the left region is red before the drag
        _drag(browser, canvas, result, (50, 30), (20, 40))  # the blue dot, into the left region
        dots = browser.execute_script("return dots")
        assert [(d["x"], d["y"], d["color"]) for d in dots] == [(10, 20, RED), (20, 40, BLUE)]  # moved, not added
        after = rgb_to_lab(np.asarray(Image.open(io.BytesIO(_get(base + "/result.png"))).convert("RGB")))[..., 1:]
        # at the new place, red (a*, b* > 0) turned blue (b* < 0; the light blue is out of gamut on the
        # dark side, so it keeps its hue, not its exact a*, b*)
        assert after[40, 20, 1] < -30 and after[40, 20, 0] < 5 and before[40, 20, 1] > 5
        pixel = "return Array.from(ctx.getImageData(arguments[0], arguments[1], 1, 1).data.slice(0, 3))"
        assert browser.execute_script(pixel, 2 * 20 + 1, 2 * 40 + 1) == [0x64, 0xB5, 0xF6]  # drawn at the new place
        old = browser.execute_script(pixel, 2 * 50 + 1, 2 * 30 + 1)
        assert old[0] == old[1] == old[2]  # and gone from the old one
        assert int(result.get_attribute("data-updates")) >= 3  # the release's update, at least
        _click(browser, canvas, result, 10, 20, RED)  # a press and release on a dot, without moving
        assert [(d["x"], d["y"]) for d in browser.execute_script("return dots")] == [(20, 40)]
    finally:
        browser.get("about:blank")
        server.shutdown()
        server.server_close()
