"""chroma-lab turing against a hostile or unlucky user: every refusal is clean and costs nothing.

Tokens with any characters, requests from another site or host name, oversized chunked bodies,
reloads that would show a pair twice, the instructor's pages behind their own token, refused
runs that must leave no files (a truncated photo, a missing model, a photo of 100 megapixels, a
taken port, Ctrl-C while colorizing), and what the terminal shows when the server stops.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import signal
import socket
import socketserver
import sqlite3
import subprocess
import sys
import threading
import warnings
import zlib

import numpy as np
import pytest
from PIL import Image

from chroma_lab import cli
from chroma_lab.data import ImageReadError
from chroma_lab.models.base import GrayColorizer
from chroma_lab.turing import add_arguments, main
from chroma_lab.turing.app import RESULTS_COOKIE, TOKEN_COOKIE, create_app, serve
from chroma_lab.turing.prepare import load_manifest, prepare
from chroma_lab.turing.store import Store

CLASS_TOKEN, RESULTS_TOKEN = "class-token-for-the-room", "instructor-only-token"


@pytest.fixture(scope="module")
def photos_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(0)
    for i in range(3):
        Image.fromarray(rng.integers(0, 256, (12, 16, 3), dtype=np.uint8)).save(folder / f"photo{i}.png")
    return folder


@pytest.fixture(scope="module")
def gray():
    return GrayColorizer().fit(np.zeros((1, 2, 2, 3), np.uint8))


@pytest.fixture(scope="module")
def prepared(tmp_path_factory, photos_dir, gray):
    out = tmp_path_factory.mktemp("prepared") / "test"
    prepare(out, photos_dir, {"gray": gray}, log=lambda line: None)
    return out


@pytest.fixture
def out(prepared, tmp_path):
    return shutil.copytree(prepared, tmp_path / "out")


def start(client, **kwargs) -> str:
    response = client.post("/start", **kwargs)
    assert response.status_code == 303, response.data
    return response.headers["Location"].rsplit("/", 1)[1]


def count(out, table) -> int:
    with sqlite3.connect(out / "turing.sqlite") as db:
        return db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


# ----------------------------------------------------------------------------------------------
# tokens
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("where", ["query", "cookie", "post query"])
@pytest.mark.parametrize("value", ["é", "%C3%A9", "\u2603" * 30, "%FF", "%00"])
def test_a_token_of_any_characters_is_refused_cleanly(out, where, value):
    client = create_app(out, token=CLASS_TOKEN).test_client()
    if where == "cookie":
        client.set_cookie(TOKEN_COOKIE, value)
        responses = [client.get("/"), client.get("/results")]
    elif where == "query":
        responses = [client.get(f"/?token={value}"), client.get(f"/results?token={value}")]
    else:
        responses = [client.post(f"/start?token={value}")]
    for response in responses:
        assert response.status_code == 403  # was a 500: compare_digest refuses non-ASCII text
        assert b"token" in response.data
    assert count(out, "participants") == 0


@pytest.mark.parametrize("value", ["é", "%C3%A9", "%FF"])
def test_a_results_token_of_any_characters_is_refused_cleanly(out, value):
    client = create_app(out, token=CLASS_TOKEN, results_token=RESULTS_TOKEN).test_client()
    assert client.get(f"/results?token={value}").status_code == 403
    client.set_cookie(RESULTS_COOKIE, value)
    assert client.get("/results.csv").status_code == 403


def test_a_participant_token_cannot_read_the_results(out):
    app = create_app(out, n_trials=2, token=CLASS_TOKEN, results_token=RESULTS_TOKEN)
    student = app.test_client()
    assert student.get(f"/?token={CLASS_TOKEN}").status_code == 303  # the class cookie is set
    participant = start(student)
    assert student.post("/answer", json={"participant": participant, "trial": 0, "choice": "left"}).status_code == 200
    for path in ("/results", "/results.csv", f"/results?token={CLASS_TOKEN}", f"/results.csv?token={CLASS_TOKEN}"):
        refused = student.get(path)
        assert refused.status_code == 403 and b"instructor" in refused.data, path
    teacher = app.test_client()
    assert teacher.get("/results").status_code == 403
    first = teacher.get(f"/results?token={RESULTS_TOKEN}")
    assert first.status_code == 303 and first.headers["Location"] == "/results"
    assert RESULTS_COOKIE in first.headers["Set-Cookie"] and "HttpOnly" in first.headers["Set-Cookie"]
    page = teacher.get("/results")
    assert page.status_code == 200 and b"1 participant." in page.data
    assert teacher.get("/results.csv").data.decode().splitlines()[1].startswith("gray,1,")
    assert teacher.get("/").status_code == 200  # the instructor may take the test too


def test_the_local_server_guards_the_results_with_the_instructors_token(out):
    client = create_app(out, results_token=RESULTS_TOKEN).test_client()  # no class token: 127.0.0.1
    assert client.get("/").status_code == 200
    assert client.get("/results").status_code == 403
    assert client.get("/results.csv").status_code == 403
    assert client.get(f"/results.csv?token={RESULTS_TOKEN}").status_code == 303
    assert client.get("/results.csv").status_code == 200


def test_create_app_refuses_one_token_for_both(out):
    with pytest.raises(ValueError, match="must differ"):
        create_app(out, token=CLASS_TOKEN, results_token=CLASS_TOKEN)
    with pytest.raises(ValueError, match="ASCII"):
        create_app(out, results_token="é" * 10)


# ----------------------------------------------------------------------------------------------
# another site, another host name
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "192.168.1.20:8000", "localhost.evil.example"])
def test_the_local_server_answers_only_to_this_computers_names(out, host):
    client = create_app(out).test_client()  # DNS rebinding: a foreign name resolving to 127.0.0.1
    for method, path in (("get", "/"), ("post", "/start"), ("get", "/results")):
        response = getattr(client, method)(path, headers={"Host": host})
        assert response.status_code == 403 and b"this computer only" in response.data, (method, path)
    assert count(out, "participants") == 0


@pytest.mark.parametrize("host", ["localhost:8000", "127.0.0.1:8000", "127.0.0.1", "[::1]:8123"])
def test_the_local_server_answers_to_its_own_names(out, host):
    client = create_app(out).test_client()
    assert client.get("/", headers={"Host": host}).status_code == 200
    assert start(client, headers={"Host": host, "Origin": f"http://{host}"})


FOREIGN = [{"Origin": "http://evil.example"}, {"Origin": "null"}, {"Origin": "http://localhost:9999"},
           {"Origin": "https://localhost"}, {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"}]


@pytest.mark.parametrize("token", [None, CLASS_TOKEN])
@pytest.mark.parametrize("headers", FOREIGN, ids=[next(iter(h.values())) for h in FOREIGN])
def test_a_post_from_another_site_is_refused(out, token, headers):
    client = create_app(out, n_trials=2, token=token).test_client()
    query = {"token": token} if token else {}
    participant = start(client, query_string=query)
    answer = {"participant": participant, "trial": 0, "choice": "left"}
    for path, kwargs in (("/start", {}), ("/answer", {"json": answer})):
        response = client.post(path, headers=headers, query_string=query, **kwargs)
        assert response.status_code == 403 and "cannot post" in response.get_data(as_text=True), path
    assert count(out, "participants") == 1 and count(out, "answers") == 0
    own = {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}  # what our own page sends
    assert client.post("/answer", json=answer, headers=own, query_string=query).status_code == 200


# ----------------------------------------------------------------------------------------------
# bodies, reloads, results
# ----------------------------------------------------------------------------------------------
@pytest.fixture
def live(out):
    """The app behind Werkzeug's real server (chunked bodies are the server's business)."""
    server = serve(create_app(out, n_trials=2), "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "application/json"])
def test_a_chunked_body_over_the_limit_gets_413(out, live, content_type):
    participant = Store(out).create_participant([("photo0", "gray", "left")], seed=0)

    def post_chunked(pad: bytes) -> int:
        if content_type == "application/json":
            body = b'{"participant": "%s", "trial": 0, "choice": "left", "pad": "%s"}' % (participant.encode(), pad)
        else:
            body = b"participant=%s&trial=0&choice=left&pad=%s" % (participant.encode(), pad)
        connection = http.client.HTTPConnection("127.0.0.1", live, timeout=30)
        connection.request("POST", "/answer", body=(body[i : i + 8192] for i in range(0, len(body), 8192)),
                           encode_chunked=True, headers={"Content-Type": content_type})  # fmt: skip
        response = connection.getresponse()
        text = response.read()
        connection.close()
        return response.status, text

    status, text = post_chunked(b"x" * 200_000)
    assert status == 413 and b"too large" in text  # was 400: the body was read as empty
    assert count(out, "answers") == 0
    assert post_chunked(b"x" * 100)[0] in (200, 303)  # a chunked answer within the limit is stored
    assert count(out, "answers") == 1


def test_a_reloaded_trial_shows_its_pictures_once(out):
    client = create_app(out, n_trials=2, display_seconds=1).test_client()
    participant = start(client)
    first = client.get(f"/trial/{participant}")
    assert first.status_code == 200 and first.data.count(b"<img") == 2
    for side in ("left", "right"):
        assert client.get(f"/image/{participant}/0/{side}").status_code == 200
    again = client.get(f"/image/{participant}/0/left")
    assert again.status_code == 410 and b"shown already" in again.data  # was 200: a second look
    reload = client.get(f"/trial/{participant}")
    assert reload.status_code == 200 and b"<img" not in reload.data and b'data-seen="1"' in reload.data
    assert b'name="trial" value="0"' in reload.data  # the question is still asked
    posted = client.post("/answer", data={"participant": participant, "trial": "0", "choice": "left"})
    assert posted.status_code == 303
    following = client.get(f"/trial/{participant}")
    assert following.data.count(b"<img") == 2 and b'name="trial" value="1"' in following.data
    assert client.get(f"/image/{participant}/0/right").status_code == 410  # answered: never again


def test_a_trial_page_requested_before_its_pictures_still_shows_them(out):
    client = create_app(out, n_trials=2).test_client()
    participant = start(client)
    client.get(f"/trial/{participant}")  # a page that never loaded its pictures (closed at once)
    assert client.get(f"/trial/{participant}").data.count(b"<img") == 2


def test_concurrent_requests_for_one_picture_send_it_once(out):
    store = Store(out)
    participant = store.create_participant([("photo0", "gray", "left")], seed=0)
    outcomes, barrier = [], threading.Barrier(6)

    def fetch():
        barrier.wait()
        outcomes.append(store.mark_shown(participant, 0, "left"))

    threads = [threading.Thread(target=fetch) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == [False] * 5 + [True]


def test_results_count_only_the_participants_who_answered(out):
    client = create_app(out, n_trials=2).test_client()
    answering = start(client)
    for _ in range(4):
        start(client)  # pressed Start and left
    assert client.post("/answer", json={"participant": answering, "trial": 0, "choice": "left"}).status_code == 200
    page = client.get("/results").data.decode()
    assert "1 participant." in page  # was "5 participants"
    assert Store(out).count_participants() == 5 and Store(out).count_participants(answered=True) == 1


# ----------------------------------------------------------------------------------------------
# refused runs leave no files
# ----------------------------------------------------------------------------------------------
def truncated_photos(tmp_path, photos_dir):
    folder = tmp_path / "photos"
    shutil.copytree(photos_dir, folder)
    data = (folder / "photo1.png").read_bytes()
    (folder / "photo1.png").write_bytes(data[: len(data) // 2])
    return folder


def test_a_truncated_photo_leaves_no_files(tmp_path, photos_dir, gray):
    out = tmp_path / "new" / "test"
    with pytest.raises(ImageReadError, match="photo1.png"):
        prepare(out, truncated_photos(tmp_path, photos_dir), {"gray": gray}, log=lambda line: None)
    assert not (tmp_path / "new").exists()  # was: turing.sqlite and photo0's pictures


def test_a_failed_run_keeps_the_test_prepared_before_it(out, tmp_path, photos_dir):
    before = {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}

    class Black:  # colorizes differently from the test's "gray": an overwritten picture would show
        def colorize(self, gray_images):
            return np.zeros((*gray_images.shape, 3), np.uint8)

    class Broken:
        def colorize(self, gray_images):
            raise KeyboardInterrupt  # Ctrl-C while colorizing

    with pytest.raises(KeyboardInterrupt):
        prepare(out, photos_dir, {"gray": Black(), "broken": Broken()}, log=lambda line: None)
    with pytest.raises(ImageReadError):
        prepare(out, truncated_photos(tmp_path, photos_dir), {"gray": Black()}, log=lambda line: None)
    after = {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    assert after == before
    assert load_manifest(out)["methods"] == ["gray"]


def test_a_run_killed_while_preparing_leaves_nothing_for_the_next(out, photos_dir, gray):
    stale = out / ".preparing-killed"  # what kill -9 leaves: a staging folder never moved in
    (stale / "images" / "real").mkdir(parents=True)
    (stale / "images" / "real" / "photo0.png").write_bytes(b"half a picture")
    prepare(out, photos_dir, {"gray": gray}, log=lambda line: None)
    assert sorted(p.name for p in out.iterdir()) == ["images", "manifest.json"]


def test_a_missing_model_leaves_no_files(tmp_path, photos_dir):
    from chroma_lab.models.registry import ModelFolderError

    out = tmp_path / "out"
    with pytest.raises(ModelFolderError, match="nowhere"):
        prepare(out, photos_dir, {"zhang": tmp_path / "nowhere"}, log=lambda line: None)
    assert not out.exists()


def huge_png(path, side=10_000) -> None:
    """A valid gray PNG of side x side pixels (100 megapixels by default) in about 100 KB."""

    def chunk(kind, data):
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    compressor, row, parts = zlib.compressobj(9), b"\0" * (side + 1), []
    for _ in range(side):
        parts.append(compressor.compress(row))
    parts.append(compressor.flush())
    header = side.to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0])  # 8-bit gray
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"".join(parts)) + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def huge_photos(tmp_path_factory, photos_dir):
    """The three photos and a 100-megapixel PNG (written once: compressing it takes a second)."""
    folder = tmp_path_factory.mktemp("huge") / "photos"
    shutil.copytree(photos_dir, folder)
    huge_png(folder / "huge.png")
    return folder


def test_a_100_megapixel_photo_is_refused_from_its_header(tmp_path, huge_photos, gray):
    folder = huge_photos
    assert (folder / "huge.png").stat().st_size < 200_000
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(folder / "huge.png") as check:  # the crafted file is what it claims to be
            assert check.size == (10_000, 10_000) and check.format == "PNG"
    with pytest.raises(ImageReadError, match=r"huge\.png': it has .*pixels"):
        prepare(tmp_path / "out", folder, {"gray": gray}, log=lambda line: None)
    assert not (tmp_path / "out").exists()


# ----------------------------------------------------------------------------------------------
# the command: the port first, Ctrl-C, the terminal
# ----------------------------------------------------------------------------------------------
def parse(*argv):
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(argv)


def fake_models(monkeypatch) -> list:
    import chroma_lab.turing as turing_module

    loaded = []
    fitted = GrayColorizer().fit(np.zeros((1, 2, 2, 3), np.uint8))
    monkeypatch.setattr(turing_module, "load_models", lambda models: loaded.extend(models) or dict.fromkeys(models, fitted))
    return loaded


def test_a_taken_port_is_refused_before_anything_is_colorized(tmp_path, photos_dir, monkeypatch, capfd):
    loaded = fake_models(monkeypatch)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        status = cli.main(["turing", "--models", "runs/zhang", "--images", str(photos_dir),
                           "--out", str(tmp_path / "out"), "--port", str(port)])  # fmt: skip
    captured = capfd.readouterr()
    assert status == 1 and captured.out == ""
    assert captured.err.splitlines() == [
        f"chroma-lab turing: error: cannot listen on 127.0.0.1:{port} (Address already in use); try another --port"
    ]  # was Werkzeug's two lines, after colorizing everything
    assert loaded == [] and not (tmp_path / "out").exists()


def test_ctrl_c_says_where_the_answers_are(tmp_path, photos_dir, monkeypatch, capsys):
    fake_models(monkeypatch)

    def interrupted(self, poll_interval=0.5):
        raise KeyboardInterrupt  # what the terminal's Ctrl-C raises inside the serving loop

    monkeypatch.setattr(socketserver.BaseServer, "serve_forever", interrupted)  # below Werkzeug's own
    out = tmp_path / "out"
    status = main(parse("--models", "runs/zhang", "--images", str(photos_dir), "--out", str(out), "--port", "0"))
    printed = capsys.readouterr().out
    assert status == 130  # was 0, with nothing printed: Werkzeug swallows the KeyboardInterrupt
    assert printed.splitlines()[-1] == f"stopped; answers are kept in {out / 'turing.sqlite'}"
    results_token = Store(out).token(kind="results")
    assert f"results?token={results_token}" in printed and results_token != Store(out).token()


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    """An untrained small Zhang model (epochs=0): the command only needs one that loads."""
    from chroma_lab.scenes import synthetic_scenes
    from chroma_lab.models.zhang2016 import ZhangColorizer

    folder = tmp_path_factory.mktemp("models") / "zhang"
    ZhangColorizer(image_size=16, epochs=0, batch_size=4, verbose=0).fit(synthetic_scenes(4, size=16, seed=0)[0]).save(folder)
    return folder


@pytest.mark.slow
def test_the_terminal_shows_the_addresses_and_the_stop_line_only(model_dir, photos_dir, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "CHROMA_LAB_DEBUG")}
    out = tmp_path / "out"
    command = [sys.executable, "-m", "chroma_lab.cli", "turing", "--models", str(model_dir), "--images",
               str(photos_dir), "--out", str(out), "--port", "0"]  # fmt: skip
    # Ctrl-C's default in the child, as in a terminal: a child inherits an ignored SIGINT, and Python
    # then raises no KeyboardInterrupt at all (a pytest worker may be ignoring it by the time this runs)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # fmt: skip
    try:
        lines = []
        while not lines or not lines[-1].startswith("listening on this computer only"):
            line = process.stdout.readline()
            assert line, f"the command ended early: {process.stderr.read()}"
            lines.append(line.rstrip("\n"))
        process.send_signal(signal.SIGINT)
        rest, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130
    assert err == ""  # no TensorFlow start-up notes, no Werkzeug lines
    assert lines[-3].startswith("participants: http://127.0.0.1:") and lines[-2].startswith("results:")
    assert rest.splitlines() == [f"stopped; answers are kept in {out / 'turing.sqlite'}"]


REFUSED_RUNS = {  # case -> (extra arguments, words of the one error line)
    "no images": (["--models", "runs/zhang"], "--models and --images are needed"),
    "same method name": (["--models", "a/zhang", "b/zhang", "--images", "{photos}"], "same folder name"),
    "images not a folder": (["--models", "runs/zhang", "--images", "{photos}/photo0.png"], "is not a folder"),
    "no photos": (["--models", "runs/zhang", "--images", "{empty}"], "holds no image files"),
    "truncated photo": (["--models", "runs/zhang", "--images", "{truncated}"], "photo1.png"),
    "100 megapixels": (["--models", "runs/zhang", "--images", "{huge}"], "huge.png"),
    "report without a test": (["--report"], "holds no Turing test"),
}


@pytest.mark.parametrize("case", list(REFUSED_RUNS))
def test_each_refused_run_is_one_line_and_no_files(case, tmp_path, photos_dir, huge_photos, monkeypatch, capfd):
    fake_models(monkeypatch)
    extra, words = REFUSED_RUNS[case]
    folders = {"photos": photos_dir, "empty": tmp_path / "empty", "truncated": tmp_path / "photos", "huge": huge_photos}
    if "{empty}" in extra:
        folders["empty"].mkdir()
    if "{truncated}" in extra:
        truncated_photos(tmp_path, photos_dir)
    out = tmp_path / "out"
    status = cli.main(["turing", "--out", str(out), "--port", "0", *(a.format(**folders) for a in extra)])
    err = capfd.readouterr().err
    assert status == 1
    assert len(err.splitlines()) == 1 and err.startswith("chroma-lab turing: error: ") and words in err, err
    assert not out.exists()
