"""``chroma-lab paint``: colour a photo with a few clicks, in a local web page.

    chroma-lab paint --model runs/guided photo.jpg      # Zhang et al. 2017's guided network
    chroma-lab paint --model levin2004 photo.jpg        # Levin et al. 2004, nothing to train

The page shows the photo in gray and its colorization. A click on the gray photo puts a dot of the
colour picker's colour there (a 3x3 hint); the colorization is redone with all the dots at once and
replaces the right-hand picture. A dot can be dragged to another place (the colorization follows
while it moves, one request at a time, and is redone where it is released); a click on a dot
without moving it removes it; "undo" removes the last, "clear" all. "Download" saves the current
colorization as a PNG. Another photo can be opened from the page. The photo is worked on at
``--size`` pixels on its longer side (256 by default, a size at which Levin's solve and the small
network answer a click without a long wait; benchmarks/bench_hints.py times one update).

The server listens on 127.0.0.1 only: one user, on this computer (the Turing test's page is the
one for a classroom). Requests are bounded (16 MiB for a photo, 2,000 dots) and a malformed one
gets a 400 with a one-line reason.
"""

from __future__ import annotations

import io
import re
import threading
from pathlib import Path

import numpy as np

from chroma_lab._checks import check_int
from chroma_lab.errors import ChromaLabError

DOT = 3  # side of the square hint a click puts down, in working pixels
MAX_DOTS = 2000
MAX_UPLOAD = 16 * 1024 * 1024
COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


def add_arguments(parser) -> None:
    parser.add_argument("photo", nargs="?", default=None, metavar="PHOTO",
                        help="the photo to colour (default: a bundled photo; the page can open another)")
    parser.add_argument("--model", required=True, metavar="DIR",
                        help="a model that takes hints: a folder written by chroma-lab train guided, or levin2004")
    parser.add_argument("--size", type=int, default=256, help="longer side the photo is worked at (default 256)")
    parser.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default 8000; 0 picks a free one)")


def main(args) -> int:
    check_int(args.size, "--size", low=16, high=2048)
    check_int(args.port, "--port", low=0, high=65535)
    from chroma_lab.cli import UsageError, import_keras
    from chroma_lab.data import load_image
    from chroma_lab.models.registry import READY, load_colorizer

    if args.model not in READY:
        import_keras()
    colorizer = load_colorizer(args.model)
    if not colorizer.takes_hints:
        raise UsageError(f"--model: the {type(colorizer).__name__} in '{args.model}' takes no hints "
                         "(guided and levin2004 do)")
    photo = load_image(args.photo) if args.photo else _default_photo()
    app = create_app(colorizer, photo, size=args.size)
    try:
        server = serve(app, "127.0.0.1", args.port)
    except (OSError, SystemExit) as exc:
        reason = getattr(exc, "strerror", None) or "address in use"
        raise ChromaLabError(f"cannot listen on 127.0.0.1:{args.port} ({reason}); try another --port") from None
    print(f"open http://127.0.0.1:{server.server_port}/ (this computer only). Ctrl-C stops the server.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped")
    finally:
        server.server_close()
    return 0


class Canvas:
    """The photo being coloured: its gray at the working size, and the last colorization."""

    def __init__(self, colorizer, photo, size: int):
        self.colorizer, self.size = colorizer, size
        self.lock = threading.Lock()  # one colorization at a time: the model is not thread-safe
        self.open(photo)

    def open(self, photo) -> None:
        from chroma_lab.color import rgb_to_gray
        from chroma_lab.data.images import resize

        photo = np.asarray(photo)
        height, width = photo.shape[:2]
        scale = min(1.0, self.size / max(height, width))
        shape = (max(1, round(height * scale)), max(1, round(width * scale)))
        self.gray = rgb_to_gray(resize(photo, shape) if shape != (height, width) else photo)
        self.result = self.colorize([])

    def colorize(self, dots) -> np.ndarray:
        """The colorization with ``dots`` [(x, y, (r, g, b)), ...] as 3x3 hints; uint8 RGB (H, W, 3)."""
        from chroma_lab.hints import hints_from_rgba

        height, width = self.gray.shape
        rgba = np.zeros((height, width, 4), dtype=np.uint8)
        half = DOT // 2
        for x, y, rgb in dots:
            rgba[max(0, y - half) : y + half + 1, max(0, x - half) : x + half + 1] = (*rgb, 255)
        ab, mask = hints_from_rgba(rgba)
        with self.lock:
            self.result = self.colorizer.colorize(self.gray[None], hints=(ab[None], mask[None]))[0]
        return self.result


def create_app(colorizer, photo, size: int = 256):
    """The Flask app of the page, for a fitted colorizer that takes hints and a uint8 RGB photo."""
    from flask import Flask, Response, jsonify, request

    canvas = Canvas(colorizer, photo, size)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_UPLOAD

    @app.errorhandler(ValueError)
    def refused(exc):
        return jsonify(error=str(exc)), 400

    @app.get("/")
    def page():
        return Response(PAGE.replace("{{model}}", type(colorizer).__name__), mimetype="text/html")

    @app.get("/gray.png")
    def gray_png():
        return _png(canvas.gray)

    @app.get("/result.png")
    def result_png():
        return _png(canvas.result)

    @app.post("/colorize")
    def colorize():
        body = request.get_json(silent=True)
        dots = _parse_dots(body, canvas.gray.shape)
        return _png(canvas.colorize(dots))

    @app.post("/open")
    def open_photo():
        from PIL import Image, UnidentifiedImageError

        upload = request.files.get("photo")
        if upload is None:
            raise ChromaLabError("send the photo as the form field 'photo'")
        try:
            with Image.open(upload.stream) as image:
                rgb = np.asarray(image.convert("RGB"))
        except (UnidentifiedImageError, OSError) as exc:
            raise ChromaLabError(f"cannot read '{upload.filename}' as an image ({exc})") from None
        canvas.open(rgb)
        height, width = canvas.gray.shape
        return jsonify(width=width, height=height)

    @app.get("/size")
    def photo_size():
        height, width = canvas.gray.shape
        return jsonify(width=width, height=height)

    return app


def serve(app, host: str = "127.0.0.1", port: int = 8000):
    """Werkzeug's threaded server for ``app`` (``port=0`` picks a free port); call ``serve_forever``."""
    from werkzeug.serving import make_server

    return make_server(host, port, app, threaded=True)


def _parse_dots(body, shape) -> list:
    """[(x, y, (r, g, b))] from ``{"dots": [{"x": int, "y": int, "color": "#rrggbb"}, ...]}``."""
    if not isinstance(body, dict) or not isinstance(body.get("dots"), list):
        raise ChromaLabError('send JSON {"dots": [{"x": ..., "y": ..., "color": "#rrggbb"}, ...]}')
    if len(body["dots"]) > MAX_DOTS:
        raise ChromaLabError(f"at most {MAX_DOTS} dots, got {len(body['dots'])}")
    height, width = shape
    dots = []
    for dot in body["dots"]:
        x, y, color = (dot.get(k) if isinstance(dot, dict) else None for k in ("x", "y", "color"))
        if not (isinstance(x, int) and isinstance(y, int) and 0 <= x < width and 0 <= y < height):
            raise ChromaLabError(f"a dot needs integer x in 0..{width - 1} and y in 0..{height - 1}, got {dot!r}")
        if not (isinstance(color, str) and COLOR.match(color)):
            raise ChromaLabError(f"a dot's color must be '#rrggbb', got {color!r}")
        dots.append((x, y, tuple(int(color[i : i + 2], 16) for i in (1, 3, 5))))
    return dots


def _png(image):
    from flask import Response
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.asarray(image)).save(buffer, format="PNG")
    return Response(buffer.getvalue(), mimetype="image/png", headers={"Cache-Control": "no-store"})


def _default_photo():
    from chroma_lab.data import bundled_photos

    images, names = bundled_photos()
    return images[names.index("chelsea")] if "chelsea" in names else images[0]


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>chroma-lab paint</title>
<style>
 body { font-family: sans-serif; margin: 16px; }
 .row { display: flex; gap: 16px; align-items: flex-start; }
 .panel { position: relative; }
 canvas, img { image-rendering: pixelated; border: 1px solid #999; }
 canvas { touch-action: none; cursor: crosshair; }
 #tools { margin: 8px 0; display: flex; gap: 8px; align-items: center; }
 #status { color: #555; font-size: 90%; }
</style></head><body>
<h3>chroma-lab paint <small>({{model}})</small></h3>
<div id="tools">
 <label>colour <input type="color" id="color" value="#2e7d32"></label>
 <button id="undo">undo</button> <button id="clear">clear</button>
 <a id="download" download="colorized.png" href="/result.png"><button>download</button></a>
 <label>open a photo <input type="file" id="file" accept="image/*"></label>
 <span id="status">click the gray photo to put a colour dot; drag a dot to move it, click it to remove it</span>
</div>
<div class="row">
 <div class="panel"><canvas id="gray"></canvas></div>
 <div class="panel"><img id="result" alt="colorization" src="/result.png"></div>
</div>
<script>
const SCALE = 2, DOT = 3;
let dots = [], updates = 0, photo = new Image();
const canvas = document.getElementById("gray"), ctx = canvas.getContext("2d");
const result = document.getElementById("result"), status = document.getElementById("status");
function draw() {
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(photo, 0, 0, canvas.width, canvas.height);
  for (const d of dots) {
    ctx.fillStyle = d.color; ctx.strokeStyle = "#fff";
    ctx.fillRect((d.x - 1) * SCALE, (d.y - 1) * SCALE, DOT * SCALE, DOT * SCALE);
    ctx.strokeRect((d.x - 2) * SCALE, (d.y - 2) * SCALE, (DOT + 2) * SCALE, (DOT + 2) * SCALE);
  }
}
function load() {
  photo = new Image();
  photo.onload = () => { canvas.width = photo.width * SCALE; canvas.height = photo.height * SCALE;
    result.width = canvas.width; result.height = canvas.height; draw(); };
  photo.src = "/gray.png?" + Date.now();
  result.src = "/result.png?" + Date.now();
  delete result.dataset.dots;  // whatever the server coloured last
}
// One request at a time: a change made while one is on its way is sent when it returns, so a drag
// cannot pile up requests and the picture always ends with the last dots. result.dataset.dots holds
// the dots the picture shows.
let busy = false, again = false;
async function update() {
  if (busy) { again = true; return; }
  const sent = JSON.stringify(dots), start = performance.now();
  if (sent === result.dataset.dots) { delete result.dataset.busy; return; }  // the picture shows these dots
  busy = true; again = false; result.dataset.busy = "1";
  status.textContent = "colorizing...";
  const response = await fetch("/colorize", {method: "POST", headers: {"Content-Type": "application/json"},
                                             body: JSON.stringify({dots: JSON.parse(sent)})});
  if (response.ok) {
    const url = URL.createObjectURL(await response.blob());
    result.src = url; document.getElementById("download").href = url;
    updates += 1; result.dataset.updates = updates; result.dataset.dots = sent;
    status.textContent = dots.length + " dot(s); updated in " + Math.round(performance.now() - start) + " ms";
  } else { status.textContent = (await response.json()).error; }
  busy = false;
  if (again) update(); else delete result.dataset.busy;
}
function pixel(event) {
  const rect = canvas.getBoundingClientRect();
  const x = Math.floor((event.clientX - rect.left - canvas.clientLeft) / SCALE);
  const y = Math.floor((event.clientY - rect.top - canvas.clientTop) / SCALE);
  return {x: Math.max(0, Math.min(photo.width - 1, x)), y: Math.max(0, Math.min(photo.height - 1, y))};
}
let drag = null;  // the dot under the pointer since pointerdown, and whether it has moved
canvas.addEventListener("pointerdown", (event) => {
  const p = pixel(event);
  let hit = -1;  // the dot drawn last (on top) wins
  dots.forEach((d, i) => { if (Math.abs(d.x - p.x) <= 1 && Math.abs(d.y - p.y) <= 1) hit = i; });
  drag = {dot: hit >= 0 ? dots[hit] : null, moved: false};
  canvas.setPointerCapture(event.pointerId);
});
canvas.addEventListener("pointermove", (event) => {
  if (!drag || !drag.dot) return;
  const p = pixel(event);
  if (p.x === drag.dot.x && p.y === drag.dot.y) return;
  drag.dot.x = p.x; drag.dot.y = p.y; drag.moved = true;
  draw(); update();
});
canvas.addEventListener("pointerup", (event) => {
  if (!drag) return;
  const p = pixel(event), {dot, moved} = drag;
  drag = null;
  if (!dot) dots.push({x: p.x, y: p.y, color: document.getElementById("color").value});
  else if (!moved) dots.splice(dots.indexOf(dot), 1);
  draw(); update();
});
canvas.addEventListener("pointercancel", () => { drag = null; });
document.getElementById("undo").onclick = () => { dots.pop(); draw(); update(); };
document.getElementById("clear").onclick = () => { dots = []; draw(); update(); };
document.getElementById("file").onchange = async (event) => {
  const form = new FormData(); form.append("photo", event.target.files[0]);
  const response = await fetch("/open", {method: "POST", body: form});
  if (!response.ok) { status.textContent = (await response.json()).error; return; }
  dots = []; load(); status.textContent = "opened; click to put a colour dot";
};
load();
</script></body></html>
"""
