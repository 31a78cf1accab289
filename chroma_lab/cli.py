"""The ``chroma-lab`` command line.

Each subcommand lives in its own module, which exposes ``add_arguments(parser)`` and
``main(args) -> int``. Those modules import heavy libraries (Keras, TensorFlow) inside ``main`` so
that ``chroma-lab --help`` stays fast. Errors a user can fix (bad paths, bad options, unreadable
images) surface as one line on stderr and a non-zero exit status, never as a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# subcommand -> (module, one-line help)
SUBCOMMANDS = {
    "demo": ("chroma_lab.demo", "draw the Lab decomposition, the 313-bin gamut and a palette of the bundled photos"),
    "lessons": ("chroma_lab.lessons", "build the lesson notebooks from their jupytext sources, or run them (time, PASS/FAIL)"),
    "train": ("chroma_lab.train", "train a colorization model"),
    "colorize": ("chroma_lab.colorize", "colorize image files with a trained model"),
}

# Exceptions that mean "the user asked for something we cannot do": reported in one line.
USER_ERRORS = (ValueError, TypeError, FileNotFoundError, NotADirectoryError, IsADirectoryError,
               PermissionError, KeyError)


def build_parser() -> argparse.ArgumentParser:
    from chroma_lab import __version__

    parser = argparse.ArgumentParser(
        prog="chroma-lab",
        description="chroma_lab: automatic image colorization, from Lab colour to Zhang et al. 2016.",
    )
    parser.add_argument("--version", action="version", version=f"chroma-lab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        module = importlib.import_module(module_name)
        p = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(p)
        p.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "_module", None) is None:
        parser.print_help()
        return 2
    try:
        return int(args._module.main(args) or 0)
    except KeyboardInterrupt:
        print("chroma-lab: interrupted", file=sys.stderr)
        return 130
    except USER_ERRORS as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"chroma-lab {args.command}: error: {message}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
