"""chroma-lab turing: statistics, trial order, preparation, the store and every route of the app."""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import threading

import numpy as np
import pytest
from PIL import Image

from chroma_lab.data import load_image
from chroma_lab.models.base import GrayColorizer
from chroma_lab.models.lookup import LookupColorizer
from chroma_lab.turing import add_arguments, is_loopback, main, model_folders, report
from chroma_lab.turing.app import TOKEN_COOKIE, create_app
from chroma_lab.turing.prepare import all_trials, load_manifest, prepare, trial_order
from chroma_lab.turing.stats import csv_text, fooling_rates, format_rows, wilson_interval
from chroma_lab.turing.store import AnswerRefused, Store, UnknownParticipant

N_PHOTOS, METHODS = 4, ("gray", "lookup")


# ----------------------------------------------------------------------------------------------
# fixtures: four 24x32 photos, two cheap colorizers, one prepared folder copied per test
# ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def photos_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(0)
    for i in range(N_PHOTOS):
        Image.fromarray(rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)).save(folder / f"photo{i}.png")
    (folder / "notes.txt").write_text("not a photo")
    (folder / ".hidden.png").write_bytes(b"")
    return folder


@pytest.fixture(scope="module")
def colorizers(photos_dir):
    images = np.stack([load_image(p) for p in sorted(photos_dir.glob("photo*.png"))])
    return {"gray": GrayColorizer().fit(images),
            "lookup": LookupColorizer(n_colors=4, random_state=0).fit(images)}  # fmt: skip


@pytest.fixture(scope="module")
def prepared(tmp_path_factory, photos_dir, colorizers):
    out = tmp_path_factory.mktemp("prepared") / "test"
    prepare(out, photos_dir, colorizers, log=lambda line: None)
    return out


@pytest.fixture
def out(prepared, tmp_path):
    copy = tmp_path / "out"
    shutil.copytree(prepared, copy)
    return copy


def start(client) -> str:
    response = client.post("/start")
    assert response.status_code == 303
    return response.headers["Location"].rsplit("/", 1)[1]


def stored(out) -> int:
    with sqlite3.connect(out / "turing.sqlite") as db:
        return db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]


# ----------------------------------------------------------------------------------------------
# stats
# ----------------------------------------------------------------------------------------------
def test_wilson_matches_hand_computation():
    # k = 3, n = 10, z = 1.959964: centre = (0.3 + z^2/20) / (1 + z^2/10) = 0.3640
    # half = z / (1 + z^2/10) * sqrt(0.3 * 0.7 / 10 + z^2 / 400) = 0.2562
    low, high = wilson_interval(3, 10)
    assert low == pytest.approx(0.10779, abs=1e-5) and high == pytest.approx(0.60322, abs=1e-5)


@pytest.mark.parametrize("k, n", [(0, 1), (1, 1), (0, 5), (5, 5), (7, 40), (20, 40), (123, 400)])
@pytest.mark.parametrize("confidence", [0.95, 0.9])
def test_wilson_matches_scipy(k, n, confidence):
    from scipy.stats import binomtest

    expected = binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    low, high = wilson_interval(k, n, confidence)
    assert low == pytest.approx(expected.low, abs=1e-12) and high == pytest.approx(expected.high, abs=1e-12)
    assert 0 <= low <= k / n <= high <= 1


@pytest.mark.parametrize("k, n, confidence", [(1, 0, 0.95), (-1, 5, 0.95), (6, 5, 0.95), (1, 5, 1.0),
                                              (1, 5, 0), (1.5, 5, 0.95), (True, 5, 0.95)])  # fmt: skip
def test_wilson_refuses_bad_arguments(k, n, confidence):
    with pytest.raises(ValueError, match="trials|successes|confidence"):
        wilson_interval(k, n, confidence)


def test_fooling_rates_rows_csv_and_table():
    judgements = [("a", True), ("a", False), ("a", False), ("a", True), ("z", True)]
    rows = fooling_rates(judgements, methods=["b", "a"])
    assert [r["method"] for r in rows] == ["b", "a", "z"]
    assert rows[0] == {"method": "b", "judgements": 0, "fooled": 0, "fooling_rate": None,
                       "ci_low": None, "ci_high": None}  # fmt: skip
    assert (rows[1]["judgements"], rows[1]["fooled"], rows[1]["fooling_rate"]) == (4, 2, 0.5)
    assert (rows[1]["ci_low"], rows[1]["ci_high"]) == wilson_interval(2, 4)
    lines = csv_text(rows).splitlines()
    assert lines[0] == "method,judgements,fooled,fooling_rate,ci_low,ci_high"
    assert lines[1] == "b,0,0,,," and lines[2].startswith("a,4,2,0.5000,0.1500,")
    assert "no judgements yet" in format_rows(rows) and " 50.0%" in format_rows(rows)


# ----------------------------------------------------------------------------------------------
# trial order and preparation
# ----------------------------------------------------------------------------------------------
def test_trial_order_is_seeded_distinct_and_capped(prepared):
    manifest = load_manifest(prepared)
    pairs = all_trials(manifest)
    assert len(pairs) == N_PHOTOS * len(METHODS)
    first = trial_order(manifest, 5, seed=7)
    assert first == trial_order(manifest, 5, seed=7)
    assert len(first) == 5 and len({t[:2] for t in first}) == 5
    assert all(t[:2] in pairs and t[2] in ("left", "right") for t in first)
    assert {tuple(trial_order(manifest, 5, seed=s)) for s in range(10)} != {tuple(first)}
    everything = trial_order(manifest, 40, seed=1)
    assert sorted(t[:2] for t in everything) == sorted(pairs)
    with pytest.raises(ValueError, match="n_trials"):
        trial_order(manifest, 0, seed=1)


def test_prepare_writes_photos_colorizations_and_manifest(prepared, photos_dir, colorizers):
    manifest = load_manifest(prepared)
    assert manifest["methods"] == list(METHODS)
    assert [e["name"] for e in manifest["images"]] == [f"photo{i}" for i in range(N_PHOTOS)]
    from chroma_lab.data import to_gray

    for entry in manifest["images"]:
        real = load_image(photos_dir / f"{entry['name']}.png")
        np.testing.assert_array_equal(load_image(prepared / entry["real"]), real)
        for name, colorizer in colorizers.items():
            expected = colorizer.colorize(to_gray(real)[None])[0]
            np.testing.assert_array_equal(load_image(prepared / entry["fake"][name]), expected)
    assert not list(prepared.rglob(".*.tmp*"))


def test_prepare_shrinks_large_photos(tmp_path, colorizers):
    (tmp_path / "in").mkdir()
    Image.fromarray(np.full((100, 50, 3), 128, np.uint8)).save(tmp_path / "in" / "tall.jpg")
    manifest = prepare(tmp_path / "out", tmp_path / "in", {"gray": colorizers["gray"]}, max_side=40,
                       log=lambda line: None)  # fmt: skip
    assert load_image(tmp_path / "out" / manifest["images"][0]["real"]).shape == (40, 20, 3)
    assert load_image(tmp_path / "out" / manifest["images"][0]["fake"]["gray"]).shape == (40, 20, 3)


@pytest.mark.parametrize("case, message", [
    ("no photos", "holds no image files"), ("same stem", "would share the name"),
    ("no models", "models is empty"), ("bad name", "method name"), ("not a folder", "not a folder"),
])  # fmt: skip
def test_prepare_refuses(tmp_path, colorizers, case, message):
    images = tmp_path / "in"
    images.mkdir()
    picture = Image.fromarray(np.zeros((8, 8, 3), np.uint8))
    if case != "no photos":
        picture.save(images / "a.png")
    if case == "same stem":
        picture.save(images / "a.jpg")
    models = {"../x" if case == "bad name" else "gray": colorizers["gray"]}
    with pytest.raises((ValueError, NotADirectoryError), match=message):
        prepare(tmp_path / "out", images / "a.png" if case == "not a folder" else images,
                {} if case == "no models" else models, log=lambda line: None)  # fmt: skip


def test_prepare_keeps_a_test_with_participants(out, photos_dir, colorizers):
    create_app(out).test_client().post("/start")
    before = (out / "manifest.json").read_text()
    assert prepare(out, photos_dir, colorizers, log=lambda line: None) == json.loads(before)
    with pytest.raises(ValueError, match="already holds answers"):
        prepare(out, photos_dir, {"gray": colorizers["gray"]}, log=lambda line: None)
    assert (out / "manifest.json").read_text() == before


def test_create_app_refuses_unprepared_folder_and_bad_options(tmp_path, out):
    with pytest.raises(ValueError, match="holds no Turing test"):
        create_app(tmp_path)
    with pytest.raises(ValueError, match="display_seconds"):
        create_app(out, display_seconds=0)
    with pytest.raises(ValueError, match="n_trials"):
        create_app(out, n_trials=0)
    with pytest.raises(ValueError, match="token"):
        create_app(out, token="short")


# ----------------------------------------------------------------------------------------------
# routes
# ----------------------------------------------------------------------------------------------
def test_start_page_and_start(out):
    client = create_app(out, n_trials=3, display_seconds=0.25).test_client()
    page = client.get("/")
    assert page.status_code == 200 and b"3 trials" in page.data and b"0.25 seconds" in page.data
    assert client.get("/static/turing.js").status_code == 200
    assert client.get("/start").status_code == 405
    participant = start(client)
    state = Store(out).participant(participant)
    assert len(state["trials"]) == 3 and state["answers"] == []
    assert state["trials"] == trial_order(load_manifest(out), 3, state["seed"])
    assert start(client) != participant


def test_trial_page_images_and_score(out):
    client = create_app(out, n_trials=2, display_seconds=0.5).test_client()
    participant = start(client)
    page = client.get(f"/trial/{participant}")
    assert page.status_code == 200
    assert b'data-display-ms="500"' in page.data and b'name="trial" value="0"' in page.data
    manifest = load_manifest(out)
    trials = Store(out).participant(participant)["trials"]
    for i, (photo, method, real_side) in enumerate(trials):
        entry = next(e for e in manifest["images"] if e["name"] == photo)
        pictures = {side: client.get(f"/image/{participant}/{i}/{side}") for side in ("left", "right")}
        assert all(r.status_code == 200 and r.mimetype == "image/png" for r in pictures.values())
        fake_side = "left" if real_side == "right" else "right"
        assert pictures[real_side].data == (out / entry["real"]).read_bytes()
        assert pictures[fake_side].data == (out / entry["fake"][method]).read_bytes()
        if i == 0:  # the next trial's pictures are not shown before its turn
            assert client.get(f"/image/{participant}/1/left").status_code == 409
        answer = client.post("/answer", data={"participant": participant, "trial": str(i), "choice": real_side})
        assert answer.status_code == 303 and answer.headers["Location"] == f"/trial/{participant}"
    assert client.get(f"/trial/{participant}").headers["Location"] == f"/score/{participant}"
    score = client.get(f"/score/{participant}")
    assert score.status_code == 200 and b"<strong>2 of 2</strong>" in score.data
    assert client.get(f"/image/{participant}/0/left").status_code == 410  # each picture is sent once
    assert client.get(f"/image/{participant}/0/up").status_code == 404
    assert client.get(f"/image/{participant}/2/left").status_code == 404
    assert client.get("/image/nobody/0/left").status_code == 404


def test_unfinished_score_and_unknown_pages(out):
    client = create_app(out, n_trials=2).test_client()
    participant = start(client)
    assert b"answered 0 of 2" in client.get(f"/score/{participant}").data
    for path in ("/trial/nobody", "/score/nobody", "/nowhere"):
        response = client.get(path)
        assert response.status_code == 404 and b'id="message"' in response.data
    as_json = client.get("/trial/nobody", headers={"Accept": "application/json"})
    assert as_json.status_code == 404 and as_json.json["error"].startswith("no participant")


def test_results_page_and_csv_count_the_stored_answers(out):
    client = create_app(out, n_trials=8).test_client()
    for _ in range(2):
        participant = start(client)
        for i, (photo, method, real_side) in enumerate(Store(out).participant(participant)["trials"]):
            choice = real_side if method == "gray" else ("left" if real_side == "right" else "right")
            posted = client.post("/answer", json={"participant": participant, "trial": i, "choice": choice})
            assert posted.status_code == 200
    # gray never fools, lookup always does: 8 judgements each over 2 participants
    csv_lines = client.get("/results.csv").data.decode().splitlines()
    assert csv_lines[1:] == [f"gray,8,0,0.0000,0.0000,{wilson_interval(0, 8)[1]:.4f}",
                             f"lookup,8,8,1.0000,{wilson_interval(8, 8)[0]:.4f},1.0000"]  # fmt: skip
    page = client.get("/results").data.decode()
    assert "2 participants" in page and "<td>lookup</td><td>8</td><td>8</td>" in page and "100.0%" in page
    rows = report(out)
    assert [(r["method"], r["judgements"], r["fooled"]) for r in rows] == [("gray", 8, 0), ("lookup", 8, 8)]
    assert (out / "results.csv").read_text().splitlines() == csv_lines


# ----------------------------------------------------------------------------------------------
# bad answers: a clear status and message, nothing stored
# ----------------------------------------------------------------------------------------------
BAD_ANSWERS = [
    ("invalid JSON", dict(data="{trial: 0", content_type="application/json"), 400, "not a JSON object"),
    ("JSON list", dict(json=[1, 2]), 400, "not a JSON object"),
    ("JSON trial as text", dict(json={"trial": "0", "choice": "left"}), 400, "trial must be a whole number"),
    ("JSON trial bool", dict(json={"trial": False, "choice": "left"}), 400, "trial must be a whole number"),
    ("JSON trial float", dict(json={"trial": 0.0, "choice": "left"}), 400, "trial must be a whole number"),
    ("JSON trial missing", dict(json={"choice": "left"}), 400, "trial must be a whole number"),
    ("negative trial", dict(json={"trial": -1, "choice": "left"}), 400, "trial must be >= 0"),
    ("bad choice", dict(json={"trial": 0, "choice": "real"}), 400, "choice must be 'left' or 'right'"),
    ("no participant", dict(json={"participant": "", "trial": 0, "choice": "left"}), 400, "participant must be"),
    ("unknown participant", dict(json={"participant": "nobody", "trial": 0, "choice": "left"}), 404, "no participant"),
    ("form trial text", dict(data={"trial": "first", "choice": "left"}), 400, "trial must be a whole number"),
    ("form trial missing", dict(data={"choice": "left"}), 400, "trial must be a whole number"),
    ("form choice missing", dict(data={"trial": "0"}), 400, "choice must be"),
    ("plain text", dict(data="trial=0", content_type="text/plain"), 415, "form or as JSON"),
    ("out of order", dict(json={"trial": 1, "choice": "left"}), 409, "out of order: the next trial is 0"),
    ("beyond the trials", dict(json={"trial": 99, "choice": "left"}), 409, "out of order"),
    ("too large", dict(data={"trial": "0", "choice": "left", "pad": "x" * 20000}), 413, "too large"),
]  # fmt: skip


@pytest.mark.parametrize("case, request_kwargs, status, message", BAD_ANSWERS, ids=[c[0] for c in BAD_ANSWERS])
def test_bad_answers_are_refused_and_change_nothing(out, case, request_kwargs, status, message):
    client = create_app(out, n_trials=3).test_client()
    participant = start(client)
    for key in ("json", "data"):  # the participant's own id, unless the case sets one
        if isinstance(request_kwargs.get(key), dict):
            request_kwargs = {**request_kwargs, key: {"participant": participant, **request_kwargs[key]}}
    response = client.post("/answer", **request_kwargs)
    assert response.status_code == status
    text = response.json["error"] if response.is_json else response.data.decode()
    assert message in text
    assert stored(out) == 0


def test_replayed_and_finished_answers_are_refused(out):
    client = create_app(out, n_trials=2).test_client()
    participant = start(client)
    ok = {"participant": participant, "trial": 0, "choice": "left"}
    assert client.post("/answer", json=ok).status_code == 200
    replay = client.post("/answer", json={**ok, "choice": "right"})
    assert replay.status_code == 409 and "already answered" in replay.json["error"]
    form_replay = client.post("/answer", data={**ok, "trial": "0"})
    assert form_replay.status_code == 409 and b"already answered" in form_replay.data
    assert client.post("/answer", json={**ok, "trial": 1}).status_code == 200
    done = client.post("/answer", json={**ok, "trial": 2})
    assert done.status_code == 409 and "already answered all 2 trials" in done.json["error"]
    assert [a["choice"] for a in Store(out).answers(participant)] == ["left", "left"]
    assert client.get("/answer").status_code == 405


def test_concurrent_posts_of_one_trial_store_one_answer(out):
    store = Store(out)
    participant = store.create_participant(trial_order(load_manifest(out), 2, seed=0), seed=0)
    outcomes, barrier = [], threading.Barrier(4)

    def post(choice):
        barrier.wait()
        try:
            store.record_answer(participant, 0, choice)
            outcomes.append("stored")
        except AnswerRefused:
            outcomes.append("refused")

    threads = [threading.Thread(target=post, args=(c,)) for c in ("left", "right") * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["refused"] * 3 + ["stored"]
    assert len(store.answers(participant)) == 1
    with pytest.raises(UnknownParticipant):
        store.record_answer("nobody", 0, "left")


# ----------------------------------------------------------------------------------------------
# restart and token
# ----------------------------------------------------------------------------------------------
def test_a_new_app_on_the_same_folder_carries_on(out):
    first = create_app(out, n_trials=4).test_client()
    participant = start(first)
    for i in range(2):
        assert first.post("/answer", json={"participant": participant, "trial": i, "choice": "left"}).status_code == 200
    del first
    second = create_app(out, n_trials=4).test_client()  # "the server restarted"
    assert b'name="trial" value="2"' in second.get(f"/trial/{participant}").data
    assert second.post("/answer", json={"participant": participant, "trial": 1, "choice": "left"}).status_code == 409
    for i in (2, 3):
        posted = second.post("/answer", json={"participant": participant, "trial": i, "choice": "right"})
        assert posted.status_code == 200
    assert [a["choice"] for a in Store(out).answers(participant)] == ["left", "left", "right", "right"]
    assert second.get(f"/trial/{participant}").status_code == 303


def test_token_is_required_on_every_route(out):
    token = "s3cret-token-for-the-class"
    app = create_app(out, n_trials=2, token=token)
    insider = app.test_client()
    participant = start_with_token(insider, token)
    outsider = app.test_client()
    routes = [("get", "/"), ("post", "/start"), ("get", f"/trial/{participant}"),
              ("get", f"/image/{participant}/0/left"), ("get", f"/score/{participant}"),
              ("get", "/results"), ("get", "/results.csv"), ("get", "/static/turing.css"),
              ("get", "/?token=wrong-token-wrong")]  # fmt: skip
    for method, path in routes:
        response = getattr(outsider, method)(path)
        assert response.status_code == 403, path
        assert b"session token" in response.data
    refused = outsider.post("/answer", json={"participant": participant, "trial": 0, "choice": "left"})
    assert refused.status_code == 403 and "session token" in refused.json["error"]
    assert stored(out) == 0 and Store(out).count_participants() == 1
    # the insider's cookie opens every route; a POST may also carry the token as a parameter
    assert insider.get("/results").status_code == 200
    assert insider.get(f"/image/{participant}/0/left").status_code == 200
    assert outsider.post(f"/answer?token={token}", json={"participant": participant, "trial": 0,
                                                         "choice": "left"}).status_code == 200  # fmt: skip
    assert stored(out) == 1


def start_with_token(client, token) -> str:
    first = client.get(f"/?token={token}&lang=en")
    assert first.status_code == 303 and first.headers["Location"] == "/?lang=en"  # token out of the address bar
    assert TOKEN_COOKIE in first.headers["Set-Cookie"] and "HttpOnly" in first.headers["Set-Cookie"]
    assert client.get("/").status_code == 200
    return start(client)


def test_tokens_persist_in_the_folder(out):
    store = Store(out)
    assert store.token() is None
    token = store.token(create=True)
    assert len(token) >= 16 and Store(out).token() == token == Store(out).token(create=True)


# ----------------------------------------------------------------------------------------------
# command line
# ----------------------------------------------------------------------------------------------
def parse(*argv):
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(argv)


def test_main_report_prints_and_writes_csv(out, capsys):
    Store(out)  # a served test has its database, even before the first answer
    assert main(parse("--out", str(out), "--report")) == 0
    printed = capsys.readouterr().out
    assert "gray" in printed and "no judgements yet" in printed and "results.csv" in printed
    assert (out / "results.csv").read_text().splitlines()[1] == "gray,0,0,,,"


def test_main_refuses_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="--models and --images"):
        main(parse("--out", str(tmp_path)))
    with pytest.raises(ValueError, match="--trials"):
        main(parse("--out", str(tmp_path), "--models", "m", "--images", "i", "--trials", "0"))
    with pytest.raises(ValueError, match="holds no Turing test"):
        main(parse("--out", str(tmp_path), "--report"))
    with pytest.raises(ValueError, match="same folder name"):
        model_folders(["runs/a/zhang", "other/zhang"])
    assert list(model_folders(["runs/zhang", "runs/iizuka/"])) == ["zhang", "iizuka"]


@pytest.mark.parametrize("host, loopback", [("127.0.0.1", True), ("127.0.0.2", True), ("localhost", True),
                                            ("::1", True), ("0.0.0.0", False), ("192.168.1.20", False),
                                            ("example.org", False)])  # fmt: skip
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback



def fake_models(monkeypatch) -> list:
    """Every --models folder loads as a GrayColorizer (no Keras); returns the names loaded."""
    import chroma_lab.turing as turing_module

    loaded = []
    fitted = GrayColorizer().fit(np.zeros((1, 2, 2, 3), np.uint8))
    monkeypatch.setattr(turing_module, "load_models", lambda models: loaded.extend(models) or dict.fromkeys(models, fitted))
    return loaded


class _StoppedServer:
    """Stands in for Werkzeug's server: ``serve_forever`` returns at once, as after Ctrl-C."""

    server_address = ("127.0.0.1", 8123)

    def __init__(self, app, host, port):
        self.app, self.host, self.port = app, host, port

    def serve_forever(self):
        raise KeyboardInterrupt

    def server_close(self):
        pass


@pytest.mark.parametrize("host", ["127.0.0.1", "192.168.1.20", "0.0.0.0"])
def test_main_prepares_serves_and_prints_the_token_off_loopback(tmp_path, photos_dir, monkeypatch, capsys, host):
    import socket

    import chroma_lab.turing.app as app_module

    servers = []
    fake_models(monkeypatch)
    monkeypatch.setattr(app_module, "listen", lambda h, p: socket.socket())  # 192.168.1.20 is not ours
    monkeypatch.setattr(app_module, "serve",
                        lambda app, h, p, sock: servers.append(_StoppedServer(app, h, p)) or servers[-1])  # fmt: skip
    out = tmp_path / "out"
    args = parse("--models", "runs/zhang", "--images", str(photos_dir), "--out", str(out), "--host", host)
    assert main(args) == 130  # Ctrl-C
    printed = capsys.readouterr().out
    assert load_manifest(out)["methods"] == ["zhang"] and (servers[0].host, servers[0].port) == (host, 8000)
    token = Store(out).token()
    if host == "127.0.0.1":
        assert token is None and "participants: http://127.0.0.1:8123/\n" in printed
        assert servers[0].app.test_client().get("/").status_code == 200
    else:
        assert f"participants: http://{host}:8123/?token={token}\n" in printed
        assert ("listens on every network of this computer" in printed) == (host == "0.0.0.0")
        assert servers[0].app.test_client().get("/").status_code == 403
        assert main(args) == 130 and Store(out).token() == token  # a restart keeps the address


def test_main_names_a_port_in_use(tmp_path, photos_dir, monkeypatch):
    import socket

    fake_models(monkeypatch)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        args = parse("--models", "runs/zhang", "--images", str(photos_dir), "--out", str(tmp_path / "out"),
                     "--port", str(port))  # fmt: skip
        with pytest.raises(ValueError, match=f"cannot listen on 127.0.0.1:{port}"):
            main(args)
