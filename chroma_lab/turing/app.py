"""The web app of the Turing test: a Flask app factory over one prepared test folder.

Routes (every one needs the session token when the app has one; see :func:`create_app`):

=====================================  ===========================================================
``GET /``                              the instructions and a start button
``POST /start``                        issues a participant id and their trials -> the trial page
``GET /trial/<participant>``           the next unanswered trial (the score page when all are done)
``GET /image/<participant>/<i>/<side>``  the left or right picture of trial i (answered or next)
``POST /answer``                       form or JSON ``participant``, ``trial``, ``choice`` (left/right)
``GET /score/<participant>``           how many real photos the participant found
``GET /results``, ``GET /results.csv``  fooling rate per method with its 95% Wilson interval
=====================================  ===========================================================

Refusals, with nothing stored: 400 malformed body or fields, 403 missing or wrong token, 404
unknown participant, 409 replayed or out-of-order trial, 413 body over 16 KiB, 415 a body that is
neither a form nor JSON. A JSON request gets ``{"error": message}``, a browser a short page.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from urllib.parse import urlencode

from flask import Flask, Response, jsonify, redirect, render_template, request, send_file, url_for

from chroma_lab._checks import check_int, check_number
from chroma_lab.errors import ChromaLabError
from chroma_lab.turing.prepare import load_manifest, trial_order
from chroma_lab.turing.stats import csv_text, fooling_rates
from chroma_lab.turing.store import SIDES, AnswerRefused, Store, UnknownParticipant

TOKEN_PARAMETER = "token"
TOKEN_COOKIE = "chroma_lab_turing_token"


class Refused(Exception):
    """A request refused with an HTTP status and a message for the participant."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def create_app(out_dir, *, display_seconds: float = 1.0, n_trials: int = 40, token: str | None = None) -> Flask:
    """A Flask app serving the test prepared in ``out_dir`` (see :func:`~chroma_lab.turing.prepare.prepare`).

    Parameters
    ----------
    out_dir : str or os.PathLike
        The test folder; answers go to its ``turing.sqlite``, so a new app on the same folder
        carries on with the same participants.
    display_seconds : float > 0
        How long the pair is shown before the question.
    n_trials : int >= 1
        Trials per participant (at most the number of (photo, method) pairs).
    token : str or None
        When given, every request must carry it: as ``?token=`` (a GET then sets a cookie and
        redirects to the same page without it) or as that cookie; otherwise 403.
    """
    out_dir = Path(out_dir)
    manifest = load_manifest(out_dir)
    display_seconds = check_number(display_seconds, "display_seconds", low=0, low_open=True)
    n_trials = check_int(n_trials, "n_trials", low=1)
    if token is not None and (not isinstance(token, str) or len(token) < 8):
        raise ChromaLabError(f"token must be a string of at least 8 characters, got {token!r}")
    store = Store(out_dir)
    images = {entry["name"]: entry for entry in manifest["images"]}

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 16 * 1024
    app.config["TURING"] = {"out_dir": out_dir, "store": store, "manifest": manifest}

    @app.before_request
    def require_token():
        if token is None:
            return None
        given = request.args.get(TOKEN_PARAMETER)
        if given is not None and secrets.compare_digest(given, token):
            if request.method != "GET":
                return None
            # keep the token out of the address bar and the history from here on
            rest = {k: v for k, v in request.args.items() if k != TOKEN_PARAMETER}
            response = redirect(request.path + ("?" + urlencode(rest) if rest else ""), 303)
            response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="Strict")
            return response
        cookie = request.cookies.get(TOKEN_COOKIE)
        if cookie is not None and secrets.compare_digest(cookie, token):
            return None
        raise Refused(403, "this test needs its session token: open the address printed when the server started")

    @app.after_request
    def headers(response):
        response.headers["Referrer-Policy"] = "no-referrer"  # the token never leaks in a Referer
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(Refused)
    def refused(error: Refused):
        if request.is_json or request.accept_mimetypes.best == "application/json":
            return jsonify(error=error.message), error.status
        return render_template("message.html", status=error.status, message=error.message), error.status

    @app.errorhandler(404)
    def not_found(error):
        return refused(Refused(404, f"no page at {request.path}"))

    @app.errorhandler(405)
    def wrong_method(error):
        return refused(Refused(405, f"{request.path} does not accept {request.method}"))

    @app.errorhandler(413)
    def too_large(error):
        return refused(Refused(413, "the request body is too large"))

    @app.get("/")
    def start_page():
        return render_template("start.html", n_trials=min(n_trials, len(images) * len(manifest["methods"])),
                               display_seconds=display_seconds)  # fmt: skip

    @app.post("/start")
    def start():
        seed = secrets.randbits(31)
        participant = store.create_participant(trial_order(manifest, n_trials, seed), seed)
        return redirect(url_for("trial_page", participant=participant), 303)

    @app.get("/trial/<participant>")
    def trial_page(participant):
        state = _participant(store, participant)
        done, total = len(state["answers"]), len(state["trials"])
        if done == total:
            return redirect(url_for("score_page", participant=participant), 303)
        return render_template("trial.html", participant=participant, trial=done, total=total,
                               display_ms=round(1000 * display_seconds))  # fmt: skip

    @app.get("/image/<participant>/<int:trial>/<side>")
    def image(participant, trial, side):
        state = _participant(store, participant)
        if side not in SIDES or trial >= len(state["trials"]):
            raise Refused(404, f"no picture {side!r} for trial {trial}")
        if trial > len(state["answers"]):
            raise Refused(409, f"trial {trial} is not shown yet: answer trial {len(state['answers'])} first")
        photo, method, real_side = state["trials"][trial]
        entry = images.get(photo)
        if entry is None or method not in entry["fake"]:
            raise Refused(404, f"photo {photo!r} or method {method!r} is missing from this test's manifest")
        path = (out_dir / (entry["real"] if side == real_side else entry["fake"][method])).resolve()
        if out_dir.resolve() not in path.parents or not path.is_file():
            raise Refused(404, f"the picture of trial {trial} is missing from '{out_dir}'")
        return send_file(path, mimetype="image/png")

    @app.post("/answer")
    def answer():
        participant, trial, choice = _parse_answer()
        try:
            store.record_answer(participant, trial, choice)
        except UnknownParticipant as exc:
            raise Refused(404, str(exc)) from None
        except AnswerRefused as exc:
            raise Refused(409, str(exc)) from None
        following = url_for("trial_page", participant=participant)
        if request.is_json:
            return jsonify(stored=True, trial=trial, next=following)
        return redirect(following, 303)

    @app.get("/score/<participant>")
    def score_page(participant):
        state = _participant(store, participant)
        answers = store.answers(participant)
        correct = sum(not a["fooled"] for a in answers)
        return render_template("score.html", participant=participant, correct=correct,
                               done=len(answers), total=len(state["trials"]))  # fmt: skip

    @app.get("/results")
    def results_page():
        rows = fooling_rates(store.judgements(), manifest["methods"])
        return render_template("results.html", rows=rows, participants=store.count_participants())

    @app.get("/results.csv")
    def results_csv():
        rows = fooling_rates(store.judgements(), manifest["methods"])
        return Response(csv_text(rows), mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=results.csv"})  # fmt: skip

    return app


def serve(app: Flask, host: str = "127.0.0.1", port: int = 8000):
    """Werkzeug's threaded server for ``app`` (``port=0`` picks a free port); call ``serve_forever``."""
    from werkzeug.serving import make_server

    return make_server(host, port, app, threaded=True)


def _participant(store: Store, participant) -> dict:
    try:
        return store.participant(participant)
    except UnknownParticipant as exc:
        raise Refused(404, str(exc)) from None


def _parse_answer() -> tuple[str, int, str]:
    """``(participant, trial, choice)`` from a JSON or form body, or a 400/415 Refused naming the problem."""
    if request.mimetype == "application/json":
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise Refused(400, 'the body is not a JSON object; send {"participant": ..., "trial": ..., "choice": ...}')
        trial = body.get("trial")
        if isinstance(trial, bool) or not isinstance(trial, int):
            raise Refused(400, f"trial must be a whole number, got {trial!r}")
    elif request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        body = request.form
        trial = body.get("trial")
        if not (isinstance(trial, str) and trial.isascii() and trial.isdigit() and len(trial) < 10):
            raise Refused(400, f"trial must be a whole number, got {trial!r}")
        trial = int(trial)
    else:
        raise Refused(415, "send the answer as a form or as JSON (participant, trial, choice)")
    participant, choice = body.get("participant"), body.get("choice")
    if not isinstance(participant, str) or not participant:
        raise Refused(400, f"participant must be the id issued by the start page, got {participant!r}")
    if trial < 0:
        raise Refused(400, f"trial must be >= 0, got {trial}")
    if choice not in SIDES:
        raise Refused(400, f"choice must be 'left' or 'right', got {choice!r}")
    return participant, trial, choice
