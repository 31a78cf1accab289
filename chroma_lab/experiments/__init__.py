"""The claim experiments of the lessons, as library functions.

Each lesson that teaches a comparison ("rebalancing makes the network more colourful") measures it
with a function of one module here, so that the lesson's notebook and
``benchmarks/claims_robustness.py`` run the same code. Every module exposes

* ``CLAIM_IDS``: the ids of its claims, as in ``lessons/claims.csv``;
* ``run_claims(seeds, *, fast=False) -> list[ClaimResult]``: trains and scores what the claims
  compare on every seed and decides each claim with a paired test over the seeds
  (:func:`chroma_lab.compare.paired_claim`);

plus whatever its lesson plots. ``fast=True`` is the tests' tiny budget: every claim is still
printed, but its verdict may be ``unresolved``.

The modules import Keras (they train networks); importing this package does not.
"""

LESSONS = {5: "chroma_lab.experiments.lesson05", 6: "chroma_lab.experiments.lesson06",
           7: "chroma_lab.experiments.lesson07"}  # fmt: skip


def experiment(lesson: int):
    """The experiment module of ``lesson`` (5, 6 or 7), imported on demand."""
    import importlib

    if lesson not in LESSONS:
        raise ValueError(f"lesson must be one of {sorted(LESSONS)}, got {lesson!r}")
    return importlib.import_module(LESSONS[lesson])
