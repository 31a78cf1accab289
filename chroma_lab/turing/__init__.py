"""``chroma-lab turing``: the colorization Turing test of Zhang et al. 2016, in a web page.

    chroma-lab turing --models runs/zhang runs/iizuka --images photos/ --out turing/ [--port 8000]
    chroma-lab turing --out turing/ --report

The first form colorizes every photo with every model once (:mod:`.prepare`), then serves the test
(:mod:`.app`): each trial shows the real photo and one colorization side by side for a second,
then asks which was real; answers go to ``OUT/turing.sqlite`` (:mod:`.store`), so a restarted
server on the same folder loses nothing. ``--report`` prints each method's fooling rate with its
95% Wilson interval (:mod:`.stats`) and writes ``OUT/results.csv``; ``/results`` shows the same.

The server listens on 127.0.0.1 only, and answers only requests addressed to this computer.
``--host`` for a classroom network requires the class token on every request: it is printed at
start inside the participants' address. The results pages need their own token, the instructor's,
printed inside the results address. Both are kept in the folder's database, so that a restart
keeps the same addresses. The port is taken before anything is colorized, and a refused run
leaves no files. Ctrl-C stops the server: ``stopped; answers are kept in OUT/turing.sqlite``,
exit status 130 (as for every command interrupted by Ctrl-C).
"""

from __future__ import annotations

import ipaddress
import sys
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

    from chroma_lab.cli import check_output_folder
    from chroma_lab.turing.app import listen

    check_output_folder(out)
    sock = listen(args.host, args.port)  # before colorizing anything: a taken port costs nothing
    try:
        server, tokens = _prepare_and_serve(args, out, models, sock)
    finally:
        sock.close()  # the server listens on its own copy
    return _serve_until_stopped(server, args.host, out, *tokens)


def _prepare_and_serve(args, out: Path, models: dict, sock) -> tuple:
    """Colorize (once), open the store and return ``(server, (class token, results token))``."""
    from chroma_lab.turing.app import create_app, serve
    from chroma_lab.turing.prepare import prepare
    from chroma_lab.turing.store import Store

    prepare(out, args.images, load_models(models), max_side=args.max_side)
    store = Store(out)
    token = None if is_loopback(args.host) else store.token(create=True)
    results_token = store.token(create=True, kind="results")
    app = create_app(out, display_seconds=args.display, n_trials=args.trials, token=token,
                     results_token=results_token)  # fmt: skip
    return serve(app, args.host, args.port, sock=sock), (token, results_token)


def _serve_until_stopped(server, host: str, out: Path, token, results_token) -> int:
    """Print the two addresses, serve until Ctrl-C, say where the answers are; exit status 130."""
    from chroma_lab.turing.store import DATABASE_FILE

    try:  # a Ctrl-C from here on, even before the serving loop starts, ends in the same line
        _print_addresses(server, host, token, results_token)
        server.serve_forever()  # Werkzeug's returns when Ctrl-C interrupts it
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    print(f"stopped; answers are kept in {out / DATABASE_FILE}")
    return 130


def _print_addresses(server, host: str, token, results_token) -> None:
    address = f"http://{f'[{host}]' if ':' in host else host}:{server.server_address[1]}/"
    print(f"participants: {address}" + (f"?token={token}" if token else ""))
    print(f"results:      {address}results?token={results_token}   (for you only: it shows every answer)")
    if _is_every_address(host):
        print(f"{host} listens on every network of this computer: give the participants its address on the "
              "class network (hostname -I, ipconfig) in its place")  # fmt: skip
    if token:
        print("the token is needed on every device; keep it within the class. Ctrl-C stops the server.")
    else:
        print("listening on this computer only (--host for a classroom network). Ctrl-C stops the server.")
    sys.stdout.flush()  # the addresses now, even when the output goes to a pipe or a file


def load_models(models: dict) -> dict:
    """Method name -> the colorizer saved in its folder (a missing or broken folder: ModelFolderError).

    Keras is imported with TensorFlow's start-up notes kept off the terminal, as ``train`` does.
    """
    from chroma_lab.cli import import_keras
    from chroma_lab.models.registry import load_colorizer

    import_keras()
    return {name: load_colorizer(folder) for name, folder in models.items()}


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


def _is_every_address(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_unspecified  # 0.0.0.0 or ::
    except ValueError:
        return False


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this computer only (127.x, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
