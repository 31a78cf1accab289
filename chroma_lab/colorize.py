"""``chroma-lab colorize``: not built yet (see the open issues)."""


def add_arguments(parser) -> None:
    pass


def main(args) -> int:
    raise ValueError("'chroma-lab colorize' is not available yet in this version")
