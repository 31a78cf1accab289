"""``chroma-lab turing``: the colorization Turing test of Zhang et al. 2016, in a web page.

    chroma-lab turing --models runs/zhang runs/iizuka --images photos/ --out turing/ [--port 8000]
    chroma-lab turing --out turing/ --report

The first form colorizes every photo with every model once (:mod:`.prepare`), then serves the test
(:mod:`.app`): each trial shows the real photo and one colorization side by side for a second,
then asks which was real; answers go to ``OUT/turing.sqlite`` (:mod:`.store`), so a restarted
server on the same folder loses nothing. ``--report`` prints each method's fooling rate with its
95% Wilson interval (:mod:`.stats`) and writes ``OUT/results.csv``; ``/results`` shows the same.

The server listens on 127.0.0.1 only. ``--host`` for a classroom network requires a session token
on every request: it is printed at start inside the participants' address, and kept in the
folder's database so that a restart keeps the same address.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from chroma_lab.errors import ChromaLabError

RESULTS_FILE = "results.csv"


def add_arguments(parser) -> None:
    parser.add_argument("--models", nargs="+", metavar="DIR", default=None,
                        help="folders written by chroma-lab train; the folder name names the method")
    parser.add_argument("--images", metavar="DIR", default=None, help="folder of real colour photos")
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="test folder: colorizations, manifest.json, turing.sqlite, results.csv")
    parser.add_argument("--trials", type=int, default=40, help="trials per participant (default 40)")
    parser.add_argument("--display", type=float, default=1.0, metavar="SECONDS",
                        help="how long each pair is shown (default 1 s, as in Zhang et al. 2016)")
    parser.add_argument("--max-side", type=int, default=384, metavar="PIXELS",
                        help="shrink larger photos to this longest side (default 384)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1; any other needs the printed token)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    parser.add_argument("--report", action="store_true",
                        help="print the fooling rates of --out and write results.csv, without serving")


def main(args) -> int:
    from chroma_lab._checks import check_int, check_number

    out = Path(args.out)
    if args.report:
        from chroma_lab.turing.stats import format_rows

        print(format_rows(report(out)))
        print(f"wrote {out / RESULTS_FILE}")
        return 0
    if not args.models or not args.images:
        raise ChromaLabError("--models and --images are needed to run a test (or --report to read one)")
    check_int(args.trials, "--trials", low=1)
    check_number(args.display, "--display", low=0, low_open=True)
    check_int(args.port, "--port", low=0, high=65535)
    models = model_folders(args.models)

    from chroma_lab.turing.app import create_app, serve
    from chroma_lab.turing.prepare import prepare
    from chroma_lab.turing.store import Store

    prepare(out, args.images, models, max_side=args.max_side)
    token = None if is_loopback(args.host) else Store(out).token(create=True)
    app = create_app(out, display_seconds=args.display, n_trials=args.trials, token=token)
    try:
        server = serve(app, args.host, args.port)
    except (OSError, SystemExit) as exc:  # Werkzeug exits when the port is taken; we say it in one line
        reason = getattr(exc, "strerror", None) or "address in use or not on this computer"
        raise ChromaLabError(f"cannot listen on {args.host}:{args.port} ({reason}); try another --port") from None
    shown_host = f"[{args.host}]" if ":" in args.host else args.host
    address = f"http://{shown_host}:{server.server_port}/"
    print(f"participants: {address}" + (f"?token={token}" if token else ""))
    print(f"results:      {address}results" + (f"?token={token}" if token else ""))
    if token:
        print("the token is needed on every device; keep it within the class. Ctrl-C stops the server.")
    else:
        print("listening on this computer only (--host for a classroom network). Ctrl-C stops the server.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped; answers are kept in", out / "turing.sqlite")
    finally:
        server.server_close()
    return 0


def report(out_dir) -> list[dict]:
    """Fooling rate per method of the test in ``out_dir``; also written to ``out_dir/results.csv``.

    Returns
    -------
    list of dict with the keys of :data:`chroma_lab.turing.stats.COLUMNS`, one per method of the
    manifest (in its order); a method with no judgements has None for its rate and interval.
    """
    from chroma_lab._files import write_text_atomic
    from chroma_lab.turing.prepare import load_manifest
    from chroma_lab.turing.stats import csv_text, fooling_rates
    from chroma_lab.turing.store import DATABASE_FILE, Store

    out_dir = Path(out_dir)
    manifest = load_manifest(out_dir)
    if not (out_dir / DATABASE_FILE).is_file():
        raise FileNotFoundError(f"'{out_dir}' has no {DATABASE_FILE} yet: nobody has taken the test")
    rows = fooling_rates(Store(out_dir).judgements(), manifest["methods"])
    write_text_atomic(out_dir / RESULTS_FILE, csv_text(rows))
    return rows


def model_folders(folders) -> dict:
    """Method name (the folder's name) -> folder; two folders with the same name are refused."""
    models: dict[str, str] = {}
    for folder in folders:
        name = Path(folder).resolve().name
        if name in models:
            raise ChromaLabError(f"--models '{models[name]}' and '{folder}' have the same folder name "
                                 f"{name!r}, which names the method; rename one")  # fmt: skip
        models[name] = folder
    return models


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this computer only (127.x, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
