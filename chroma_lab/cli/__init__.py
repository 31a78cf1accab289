"""The ``chroma-lab`` command line (``python -m chroma_lab.cli`` runs it too).

    chroma-lab [--debug] COMMAND [options]

One module per command (:mod:`~chroma_lab.cli.demo`, :mod:`~chroma_lab.cli.lessons`,
:mod:`~chroma_lab.cli.train`, :mod:`~chroma_lab.cli.colorize`, :mod:`~chroma_lab.cli.evaluate`),
each exposing ``add_arguments(parser)`` and ``main(args) -> int``; a command whose options depend on
an argument (``train``: the model's own options) also has ``add_model_arguments(parser, argv)``.
They import heavy libraries (Keras, TensorFlow) inside ``main``, so ``chroma-lab --help`` stays fast. Options may follow positionals
(``chroma-lab lessons run --fast lesson01``): a command's arguments are parsed with
``parse_intermixed_args``.

Errors. A mistake the user can fix (a :class:`chroma_lab.errors.ChromaLabError`: :class:`UsageError`,
the library's argument checks, :class:`chroma_lab.data.ImageReadError`,
:class:`chroma_lab.models.registry.ModelFolderError`; or an ``OSError``: a file missing, a folder
given for a file, no permission, a symlink loop) is one line ``chroma-lab COMMAND: error: MESSAGE``
on stderr and exit status 1; argparse's own usage errors exit with 2. Anything else (a plain
``ValueError`` from NumPy inside the library, ``TypeError``, ``KeyError``...) is a bug and keeps
its traceback, so it is reported rather than blamed on the user's file. ``--debug`` or
``CHROMA_LAB_DEBUG=1`` prints the traceback of user errors too. Ctrl-C: one line, status 130.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
import tempfile
import traceback
from pathlib import Path

from chroma_lab.errors import ChromaLabError

# command -> (module, one-line help)
COMMANDS = {
    "demo": ("chroma_lab.cli.demo", "the course at a glance: train every colorizer briefly on the embedded data, compare them, write reports"),
    "lessons": ("chroma_lab.cli.lessons", "build the lesson notebooks from their jupytext sources, run them, or copy them out for a student"),
    "grade": ("chroma_lab.cli.grade", "grade submitted exercise notebooks: run each in a fresh kernel, run the checks, write a CSV"),
    "train": ("chroma_lab.cli.train", "train a colorization model"),
    "colorize": ("chroma_lab.cli.colorize", "colorize image files with a trained model"),
    "evaluate": ("chroma_lab.cli.evaluate", "compare colorizers (course models trained briefly, trained model folders) on held-out images"),
    "paint": ("chroma_lab.paint", "colour a photo with a few clicks in a local web page (guided or levin2004)"),
    "turing": ("chroma_lab.turing", "the colorization Turing test: real vs colorized photos in a local web page, fooling rates"),
    "import-weights": ("chroma_lab.cli.weights", "import Zhang et al.'s released ECCV16 weights (.pth) as a model folder"),
    "fetch-weights": ("chroma_lab.cli.weights", "download Zhang et al.'s released ECCV16 weights and import them"),
}  # fmt: skip
DEBUG_ENV = "CHROMA_LAB_DEBUG"


class UsageError(ChromaLabError):
    """A mistake in what the user asked for (an option, a path); reported as one line."""


# Exceptions that mean "the user asked for something we cannot do": one line, exit status 1.
# UsageError, ImageReadError and ModelFolderError are ChromaLabErrors; FileNotFoundError,
# IsADirectoryError, NotADirectoryError and PermissionError are OSErrors.
USER_ERRORS = (ChromaLabError, OSError)


def main(argv: list[str] | None = None) -> int:
    """Run ``chroma-lab`` with ``argv`` (``sys.argv[1:]`` by default); returns the exit status."""
    quiet_tensorflow()
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = parse_args(argv)
    except UsageError as exc:  # an option the command refuses while parsing (one the model lacks)
        command = next((arg for arg in argv if not arg.startswith("-")), "")
        report_error(command, exc, "--debug" in argv or os.environ.get(DEBUG_ENV, "").strip() not in ("", "0"))
        return 1
    if args.command is None:
        _top_parser().print_help()
        return 2
    args.debug = args.debug or os.environ.get(DEBUG_ENV, "").strip() not in ("", "0")
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        print(f"chroma-lab {args.command}: interrupted", file=sys.stderr)
        return 130
    except USER_ERRORS as exc:
        report_error(args.command, exc, args.debug)
        return 1


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The namespace for ``argv``: the command's options, ``command``, ``debug`` and ``run``.

    Global options (``--debug``, ``--version``) come before the command; ``--debug`` is also
    accepted anywhere after it. argparse exits with status 2 on a usage error.
    """
    split = next((i for i, arg in enumerate(argv) if not arg.startswith("-")), len(argv))
    top = _top_parser().parse_args(argv[: split + 1])
    if top.command is None:
        return argparse.Namespace(command=None, debug=top.debug, run=None)
    module = importlib.import_module(COMMANDS[top.command][0])
    parser = argparse.ArgumentParser(prog=f"chroma-lab {top.command}", description=COMMANDS[top.command][1])
    module.add_arguments(parser)
    if hasattr(module, "add_model_arguments"):
        module.add_model_arguments(parser, argv[split + 1 :])
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error")
    args = parser.parse_intermixed_args(argv[split + 1 :])
    args.command, args.run = top.command, module.main
    args.debug = args.debug or top.debug
    return args


def report_error(command: str, exc: BaseException, debug: bool = False, message: str | None = None) -> None:
    """Print ``chroma-lab COMMAND: error: MESSAGE`` (one line) on stderr, after the traceback
    when ``debug``; ``message`` defaults to :func:`error_message` of ``exc``."""
    if debug:
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    print(f"chroma-lab {command}: error: {error_message(exc) if message is None else message}", file=sys.stderr)


def error_message(exc: BaseException) -> str:
    """One line for an exception: its message, or for an OS error the file and the reason."""
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        text = f"'{exc.filename}': {exc.strerror}"  # not "[Errno 13] Permission denied: ..."
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


def check_output_folder(path, option: str = "--out") -> Path:
    """``path`` as a folder outputs can go to; refuses a file or an unwritable place up front,
    so that a command fails before it has done any work or written anything."""
    path = Path(path)
    from chroma_lab._files import resolve_path

    resolve_path(path)  # a symlink loop: an OSError naming the path
    if path.exists() and not path.is_dir():
        raise UsageError(f"{option} '{path}' is a file; give a folder")
    existing = path
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(f"{option} '{path}': '{existing}' is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"{option} '{path}': no permission to write in '{existing}'")
    return path


# ----------------------------------------------------------------------------------------------
# TensorFlow's start-up notes
# ----------------------------------------------------------------------------------------------
# Importing TensorFlow prints up to six lines of C++ notes (oneDNN, CPU features) that would bury
# the one error line. TF_CPP_MIN_LOG_LEVEL=2 silences all but the oneDNN notice, which is logged
# before TensorFlow reads that variable; only TF_ENABLE_ONEDNN_OPTS=0 stops it, and that turns
# oneDNN off, which slows CPU training (compare `python3 benchmarks/train_throughput.py` with and
# without TF_ENABLE_ONEDNN_OPTS=0). So the commands filter those INFO lines out of stderr while
# Keras is imported. A user's own TF_CPP_MIN_LOG_LEVEL wins: at 0 every note shows.
_TF_NOTES = re.compile(r"WARNING: All log messages before absl::InitializeLog\(\)"
                       r"|I\d{4} [\d:.]+ +\d+ \S+:\d+\] |To enable the following instructions: ")  # fmt: skip


def quiet_tensorflow() -> None:
    """Default TensorFlow's C++ log level to errors only; a value the user set is kept."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def import_keras():
    """Import Keras (and with it TensorFlow) without TensorFlow's start-up notes; returns it."""
    return _import_quietly("keras")


def _import_quietly(name: str):
    quiet_tensorflow()
    if name in sys.modules or os.environ["TF_CPP_MIN_LOG_LEVEL"].strip() in ("", "0"):
        return importlib.import_module(name)  # imported already, or the user wants every note
    return _import_filtering_stderr(name, _TF_NOTES)


def _import_filtering_stderr(name: str, notes: re.Pattern):
    """Import ``name`` with file descriptor 2 captured; then write back every line but the
    ``notes`` (the C++ libraries write to the descriptor, past ``sys.stderr``)."""
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no stderr descriptor at all: nothing to filter
        return importlib.import_module(name)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            return importlib.import_module(name)
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            lines = capture.read().decode(errors="replace").splitlines(keepends=True)
            kept = "".join(line for line in lines if not notes.match(line))
            if kept:
                os.write(2, kept.encode())


def _top_parser() -> argparse.ArgumentParser:
    from chroma_lab import __version__

    width = max(map(len, COMMANDS))
    listing = "\n".join(f"  {name:<{width}}  {help_text}" for name, (_, help_text) in COMMANDS.items())
    parser = argparse.ArgumentParser(
        prog="chroma-lab",
        description="chroma_lab: automatic image colorization, from Lab colour to Zhang et al. 2016.",
        epilog=f"commands:\n{listing}\n\n'chroma-lab COMMAND --help' lists a command's options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"chroma-lab {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help=f"show the traceback of an error (or set {DEBUG_ENV}=1)")  # fmt: skip
    parser.add_argument("command", nargs="?", choices=list(COMMANDS), metavar="COMMAND",
                        help=f"one of: {', '.join(COMMANDS)}")  # fmt: skip
    return parser
