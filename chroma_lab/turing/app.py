"""The web app of the Turing test: a Flask app factory over one prepared test folder.

Routes (see :func:`create_app` for who may open which):

=====================================  ===========================================================
``GET /``                              the instructions and a start button
``POST /start``                        issues a participant id and their trials -> the trial page
``GET /trial/<participant>``           the next unanswered trial (the score page when all are done)
``GET /image/<participant>/<i>/<side>``  the left or right picture of the next trial i, once
``POST /answer``                       form or JSON ``participant``, ``trial``, ``choice`` (left/right)
``GET /score/<participant>``           how many real photos the participant found
``GET /results``, ``GET /results.csv``  fooling rate per method with its 95% Wilson interval
=====================================  ===========================================================

Each picture is sent once: a reloaded trial page asks its question without the pictures (they
were shown for the display time already), so nobody sees a pair longer than the protocol says.

Refusals, with nothing stored: 400 malformed body or fields, 403 missing or wrong token, or a
request from another site, 404 unknown participant, 409 replayed or out-of-order trial, 410 a
picture already sent, 413 body over 16 KiB (chunked or not), 415 a body that is neither a form
nor JSON. A JSON request gets ``{"error": message}``, a browser a short page.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from flask import Flask, Response, current_app, jsonify, redirect, render_template, request, send_file, url_for

from chroma_lab._checks import check_int, check_number
from chroma_lab.errors import ChromaLabError
from chroma_lab.turing import is_loopback
from chroma_lab.turing.prepare import load_manifest, trial_order
from chroma_lab.turing.stats import csv_text, fooling_rates
from chroma_lab.turing.store import SIDES, AnswerRefused, Store, UnknownParticipant

TOKEN_PARAMETER = "token"
TOKEN_COOKIE = "chroma_lab_turing_token"
RESULTS_COOKIE = "chroma_lab_turing_results"
MAX_BODY = 16 * 1024
RESULTS_ENDPOINTS = ("results_page", "results_csv")


class Refused(Exception):
    """A request refused with an HTTP status and a message for the participant."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


@dataclass(frozen=True)
class Settings:
    """What the routes of one app need: its folder, store, manifest and options."""

    out_dir: Path
    store: Store
    manifest: dict
    display_seconds: float
    n_trials: int
    token: str | None
    results_token: str | None
    local_only: bool

    @property
    def images(self) -> dict:
        return {entry["name"]: entry for entry in self.manifest["images"]}


def create_app(out_dir, *, display_seconds: float = 1.0, n_trials: int = 40, token: str | None = None,
               results_token: str | None = None, local_only: bool | None = None) -> Flask:  # fmt: skip
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
        The class token. When given, every participant page needs it: as ``?token=`` (a GET then
        sets a cookie and redirects to the same page without it) or as that cookie; otherwise 403.
    results_token : str or None
        The instructor's token. When given, ``/results`` and ``/results.csv`` need it (the class
        token does not open them); it also opens the participant pages. When None, the results
        are as open as the rest.
    local_only : bool or None
        Answer only requests addressed to this computer (a ``Host`` of localhost, 127.x or
        ``[::1]``), so that a web page elsewhere cannot reach the server through its own domain
        name (DNS rebinding). Default: when there is no class token.

    Every POST whose ``Origin`` is another site is refused (a page open in the same browser
    cannot submit answers).
    """
    settings = _settings(out_dir, display_seconds, n_trials, token, results_token, local_only)
    app = Flask(__name__)
    # one byte over: Werkzeug cuts a chunked body at this length without an error, so a body
    # that reaches it is one that was too long (see _read_body)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY + 1
    app.config["TURING"] = settings
    app.before_request(_check_host_and_origin)
    app.before_request(_require_token)
    app.before_request(_read_body)
    app.after_request(_safe_headers)
    _add_error_pages(app)
    for rule, view, methods in ROUTES:
        app.add_url_rule(rule, view_func=view, methods=methods)
    return app


def serve(app: Flask, host: str = "127.0.0.1", port: int = 8000, sock=None):
    """Werkzeug's threaded server for ``app``; call ``serve_forever`` (it returns on Ctrl-C).

    ``sock`` is a socket from :func:`listen` (bound before the slow work); without it the server
    listens on ``host:port`` itself (``port=0`` picks a free port).
    """
    from werkzeug.serving import make_server

    own = sock is None
    sock = listen(host, port) if own else sock
    try:
        return make_server(host, port, app, threaded=True, fd=sock.fileno())  # it duplicates the socket
    finally:
        if own:
            sock.close()


def listen(host: str, port: int):
    """A socket listening on ``host:port``; ValueError in one line if that address cannot be had.

    Werkzeug binds its own socket after the app exists and exits with its own lines when the
    port is taken; binding first lets the command refuse before it colorizes anything.
    """
    import os
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=128)
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)  # not create_server's long form
        raise ChromaLabError(f"cannot listen on {host}:{port} ({reason}); try another --port") from None


# ----------------------------------------------------------------------------------------------
# set-up
# ----------------------------------------------------------------------------------------------
def _settings(out_dir, display_seconds, n_trials, token, results_token, local_only) -> Settings:
    out_dir = Path(out_dir)
    manifest = load_manifest(out_dir)
    for name, value in (("token", token), ("results_token", results_token)):
        if value is not None and (not isinstance(value, str) or len(value) < 8 or not value.isascii()):
            raise ChromaLabError(f"{name} must be an ASCII string of at least 8 characters, got {value!r}")
    if token is not None and token == results_token:
        raise ChromaLabError("token and results_token must differ: participants must not open the results")
    return Settings(out_dir=out_dir, store=Store(out_dir), manifest=manifest,
                        display_seconds=check_number(display_seconds, "display_seconds", low=0, low_open=True),
                        n_trials=check_int(n_trials, "n_trials", low=1), token=token, results_token=results_token,
                        local_only=token is None if local_only is None else bool(local_only))  # fmt: skip


def _test() -> Settings:
    return current_app.config["TURING"]


def _add_error_pages(app: Flask) -> None:
    app.register_error_handler(Refused, _refused)
    app.register_error_handler(404, lambda error: _refused(Refused(404, f"no page at {request.path}")))
    app.register_error_handler(
        405, lambda error: _refused(Refused(405, f"{request.path} does not accept {request.method}")))
    app.register_error_handler(413, lambda error: _refused(Refused(413, "the request body is too large")))


def _refused(error: Refused):
    if request.is_json or request.accept_mimetypes.best == "application/json":
        return jsonify(error=error.message), error.status
    return render_template("message.html", status=error.status, message=error.message), error.status


# ----------------------------------------------------------------------------------------------
# before and after every request
# ----------------------------------------------------------------------------------------------
def _check_host_and_origin():
    """Refuse a request for another host name (local server) and a POST from another site.

    A browser names the page a POST comes from in ``Origin`` (``null`` when that page hides it)
    and, in recent browsers, ``Sec-Fetch-Site``; a client that is no browser sends neither.
    """
    test = _test()
    if test.local_only and not is_loopback(_host_name(request.host)):
        raise Refused(403, f"this test answers on this computer only (localhost), not as {request.host!r}")
    if request.method != "POST":
        return
    origin, site = request.headers.get("Origin"), request.headers.get("Sec-Fetch-Site")
    foreign_origin = origin is not None and origin != f"{request.scheme}://{request.host}"
    if foreign_origin or site not in (None, "same-origin", "none"):
        raise Refused(403, f"a page of {origin or site!r} cannot post to this test; use the test's own pages")


def _require_token():
    """Let the request through if it carries a token that opens its page; 403 otherwise.

    A valid ``?token=`` on a GET becomes a cookie and a redirect to the same address without it.
    """
    keys = _keys_for(request.endpoint)
    if not keys:
        return None
    given = request.args.get(TOKEN_PARAMETER)
    for token, cookie in keys:
        if _same(given, token):
            if request.method != "GET":
                return None
            # keep the token out of the address bar and the history from here on
            rest = {k: v for k, v in request.args.items() if k != TOKEN_PARAMETER}
            response = redirect(request.path + ("?" + urlencode(rest) if rest else ""), 303)
            response.set_cookie(cookie, token, httponly=True, samesite="Strict")
            return response
    if any(_same(request.cookies.get(cookie), token) for token, cookie in keys):
        return None
    if request.endpoint in RESULTS_ENDPOINTS and _test().results_token is not None:
        raise Refused(403, "the results need the instructor's token: open the results address printed "
                           "when the server started")  # fmt: skip
    raise Refused(403, "this test needs its session token: open the address printed when the server started")


def _keys_for(endpoint) -> list[tuple[str, str]]:
    """(token, cookie) pairs any of which opens ``endpoint``; empty when it is open to all."""
    test = _test()
    results = [(test.results_token, RESULTS_COOKIE)] if test.results_token is not None else []
    if endpoint in RESULTS_ENDPOINTS and results:
        return results
    return [] if test.token is None else [(test.token, TOKEN_COOKIE)] + results


def _same(given, token: str) -> bool:
    """Constant-time comparison of any text a request carries (non-ASCII included) with ``token``."""
    if not isinstance(given, str):
        return False
    return secrets.compare_digest(given.encode("utf-8", "surrogatepass"), token.encode())


def _read_body():
    """Read a POST body whole, so that an oversized one is a 413 however it is sent (chunked too)."""
    if request.method == "POST" and len(request.get_data(cache=True)) > MAX_BODY:
        raise Refused(413, "the request body is too large")


def _safe_headers(response):
    # no Referer leaves the site; and unlike "no-referrer", our own forms keep their Origin
    # (instead of "null"), which _check_host_and_origin requires
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"  # a picture comes from the server, once
    return response


def _host_name(host: str) -> str:
    """``localhost`` of ``localhost:8000``, ``::1`` of ``[::1]:8000``."""
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


# ----------------------------------------------------------------------------------------------
# participants' pages
# ----------------------------------------------------------------------------------------------
def start_page():
    test = _test()
    n_pairs = len(test.manifest["images"]) * len(test.manifest["methods"])
    return render_template("start.html", n_trials=min(test.n_trials, n_pairs), display_seconds=test.display_seconds)


def start():
    test = _test()
    seed = secrets.randbits(31)
    participant = test.store.create_participant(trial_order(test.manifest, test.n_trials, seed), seed)
    return redirect(url_for("trial_page", participant=participant), 303)


def trial_page(participant):
    test = _test()
    state = _participant(participant)
    done, total = len(state["answers"]), len(state["trials"])
    if done == total:
        return redirect(url_for("score_page", participant=participant), 303)
    seen = bool(test.store.shown_sides(participant, done))  # a reload: the pictures are not shown again
    return render_template("trial.html", participant=participant, trial=done, total=total, seen=seen,
                           display_ms=round(1000 * test.display_seconds))  # fmt: skip


def image(participant, trial, side):
    test = _test()
    state = _participant(participant)
    done = len(state["answers"])
    if side not in SIDES or trial >= len(state["trials"]):
        raise Refused(404, f"no picture {side!r} for trial {trial}")
    if trial > done:
        raise Refused(409, f"trial {trial} is not shown yet: answer trial {done} first")
    if trial < done or not test.store.mark_shown(participant, trial, side):
        raise Refused(410, f"the {side} picture of trial {trial} was shown already; each pair is shown once")
    photo, method, real_side = state["trials"][trial]
    entry = test.images.get(photo)
    if entry is None or method not in entry["fake"]:
        raise Refused(404, f"photo {photo!r} or method {method!r} is missing from this test's manifest")
    path = (test.out_dir / (entry["real"] if side == real_side else entry["fake"][method])).resolve()
    if test.out_dir.resolve() not in path.parents or not path.is_file():
        raise Refused(404, f"the picture of trial {trial} is missing from '{test.out_dir}'")
    return send_file(path, mimetype="image/png")


def answer():
    participant, trial, choice = _parse_answer()
    try:
        _test().store.record_answer(participant, trial, choice)
    except UnknownParticipant as exc:
        raise Refused(404, str(exc)) from None
    except AnswerRefused as exc:
        raise Refused(409, str(exc)) from None
    following = url_for("trial_page", participant=participant)
    if request.is_json:
        return jsonify(stored=True, trial=trial, next=following)
    return redirect(following, 303)


def score_page(participant):
    state = _participant(participant)
    answers = _test().store.answers(participant)
    correct = sum(not a["fooled"] for a in answers)
    return render_template("score.html", participant=participant, correct=correct, done=len(answers),
                           total=len(state["trials"]))  # fmt: skip


# ----------------------------------------------------------------------------------------------
# the instructor's pages
# ----------------------------------------------------------------------------------------------
def results_page():
    test = _test()
    rows = fooling_rates(test.store.judgements(), test.manifest["methods"])
    return render_template("results.html", rows=rows, participants=test.store.count_participants(answered=True))


def results_csv():
    test = _test()
    rows = fooling_rates(test.store.judgements(), test.manifest["methods"])
    return Response(csv_text(rows), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=results.csv"})  # fmt: skip


ROUTES = [
    ("/", start_page, ["GET"]),
    ("/start", start, ["POST"]),
    ("/trial/<participant>", trial_page, ["GET"]),
    ("/image/<participant>/<int:trial>/<side>", image, ["GET"]),
    ("/answer", answer, ["POST"]),
    ("/score/<participant>", score_page, ["GET"]),
    ("/results", results_page, ["GET"]),
    ("/results.csv", results_csv, ["GET"]),
]


# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------
def _participant(participant) -> dict:
    try:
        return _test().store.participant(participant)
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
